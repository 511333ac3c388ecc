import { XMLParser } from 'fast-xml-parser';

/** A config value as ClickHouse reads it: written out, or taken from an environment variable (`from_env`). */
export type ConfigValue = { value: string } | { fromEnv: string };

export interface RemoteReplica {
  host: string;
  port: string;
  user?: string;
  password?: ConfigValue;
}

/** The cluster part of a ClickHouse server config (`config.d/cluster.xml`). */
export interface ClusterConfig {
  /** the one cluster in `<remote_servers>` */
  cluster: string;
  shards: { internalReplication?: string; replicas: RemoteReplica[] }[];
  macros: Record<string, ConfigValue>;
  keeperNodes: { host: string; port: string }[];
  ddlPath?: string;
  interserverHost?: ConfigValue;
}

/** A ClickHouse Keeper config (`keeper_config.xml`). */
export interface KeeperConfig {
  tcpPort: string;
  serverId: ConfigValue;
  raft: { id: string; hostname: string; port: string }[];
  /** `http_control` port, whose `/ready` the health checks use */
  httpControlPort?: string;
}

/** A ClickHouse node as a deployment runs it: the name other nodes reach it by, its native port, its environment. */
export interface DeployedNode {
  address: string;
  port: string;
  env: Record<string, string | undefined>;
}

/** Everything a cluster deployment (Compose or Kubernetes) says about the cluster, for `clusterProblems`. */
export interface ClusterDeployment {
  config: ClusterConfig;
  nodes: DeployedNode[];
  keeperConfig: KeeperConfig;
  /** a Keeper is reached at its address and finds its own server_id in its environment */
  keepers: DeployedNode[];
  /** each app's environment (CLICKHOUSE_CLUSTER, CLICKHOUSE_USER) */
  apps: Record<string, Record<string, string | undefined>>;
}

type Xml = Record<string, unknown>;

// Elements that repeat; everything else is one element (macros also have <shard> and <replica>, hence the paths).
const REPEATED = [
  /^clickhouse\.remote_servers\.[^.]+\.shard$/,
  /^clickhouse\.remote_servers\.[^.]+\.shard\.replica$/,
  /^clickhouse\.zookeeper\.node$/,
  /^clickhouse\.keeper_server\.raft_configuration\.server$/,
];

function parseXml(xml: string): Xml {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    isArray: (_name, jpath) => REPEATED.some((r) => r.test(String(jpath))),
  });
  const doc = parser.parse(xml) as Xml;
  if (typeof doc.clickhouse !== 'object' || doc.clickhouse === null) throw new Error('no <clickhouse> root');
  return doc;
}

const text = (node: unknown): string | undefined =>
  typeof node === 'string' ? node : typeof node === 'number' ? String(node) : undefined;

function configValue(node: unknown): ConfigValue | undefined {
  const fromEnv = typeof node === 'object' && node !== null ? (node as Xml)['@from_env'] : undefined;
  if (typeof fromEnv === 'string') return { fromEnv };
  const value = text(node);
  return value === undefined ? undefined : { value };
}

const required = (value: string | undefined, what: string): string => {
  if (value === undefined || value === '') throw new Error(`${what} missing`);
  return value;
};

export function parseClusterConfig(xml: string): ClusterConfig {
  const root = parseXml(xml).clickhouse as Xml;
  const clusters = Object.entries((root.remote_servers ?? {}) as Xml);
  if (clusters.length !== 1)
    throw new Error(`expected one cluster in remote_servers, found ${clusters.length}`);
  const [cluster, body] = clusters[0]!;
  const shards = (((body as Xml).shard ?? []) as Xml[]).map((shard) => ({
    internalReplication: text(shard.internal_replication),
    replicas: ((shard.replica ?? []) as Xml[]).map((r) => ({
      host: required(text(r.host), 'replica host'),
      port: required(text(r.port), 'replica port'),
      user: text(r.user),
      password: configValue(r.password),
    })),
  }));
  const macros = Object.fromEntries(
    Object.entries((root.macros ?? {}) as Xml).map(([k, v]) => [k, configValue(v)!]),
  );
  const zookeeper = (root.zookeeper ?? {}) as Xml;
  const keeperNodes = ((zookeeper.node ?? []) as Xml[]).map((n) => ({
    host: required(text(n.host), 'zookeeper node host'),
    port: required(text(n.port), 'zookeeper node port'),
  }));
  const ddl = root.distributed_ddl as Xml | undefined;
  return {
    cluster,
    shards,
    macros,
    keeperNodes,
    ddlPath: text(ddl?.path),
    interserverHost: configValue(root.interserver_http_host),
  };
}

export function parseKeeperConfig(xml: string): KeeperConfig {
  const server = (parseXml(xml).clickhouse as Xml).keeper_server as Xml | undefined;
  if (!server) throw new Error('no <keeper_server>');
  const raft = (((server.raft_configuration ?? {}) as Xml).server ?? []) as Xml[];
  return {
    tcpPort: required(text(server.tcp_port), 'keeper tcp_port'),
    serverId: configValue(server.server_id) ?? { value: '' },
    raft: raft.map((s) => ({
      id: required(text(s.id), 'raft server id'),
      hostname: required(text(s.hostname), 'raft server hostname'),
      port: required(text(s.port), 'raft server port'),
    })),
    httpControlPort: text((server.http_control as Xml | undefined)?.port),
  };
}

