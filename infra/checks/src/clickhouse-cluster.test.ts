import fs from 'node:fs';
import {
  clusterConfig,
  DEFAULT_CLUSTER_NAME,
  DISTRIBUTED_DDL_PATH,
  type NodePorts,
} from '@pitchpulse/devstack';
import {
  clusterProblems,
  parseClusterConfig,
  parseKeeperConfig,
  resolve,
  type ClusterConfig,
  type ClusterDeployment,
  type DeployedNode,
} from './clickhouse-cluster';
import { mergeCompose } from './compose-merge';
import { renderKustomization } from './kustomize';
import { repoPath } from './paths';
import { readYaml } from './yaml-files';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const APPS = ['api', 'consumer', 'enricher'];

const asStrings = (env: Obj = {}): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));

/** The cluster as `docker compose -f docker-compose.yml -f infra/compose/cluster.yml` runs it. */
function composeDeployment(): ClusterDeployment {
  const model = mergeCompose(
    readYaml(repoPath('docker-compose.yml')) as Obj,
    readYaml(repoPath('infra/compose/cluster.yml')) as Obj,
  ) as Obj;
  const services = Object.entries(model.services as Record<string, Obj>);
  const running = (image: string): DeployedNode[] =>
    services
      .filter(([, s]) => String(s.image).startsWith(`${image}:`))
      .map(([name, s]) => {
        // Other containers reach a service by its name; the node's hostname must not say otherwise.
        expect([name, s.hostname ?? name]).toEqual([name, name]);
        return { address: name, port: '9000', env: asStrings(s.environment) };
      });
  const read = (file: string) => fs.readFileSync(repoPath('infra/clickhouse/cluster', file), 'utf8');
  return {
    config: parseClusterConfig(read('cluster.xml')),
    keeperConfig: parseKeeperConfig(read('keeper.xml')),
    nodes: running('clickhouse/clickhouse-server'),
    keepers: running('clickhouse/clickhouse-keeper'),
    apps: Object.fromEntries(APPS.map((app) => [app, asStrings(model.services[app].environment)])),
  };
}

/** A container's environment in a given pod: values with `$(VAR)` expanded, the pod name, ConfigMap keys. */
function podEnv(objects: Obj[], container: Obj, pod: string): Record<string, string> {
  const configMap = (name: string) =>
    objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data ?? {};
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? [])
    if (from.configMapRef) Object.assign(env, configMap(from.configMapRef.name));
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (from?.fieldRef?.fieldPath === 'metadata.name') env[e.name] = pod;
    else if (from?.configMapKeyRef)
      env[e.name] = configMap(from.configMapKeyRef.name)[from.configMapKeyRef.key];
    else if (from?.secretKeyRef) env[e.name] = `<secret ${from.secretKeyRef.key}>`;
    else env[e.name] = String(e.value).replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => env[v] ?? '');
  }
  return env;
}

/** The pods of every StatefulSet whose container mounts `mountPath`, by their stable names under the headless Service. */
function statefulPods(
  objects: Obj[],
  mountPath: string,
): { pod: string; address: string; env: Obj; c: Obj }[] {
  return objects
    .filter((o) => o.kind === 'StatefulSet')
    .flatMap((s) => {
      const c = s.spec.template.spec.containers[0];
      if (!(c.volumeMounts ?? []).some((m: Obj) => m.mountPath === mountPath)) return [];
      return Array.from({ length: s.spec.replicas }, (_, i) => {
        const pod = `${s.metadata.name}-${i}`;
        return { pod, address: `${pod}.${s.spec.serviceName}`, env: podEnv(objects, c, pod), c };
      });
    });
}

/** The cluster as `kubectl apply -k infra/k8s/overlays/cluster` runs it. */
function k8sDeployment(): ClusterDeployment {
  const objects = renderKustomization(repoPath('infra/k8s/overlays/cluster')) as Obj[];
  const data = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'clickhouse-cluster')!.data;
  const nodes = statefulPods(objects, '/etc/clickhouse-server/config.d/cluster.xml').map(
    ({ address, env, c }) => ({
      address,
      port: String(c.ports.find((p: Obj) => p.name === 'native').containerPort),
      env,
    }),
  );
  const keepers = statefulPods(objects, '/etc/clickhouse-keeper/keeper_config.xml').map(
    ({ pod, address, c }) => {
      // The pod's command derives server_id from its ordinal; model that one line.
      expect(c.command.join('\n')).toContain('export KEEPER_SERVER_ID=$((${HOSTNAME##*-} + 1))');
      return { address, port: '', env: { KEEPER_SERVER_ID: String(Number(pod.split('-').pop()) + 1) } };
    },
  );
  const apps = Object.fromEntries(
    APPS.map((app) => {
      const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `pitchpulse-${app}`)!;
      return [app, podEnv(objects, d.spec.template.spec.containers[0], app)];
    }),
  );
  return {
    config: parseClusterConfig(data['cluster.xml']),
    keeperConfig: parseKeeperConfig(data['keeper.xml']),
    nodes,
    keepers,
    apps,
  };
}

