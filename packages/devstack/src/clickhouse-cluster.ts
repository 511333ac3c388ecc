import fs from 'node:fs';
import path from 'node:path';
import { ANALYST_PASSWORD_FILE, ClickHouseServer, xmlEscape } from './clickhouse-server';
import { freePort } from './ports';
import { ZooKeeperServer } from './zookeeper';

/** The `<remote_servers>` cluster the embedded cluster defines unless told otherwise (CLICKHOUSE_CLUSTER). */
export const DEFAULT_CLUSTER_NAME = 'pitchpulse';

/** Where ClickHouse keeps the distributed DDL queue (`ON CLUSTER`) in ZooKeeper. */
export const DISTRIBUTED_DDL_PATH = '/clickhouse/task_queue/ddl';

export interface ClickHouseClusterOptions {
  /** Folder for every node's data, ZooKeeper's and the shared analyst password; kept between runs. */
  dataDir: string;
  /** The cluster's name in `<remote_servers>` and the `{cluster}` macro; default `pitchpulse`. */
  name?: string;
  /** Default 2. */
  shards?: number;
  /** Replicas per shard; default 2. */
  replicas?: number;
}

/** One ClickHouse server of the cluster: `s<shard>r<replica>`, e.g. `s1r2` is shard 1's second replica. */
export interface ClusterNode {
  /** `s1r1` …: the folder under dataDir and the `{replica}` macro (unique in its shard and in the cluster). */
  name: string;
  /** 1-based. */
  shard: number;
  /** 1-based. */
  replica: number;
  /** The `{shard}` macro: `01`, `02` … */
  shardMacro: string;
  server: ClickHouseServer;
}

/** What a cluster's addresses look like in the stack's state file and to `pnpm stack status`. */
export interface ClusterInfo {
  name: string;
  zookeeper: { connect: string; port: number; pid: number | null; dataDir: string };
  nodes: Array<{
    name: string;
    shard: number;
    replica: number;
    url: string;
    tcpPort: number;
    interserverHttpPort: number;
    pid: number | null;
    dataDir: string;
  }>;
}

export const nodeName = (shard: number, replica: number): string => `s${shard}r${replica}`;
const shardMacro = (shard: number): string => String(shard).padStart(2, '0');

export interface NodePorts {
  name: string;
  shard: number;
  tcpPort: number;
}

/**
 * The cluster part of a node's config.xml: ZooKeeper, this node's macros, every node in remote_servers, DDL queue.
 * Exported for infra/checks, which compares the Compose and Kubernetes cluster configs with it.
 */
export function clusterConfig(
  name: string,
  zookeeperPort: number,
  shards: NodePorts[][],
  self: { shard: number; name: string },
): string {
  const shardsXml = shards
    .map(
      (replicas) =>
        `      <shard>\n        <internal_replication>true</internal_replication>\n` +
        replicas
          .map((r) => `        <replica><host>127.0.0.1</host><port>${r.tcpPort}</port></replica>\n`)
          .join('') +
        `      </shard>\n`,
    )
    .join('');
  return `  <zookeeper>
    <node><host>127.0.0.1</host><port>${zookeeperPort}</port></node>
    <session_timeout_ms>10000</session_timeout_ms>
  </zookeeper>
  <macros>
    <cluster>${xmlEscape(name)}</cluster>
    <shard>${shardMacro(self.shard)}</shard>
    <replica>${xmlEscape(self.name)}</replica>
  </macros>
  <remote_servers>
    <${name}>
${shardsXml}    </${name}>
  </remote_servers>
  <distributed_ddl><path>${DISTRIBUTED_DDL_PATH}</path></distributed_ddl>
`;
}

/**
 * ZooKeeper and shards × replicas ClickHouse 18.16 servers (default 2 × 2), every one a child process of this one
 * on its own loopback ports, data under `<dataDir>/<node>/` and `<dataDir>/zookeeper/`. Replicated*MergeTree
 * tables take `{shard}` and `{replica}` from each node's macros; `ON CLUSTER <name>` DDL runs on every node.
 * Single nodes can be stopped and started again (fault tests); a restarted replica catches up from ZooKeeper.
 */
