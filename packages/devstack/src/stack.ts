import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CLUSTER_NAME } from './clickhouse-cluster';
import { isPortOpen, isProcessAlive, waitFor } from './ports';
import type { TopicSpec } from './rdkafka-mock';
import { defaultStateFile, localDir, readState, removeState, type StackState } from './state';
import { PIPELINE_TOPICS } from './topics';

export interface StartOptions {
  stateFile?: string;
  /** ClickHouse data folder; defaults to `.local/clickhouse`, `.local/clickhouse-cluster` with `cluster` (kept between runs). */
  dataDir?: string;
  /**
   * Run ZooKeeper and ClickHouse as 2 shards × 2 replicas instead of one server: `true` for the cluster named
   * `pitchpulse`, or its name (CLICKHOUSE_CLUSTER).
   */
  cluster?: boolean | string;
  brokers?: number;
  topics?: TopicSpec[];
  /** Stop the stack when this process exits (tests). */
  tiedToParent?: boolean;
  timeoutMs?: number;
}

// Compiled daemon: beside this file when running from dist/, in ../dist when this file runs from src/ (jest).
const DAEMON =
  [path.join(__dirname, 'daemon.js'), path.join(__dirname, '..', 'dist', 'daemon.js')].find((f) =>
    fs.existsSync(f),
  ) ?? path.join(__dirname, 'daemon.js');

/** Starts the stack daemon in the background and resolves once ClickHouse answers and Kafka is up. */
export async function startStack(options: StartOptions = {}): Promise<StackState> {
  const stateFile = path.resolve(options.stateFile ?? defaultStateFile());
  const clusterName = options.cluster === true ? DEFAULT_CLUSTER_NAME : options.cluster || undefined;
  const existing = readState(stateFile);
  if (existing && isProcessAlive(existing.pid)) {
    const running = existing.clickhouseCluster?.name;
    if (running !== clusterName) {
      const describe = (name?: string) => (name ? `the ClickHouse cluster ${name}` : 'one ClickHouse server');
      throw new Error(
        `the running stack has ${describe(running)}, not ${describe(clusterName)}: \`pnpm stack down\` first`,
      );
    }
    return existing;
  }
  if (existing) removeState(stateFile);
  if (!fs.existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: run \`pnpm build\` first`);

  const dataDir = path.resolve(
    options.dataDir ?? path.join(localDir(), clusterName ? 'clickhouse-cluster' : 'clickhouse'),
  );
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  const logFile = path.join(path.dirname(stateFile), 'stack.log');
  const log = fs.openSync(logFile, 'a');
  const daemonOptions = {
    stateFile,
    dataDir,
    brokers: options.brokers ?? Number(process.env.PITCHPULSE_KAFKA_BROKERS_COUNT ?? 1),
    topics: options.topics ?? PIPELINE_TOPICS,
    cluster: clusterName ? { name: clusterName } : undefined,
    parentPid: options.tiedToParent ? process.pid : undefined,
  };
  const child = spawn(process.execPath, [DAEMON], {
    detached: !options.tiedToParent,
    stdio: ['ignore', log, log],
    env: { ...process.env, PITCHPULSE_DAEMON_OPTIONS: JSON.stringify(daemonOptions) },
  });
  fs.closeSync(log);
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? -1));
  if (!options.tiedToParent) child.unref();

  let state: StackState | undefined;
  await waitFor(
    'the stack to start',
    () => {
      if (exitCode !== null) {
        const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
        throw new Error(`stack daemon exited with code ${exitCode}:\n${tail}`);
      }
      state = readState(stateFile);
      return state?.pid === child.pid;
    },
    options.timeoutMs ?? (clusterName ? 150_000 : 60_000),
  );
  return state!;
}

