import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isPortOpen, isProcessAlive, waitFor } from './ports';
import type { TopicSpec } from './rdkafka-mock';
import { defaultStateFile, localDir, readState, removeState, type StackState } from './state';
import { PIPELINE_TOPICS } from './topics';

export interface StartOptions {
  stateFile?: string;
  /** ClickHouse data folder; defaults to `.local/clickhouse` (kept between runs). */
  dataDir?: string;
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
  const existing = readState(stateFile);
  if (existing && isProcessAlive(existing.pid)) return existing;
  if (existing) removeState(stateFile);
  if (!fs.existsSync(DAEMON)) throw new Error(`${DAEMON} is missing: run \`pnpm build\` first`);

  const dataDir = path.resolve(options.dataDir ?? path.join(localDir(), 'clickhouse'));
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  const logFile = path.join(path.dirname(stateFile), 'stack.log');
  const log = fs.openSync(logFile, 'a');
  const daemonOptions = {
    stateFile,
    dataDir,
    brokers: options.brokers ?? Number(process.env.PITCHPULSE_KAFKA_BROKERS_COUNT ?? 1),
    topics: options.topics ?? PIPELINE_TOPICS,
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
    options.timeoutMs ?? 60_000,
  );
  return state!;
}

/** Stops a running stack and waits until its processes are gone and its ports are closed. */
export async function stopStack(stateFile = defaultStateFile(), timeoutMs = 30_000): Promise<boolean> {
  const state = readState(stateFile);
  if (!state) return false;
  if (isProcessAlive(state.pid)) process.kill(state.pid, 'SIGTERM');
  const clickhousePort = Number(new URL(state.clickhouseUrl).port);
  const kafkaPorts = state.kafkaBrokers.split(',').map((b) => Number(b.split(':').pop()));
  await waitFor('the stack daemon to exit', () => !isProcessAlive(state.pid), timeoutMs);
  // A daemon killed hard leaves its ClickHouse child behind: stop that too, by its recorded PID.
  if (state.clickhousePid && isProcessAlive(state.clickhousePid)) {
    process.kill(state.clickhousePid, 'SIGTERM');
    await waitFor('clickhouse-server to exit', () => !isProcessAlive(state.clickhousePid!), timeoutMs);
  }
  await waitFor(
    'the stack ports to close',
    async () => !(await Promise.all([clickhousePort, ...kafkaPorts].map((p) => isPortOpen(p)))).some(Boolean),
    timeoutMs,
  );
  removeState(stateFile);
  return true;
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
    controlUrl: env.PITCHPULSE_STACK_CONTROL ?? state?.controlUrl,
  };
}