export class ClickHouseCluster {
  private constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly zookeeper: ZooKeeperServer,
    readonly nodes: readonly ClusterNode[],
  ) {}

  /** Writes every config (free ports picked now, kept across stopNode/startNode) without starting anything. */
  static async create(options: ClickHouseClusterOptions): Promise<ClickHouseCluster> {
    const name = options.name ?? DEFAULT_CLUSTER_NAME;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`cluster name ${name} is not an identifier`);
    const dataDir = path.resolve(options.dataDir);
    fs.mkdirSync(dataDir, { recursive: true });
    const zookeeper = await ZooKeeperServer.create({ dataDir: path.join(dataDir, 'zookeeper') });
    const layout: NodePorts[][] = [];
    for (let shard = 1; shard <= (options.shards ?? 2); shard++) {
      const replicas: NodePorts[] = [];
      for (let replica = 1; replica <= (options.replicas ?? 2); replica++) {
        replicas.push({ name: nodeName(shard, replica), shard, tcpPort: await freePort() });
      }
      layout.push(replicas);
    }
    const nodes: ClusterNode[] = [];
    for (const replicas of layout) {
      for (const [i, node] of replicas.entries()) {
        const server = await ClickHouseServer.create({
          dataDir: path.join(dataDir, node.name),
          tcpPort: node.tcpPort,
          interserverHttpPort: await freePort(),
          analystPasswordFile: path.join(dataDir, ANALYST_PASSWORD_FILE),
          configExtra: clusterConfig(name, zookeeper.clientPort, layout, node),
        });
        nodes.push({ ...node, replica: i + 1, shardMacro: shardMacro(node.shard), server });
      }
    }
    return new ClickHouseCluster(name, dataDir, zookeeper, nodes);
  }

  /** Starts ZooKeeper, then every ClickHouse node (at once); resolves when all answer. */
  async start(timeoutMs = 90_000): Promise<void> {
    try {
      // ClickHouse 18.16 must find ZooKeeper serving: a node that cannot connect can crash on its first DDL.
      await this.zookeeper.start(timeoutMs);
      await this.startNodes(timeoutMs);
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Starts every stopped ClickHouse node (ZooKeeper must be running). */
  async startNodes(timeoutMs = 90_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.start(timeoutMs)));
  }

  /** Stops every ClickHouse node, leaving ZooKeeper running. */
  async stopNodes(timeoutMs = 20_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.server.stop(timeoutMs)));
  }

  /**
   * Stops every ClickHouse node, then ZooKeeper (a ClickHouse 18.16 server whose ZooKeeper is gone does not exit
   * on SIGTERM); each gets SIGKILL after timeoutMs.
   */
  async stop(timeoutMs = 20_000): Promise<void> {
    await this.stopNodes(timeoutMs);
    await this.zookeeper.stop(timeoutMs);
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node)
      throw new Error(
        `no node ${name} in cluster ${this.name} (${this.nodes.map((n) => n.name).join(', ')})`,
      );
    return node;
  }

  /** The node of `shard` and `replica` (both 1-based). */
  nodeAt(shard: number, replica: number): ClusterNode {
    return this.node(nodeName(shard, replica));
  }

  /**
   * Stops one ClickHouse node; `SIGKILL` for a crash. After a crash its ZooKeeper session lingers for the session
   * timeout (10 s): started again meanwhile, its replicated tables log "Replica … appears to be already active" and
   * retry every 10 s, so it catches up some 10–20 s later than after a SIGTERM.
   */
  stopNode(name: string, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
    return this.node(name).server.stop(timeoutMs, signal);
  }

  /** Starts a stopped node again on the same ports and data; its replicated tables catch up on their own. */
  startNode(name: string, timeoutMs = 90_000): Promise<void> {
    return this.node(name).server.start(timeoutMs);
  }

  /** Shard 1 replica 1: where apps connect (Distributed tables and ON CLUSTER DDL work from any node). */
  get coordinator(): ClusterNode {
    return this.nodes[0];
  }

  get url(): string {
    return this.coordinator.server.url;
  }

  /** Each shard's nodes' HTTP URLs, shard 1 first: `urls[shard - 1][replica - 1]`. */
  get urls(): string[][] {
    const shards: string[][] = [];
    for (const n of this.nodes) (shards[n.shard - 1] ??= [])[n.replica - 1] = n.server.url;
    return shards;
  }

  /** Every port the cluster listens on (ClickHouse HTTP, native, interserver; ZooKeeper). */
  get ports(): number[] {
    return [
      ...this.nodes.flatMap((n) => [n.server.httpPort, n.server.tcpPort, n.server.interserverHttpPort!]),
      this.zookeeper.clientPort,
    ];
  }

  /** The process ids of the cluster's running servers. */
  get pids(): number[] {
    return [...this.nodes.map((n) => n.server), this.zookeeper].filter((s) => s.running).map((s) => s.pid!);
  }

  /** Addresses and processes, as the state file keeps them. */
  info(): ClusterInfo {
    return {
      name: this.name,
      zookeeper: {
        connect: this.zookeeper.connectString,
        port: this.zookeeper.clientPort,
        pid: (this.zookeeper.running && this.zookeeper.pid) || null,
        dataDir: this.zookeeper.dataDir,
      },
      nodes: this.nodes.map((n) => ({
        name: n.name,
        shard: n.shard,
        replica: n.replica,
        url: n.server.url,
        tcpPort: n.server.tcpPort,
        interserverHttpPort: n.server.interserverHttpPort!,
        pid: (n.server.running && n.server.pid) || null,
        dataDir: n.server.dataDir,
      })),
    };
  }
}
