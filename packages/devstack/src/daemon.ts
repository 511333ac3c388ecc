/**
 * The stack daemon: one process that owns the embedded ClickHouse server (or, with `cluster`, ZooKeeper and a
 * ClickHouse cluster) and the librdkafka mock cluster
 * (which lives inside the process that created it), and exposes a small HTTP control surface so tests in
 * other processes can inject faults. Started by `stack up` and by jest's global setup; stopped by SIGTERM.
 */
import http from 'node:http';
import { ClickHouseCluster } from './clickhouse-cluster';
import { ClickHouseServer } from './clickhouse-server';
import { isProcessAlive } from './ports';
import { MockKafkaCluster, type TopicSpec } from './rdkafka-mock';
import { removeState, writeState, type StackState } from './state';

export interface DaemonOptions {
  stateFile: string;
  dataDir: string;
  brokers: number;
  topics: TopicSpec[];
  /** Run ZooKeeper and a 2 × 2 ClickHouse cluster of this name instead of one ClickHouse server. */
  cluster?: { name: string };
  /** Exit when this process dies (tests); unset for a long-lived `stack up`. */
  parentPid?: number;
}

type Handler = (body: Record<string, unknown>, params: string[]) => unknown | Promise<unknown>;

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function intParam(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  const cluster = options.cluster
    ? await ClickHouseCluster.create({ dataDir: options.dataDir, name: options.cluster.name })
    : undefined;
  // The one server, or the cluster's coordinator (shard 1 replica 1): where apps connect.
  const clickhouse = cluster
    ? cluster.coordinator.server
    : await ClickHouseServer.create({ dataDir: options.dataDir });
  const startClickHouse = (): Promise<void> => (cluster ? cluster.startNodes() : clickhouse.start());
  const stopClickHouse = (): Promise<void> => (cluster ? cluster.stopNodes() : clickhouse.stop());
  const clusterOnly = (): ClickHouseCluster => {
    if (!cluster)
      throw new Error('this stack runs one ClickHouse server, not a cluster (pnpm stack up --cluster)');
    return cluster;
  };
  if (cluster) await cluster.start();
  else await clickhouse.start();
  const kafka = MockKafkaCluster.create(options.brokers);
  for (const topic of options.topics) kafka.createTopic(topic);

  let shuttingDown = false;
  const routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/status$/, () => ({ ...stateNow(), clickhouseRunning: clickhouse.running })],
    [
      'POST',
      /^\/kafka\/topics$/,
      (b) =>
        kafka.createTopic({ name: String(b.name), partitions: intParam(b.partitions ?? 1, 'partitions') }),
    ],
    ['POST', /^\/kafka\/brokers\/(\d+)\/down$/, (_b, [id]) => kafka.setBrokerDown(Number(id))],
    ['POST', /^\/kafka\/brokers\/(\d+)\/up$/, (_b, [id]) => kafka.setBrokerUp(Number(id))],
    [
      'POST',
      /^\/kafka\/brokers\/(\d+)\/rtt$/,
      (b, [id]) => kafka.setBrokerRtt(Number(id), intParam(b.rttMs, 'rttMs')),
    ],
    [
      'POST',
      /^\/kafka\/request-errors$/,
      (b) => kafka.pushRequestErrors(intParam(b.apiKey, 'apiKey'), (b.errors as number[]).map(Number)),
    ],
    ['DELETE', /^\/kafka\/request-errors\/(\d+)$/, (_b, [key]) => kafka.clearRequestErrors(Number(key))],
    // With a cluster: every ClickHouse node (ZooKeeper keeps running).
    ['POST', /^\/clickhouse\/stop$/, () => stopClickHouse().then(publish)],
    ['POST', /^\/clickhouse\/start$/, () => startClickHouse().then(publish)],
    [
      'POST',
      /^\/clickhouse\/nodes\/(\w+)\/stop$/,
      (b, [name]) =>
        clusterOnly()
          .stopNode(name, b.signal === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM')
          .then(publish),
    ],
    [
      'POST',
      /^\/clickhouse\/nodes\/(\w+)\/start$/,
      (_b, [name]) => clusterOnly().startNode(name).then(publish),
    ],
    ['POST', /^\/shutdown$/, () => void setImmediate(shutdown)],
  ];

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const route = routes.find(([method, re]) => method === req.method && re.test(url.pathname));
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such control route"}');
        return;
      }
      try {
        const params = route[1].exec(url.pathname)!.slice(1);
        const result = await route[2](await readJson(req), params);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(result ?? { ok: true }));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (err as Error).message }));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const controlPort = (server.address() as { port: number }).port;

  function stateNow(): StackState {
    return {
      pid: process.pid,
      controlUrl: `http://127.0.0.1:${controlPort}`,
      kafkaBrokers: kafka.bootstrapServers,
      kafkaBrokerCount: kafka.brokerCount,
      clickhouseUrl: clickhouse.url,
      clickhouseTcpPort: clickhouse.tcpPort,
      clickhousePid: clickhouse.pid ?? null,
      clickhouseAnalystUser: clickhouse.analyst.user,
      clickhouseAnalystPasswordFile: clickhouse.analyst.passwordFile,
      dataDir: options.dataDir,
      startedAt: new Date().toISOString(),
      ...(cluster ? { clickhouseCluster: cluster.info() } : {}),
    };
  }
  const startedAt = new Date().toISOString();
  function publish(): void {
    writeState(options.stateFile, { ...stateNow(), startedAt });
  }

  async function shutdown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    server.close();
    server.closeAllConnections();
    // A cluster's ClickHouse nodes go first: an 18.16 server whose ZooKeeper is gone ignores SIGTERM.
    await (cluster ? cluster.stop() : clickhouse.stop()).catch(() => undefined);
    kafka.destroy();
    removeState(options.stateFile);
    process.exit(0);
  }

  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  if (options.parentPid !== undefined) {
    const parentPid = options.parentPid;
    setInterval(() => {
      if (!isProcessAlive(parentPid)) void shutdown();
    }, 500).unref();
  }
  publish();
}

if (require.main === module) {
  const options = JSON.parse(process.env.PITCHPULSE_DAEMON_OPTIONS ?? '{}') as DaemonOptions;
  runDaemon(options).catch((err: Error) => {
    console.error(`stack daemon failed: ${err.message}`);
    process.exit(1);
  });
}