/** Stops a running stack and waits until its processes are gone and its ports are closed. */
export async function stopStack(stateFile = defaultStateFile(), timeoutMs = 30_000): Promise<boolean> {
  const state = readState(stateFile);
  if (!state) return false;
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGTERM');
  const cluster = state.clickhouseCluster;
  const clickhousePorts = cluster
    ? cluster.nodes.flatMap((n) => [Number(new URL(n.url).port), n.tcpPort, n.interserverHttpPort])
    : [Number(new URL(state.clickhouseUrl).port)];
  const kafkaPorts = state.kafkaBrokers.split(',').map((b) => Number(b.split(':').pop()));
  await waitFor('the stack daemon to exit', () => !isProcessAlive(state.pid), timeoutMs);
  // A daemon killed hard leaves its children behind: stop them too, by their recorded PIDs; a cluster's ClickHouse
  // nodes before its ZooKeeper (an 18.16 server whose ZooKeeper is gone ignores SIGTERM).
  const clickhousePids = cluster ? cluster.nodes.map((n) => n.pid) : [state.clickhousePid];
  await terminate('clickhouse-server', clickhousePids, timeoutMs);
  if (cluster) await terminate('ZooKeeper', [cluster.zookeeper.pid], timeoutMs);
  const ports = [...clickhousePorts, ...(cluster ? [cluster.zookeeper.port] : []), ...kafkaPorts];
  await waitFor(
    'the stack ports to close',
    async () => !(await Promise.all(ports.map((p) => isPortOpen(p)))).some(Boolean),
    timeoutMs,
  );
  removeState(stateFile);
  return true;
}

/** SIGTERM to those of `pids` still alive; resolves once all are gone. */
async function terminate(
  what: string,
  pids: Array<number | null | undefined>,
  timeoutMs: number,
): Promise<void> {
  const alive = pids.filter((pid): pid is number => !!pid && isProcessAlive(pid));
  for (const pid of alive) process.kill(pid, 'SIGTERM');
  await waitFor(`${what} to exit`, () => !alive.some(isProcessAlive), timeoutMs);
}

export interface AnalystCredentials {
  user: string;
  password: string;
}

/**
 * The read-only analyst account: CLICKHOUSE_ANALYST_USER with the password in CLICKHOUSE_ANALYST_PASSWORD_FILE
 * when set (other servers, e.g. Compose's), otherwise the running embedded stack's; undefined when there is none
 * (external servers without those variables, or a stack started before the account existed).
 */
export function analystCredentials(env: NodeJS.ProcessEnv = process.env): AnalystCredentials | undefined {
  const state = env.CLICKHOUSE_ANALYST_PASSWORD_FILE ? undefined : readState(env.PITCHPULSE_STACK_FILE);
  const user = env.CLICKHOUSE_ANALYST_USER ?? state?.clickhouseAnalystUser;
  const file = env.CLICKHOUSE_ANALYST_PASSWORD_FILE ?? state?.clickhouseAnalystPasswordFile;
  if (!user || !file) return undefined;
  return { user, password: fs.readFileSync(file, 'utf8').trim() };
}

export interface Connection {
  kafkaBrokers: string[];
  clickhouseUrl: string;
  /** CLICKHOUSE_CLUSTER, or the embedded stack's cluster (`pnpm stack up --cluster`); unset: one server. */
  clickhouseCluster?: string;
  /** Set when the embedded stack is in use: fault injection is available. */
  controlUrl?: string;
}

/**
 * Where the apps find Kafka and ClickHouse: KAFKA_BROKERS / CLICKHOUSE_URL when set (external servers),
 * otherwise the running embedded stack's state file.
 */
export function resolveConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const state = env.KAFKA_BROKERS && env.CLICKHOUSE_URL ? undefined : readState(env.PITCHPULSE_STACK_FILE);
  const kafkaBrokers = env.KAFKA_BROKERS ?? state?.kafkaBrokers;
  const clickhouseUrl = env.CLICKHOUSE_URL ?? state?.clickhouseUrl;
  if (!kafkaBrokers || !clickhouseUrl) {
    throw new Error(
      'No Kafka/ClickHouse to connect to: set KAFKA_BROKERS and CLICKHOUSE_URL, or start the embedded stack ' +
        'with `pnpm stack up`.',
    );
  }
  return {
    kafkaBrokers: kafkaBrokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    clickhouseUrl,
    clickhouseCluster: env.CLICKHOUSE_CLUSTER || state?.clickhouseCluster?.name,
    controlUrl: env.PITCHPULSE_STACK_CONTROL ?? state?.controlUrl,
  };
}