/** What the embedded test cluster (packages/devstack) writes for each node of a 2 × 2 cluster, parsed. */
function embedded(): { node: NodePorts; config: ClusterConfig }[] {
  const layout: NodePorts[][] = [1, 2].map((shard) =>
    [1, 2].map((replica) => ({ name: `s${shard}r${replica}`, shard, tcpPort: 9000 })),
  );
  return layout.flat().map((node) => ({
    node,
    config: parseClusterConfig(
      `<clickhouse>${clusterConfig(DEFAULT_CLUSTER_NAME, 9181, layout, node)}</clickhouse>`,
    ),
  }));
}

const deployments = [
  ['Compose (infra/compose/cluster.yml)', composeDeployment()],
  ['Kubernetes (infra/k8s/overlays/cluster)', k8sDeployment()],
] as const;

describe.each(deployments)('ClickHouse cluster on %s', (_name, d) => {
  it('has no consistency problem: remote_servers, macros, Keeper, apps', () => {
    expect(clusterProblems(d)).toEqual([]);
  });

  it('is 2 shards × 2 replicas named as the apps say, with the DDL queue where the embedded cluster has it', () => {
    expect(d.config.cluster).toBe(DEFAULT_CLUSTER_NAME);
    expect(d.config.shards.map((s) => s.replicas.length)).toEqual([2, 2]);
    expect(d.nodes).toHaveLength(4);
    expect(d.config.ddlPath).toBe(DISTRIBUTED_DDL_PATH);
  });

  it('means what the embedded test cluster means: same shards, internal_replication, macros', () => {
    const reference = embedded();
    const ref = reference[0]!.config;
    const shape = (c: ClusterConfig) => ({
      cluster: c.cluster,
      shards: c.shards.map((s) => ({ internal: s.internalReplication, replicas: s.replicas.length })),
      macros: Object.keys(c.macros).sort(),
      ddl: c.ddlPath,
    });
    expect(shape(d.config)).toEqual(shape(ref));
    d.config.shards
      .flatMap((s) => s.replicas)
      .forEach((replica, i) => {
        const node = d.nodes.find((n) => n.address === replica.host)!;
        const own = reference[i]!.config.macros;
        expect([replica.host, resolve(d.config.macros.shard, node.env)]).toEqual([
          replica.host,
          resolve(own.shard, {}),
        ]);
      });
  });

  it('the check finds a wrong shard macro, a node missing from remote_servers, a wrong keeper and cluster name', () => {
    const broken = structuredClone(d) as ClusterDeployment;
    const [first, second] = broken.nodes;
    const shardVar = (broken.config.macros.shard as { fromEnv: string }).fromEnv;
    first!.env[shardVar] = '02';
    broken.config.shards[1]!.replicas.pop();
    broken.config.keeperNodes[0]!.host = 'zookeeper';
    broken.apps.api!.CLICKHOUSE_CLUSTER = 'other';
    const replicaVar = (broken.config.macros.replica as { fromEnv: string }).fromEnv;
    second!.env[replicaVar] = first!.env[replicaVar];
    const problems = clusterProblems(broken).join('\n');
    expect(problems).toMatch(/shard macro 02 in shard 1/);
    expect(problems).toMatch(/is not in remote_servers/);
    expect(problems).toMatch(/<zookeeper> names zookeeper/);
    expect(problems).toMatch(/api: CLICKHOUSE_CLUSTER other/);
    expect(problems).toMatch(/replica macro .* on two nodes/);
  });
});

describe('the Compose cluster against the embedded one', () => {
  it('each node has the embedded cluster’s macros for its place (s1r1 … s2r2, shards 01 and 02)', () => {
    const d = composeDeployment();
    const hosts = d.config.shards.flatMap((s) => s.replicas.map((r) => r.host));
    for (const [i, { node, config }] of embedded().entries()) {
      const env = d.nodes.find((n) => n.address === hosts[i])!.env;
      expect([node.name, resolve(d.config.macros.replica, env), resolve(d.config.macros.shard, env)]).toEqual(
        [node.name, resolve(config.macros.replica, {}), resolve(config.macros.shard, {})],
      );
    }
  });
});

describe('parseClusterConfig', () => {
  it('reads from_env values and refuses a config without a host', () => {
    const config = parseClusterConfig(
      `<clickhouse><macros><shard from_env="S"/><replica>r</replica></macros>
       <remote_servers><c><shard><replica><host>h</host><port>9000</port></replica></shard></c></remote_servers>
       </clickhouse>`,
    );
    expect(config.macros).toEqual({ shard: { fromEnv: 'S' }, replica: { value: 'r' } });
    expect(config.shards).toEqual([
      {
        internalReplication: undefined,
        replicas: [{ host: 'h', port: '9000', user: undefined, password: undefined }],
      },
    ]);
    expect(() =>
      parseClusterConfig(
        '<clickhouse><remote_servers><c><shard><replica/></shard></c></remote_servers></clickhouse>',
      ),
    ).toThrow(/host missing/);
  });
});