/** The value a node reads: written out, or from its environment (undefined when the variable is not set). */
export const resolve = (v: ConfigValue | undefined, env: Record<string, string | undefined>) =>
  v === undefined ? undefined : 'value' in v ? v.value : env[v.fromEnv];

/** `01`, `02` …: the shard macro of the n-th shard (1-based), as the embedded cluster writes it. */
export const shardMacro = (n: number): string => String(n).padStart(2, '0');

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

function duplicates(values: string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

/** remote_servers names every node once and nothing else; shard and replica macros fit each node's place. */
function topologyProblems(d: ClusterDeployment): string[] {
  const problems: string[] = [];
  const named = d.config.shards.flatMap((s) => s.replicas.map((r) => r.host));
  for (const host of duplicates(named)) problems.push(`remote_servers names ${host} twice`);
  for (const node of d.nodes)
    if (!named.includes(node.address)) problems.push(`node ${node.address} is not in remote_servers`);
  d.config.shards.forEach((shard, s) => {
    if (shard.internalReplication !== 'true')
      problems.push(`shard ${s + 1}: internal_replication is not true`);
    for (const replica of shard.replicas) {
      const node = d.nodes.find((n) => n.address === replica.host);
      if (!node) {
        problems.push(`remote_servers names ${replica.host}, which is no ClickHouse node`);
        continue;
      }
      if (replica.port !== node.port)
        problems.push(`${replica.host}: remote_servers port ${replica.port}, node listens on ${node.port}`);
      const shardValue = resolve(d.config.macros.shard, node.env);
      if (shardValue !== shardMacro(s + 1))
        problems.push(`${replica.host}: shard macro ${shardValue} in shard ${s + 1} (${shardMacro(s + 1)})`);
      const interserver = resolve(d.config.interserverHost, node.env);
      if (interserver !== undefined && interserver !== node.address)
        problems.push(`${replica.host}: interserver_http_host ${interserver}`);
    }
  });
  const replicaMacros = d.nodes.map((n) => resolve(d.config.macros.replica, n.env) ?? '');
  if (replicaMacros.includes('')) problems.push('a node has no replica macro');
  for (const r of duplicates(replicaMacros)) problems.push(`replica macro ${r} on two nodes`);
  const clusterMacro = resolve(d.config.macros.cluster, {});
  if (clusterMacro !== undefined && clusterMacro !== d.config.cluster)
    problems.push(`cluster macro ${clusterMacro}, remote_servers cluster ${d.config.cluster}`);
  return problems;
}

/** The apps use the cluster's name and the user remote_servers connects as; every node knows that password. */
function appProblems(d: ClusterDeployment): string[] {
  const problems: string[] = [];
  for (const [app, env] of Object.entries(d.apps)) {
    if (env.CLICKHOUSE_CLUSTER !== d.config.cluster)
      problems.push(`${app}: CLICKHOUSE_CLUSTER ${env.CLICKHOUSE_CLUSTER}, cluster ${d.config.cluster}`);
    for (const r of d.config.shards.flatMap((s) => s.replicas)) {
      if (r.user !== env.CLICKHOUSE_USER)
        problems.push(`${r.host}: user ${r.user}, ${app} uses ${env.CLICKHOUSE_USER}`);
    }
  }
  for (const r of d.config.shards.flatMap((s) => s.replicas)) {
    for (const node of d.nodes)
      if (!resolve(r.password, node.env)) problems.push(`${node.address} cannot read ${r.host}'s password`);
  }
  return problems;
}

/** cluster.xml's <zookeeper> is the Keepers, which form one Raft group with a server_id each. */
function keeperProblems(d: ClusterDeployment): string[] {
  const problems: string[] = [];
  const addresses = d.keepers.map((k) => k.address);
  const hosts = d.config.keeperNodes.map((n) => n.host);
  if (!sameSet(hosts, addresses))
    problems.push(`<zookeeper> names ${hosts.join(', ')}; keepers: ${addresses.join(', ')}`);
  for (const n of d.config.keeperNodes)
    if (n.port !== d.keeperConfig.tcpPort)
      problems.push(`<zookeeper> ${n.host}:${n.port}, keeper port ${d.keeperConfig.tcpPort}`);
  const raftHosts = d.keeperConfig.raft.map((s) => s.hostname);
  if (!sameSet(raftHosts, addresses))
    problems.push(`raft_configuration names ${raftHosts.join(', ')}; keepers: ${addresses.join(', ')}`);
  for (const id of duplicates(d.keeperConfig.raft.map((s) => s.id)))
    problems.push(`raft server id ${id} twice`);
  if (d.keepers.length % 2 === 0) problems.push(`${d.keepers.length} keepers: a quorum needs an odd number`);
  for (const keeper of d.keepers) {
    const id = resolve(d.keeperConfig.serverId, keeper.env);
    const entry = d.keeperConfig.raft.find((s) => s.id === id);
    if (entry?.hostname !== keeper.address)
      problems.push(`${keeper.address}: server_id ${id} is ${entry?.hostname ?? 'no raft server'}`);
  }
  return problems;
}

/**
 * What would make a cluster deployment fail or misroute, found from its files alone: every node in remote_servers
 * and every entry a node, shard/replica macros matching each node's place, the Keepers those of <zookeeper> and of
 * the Raft configuration, the apps on the same cluster name and user. One message per problem.
 */
export function clusterProblems(d: ClusterDeployment): string[] {
  return [...topologyProblems(d), ...appProblems(d), ...keeperProblems(d)];
}
