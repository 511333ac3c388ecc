import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, preparePipeline } from '@pitchpulse/devstack';
import { repoPath } from './paths';

/** A process started for a check, with its output kept for failure messages. */
export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startProcess(file: string, env: NodeJS.ProcessEnv, cwd?: string): RunningProcess {
  const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Polls `url` until it answers 200, the process exits, or `timeoutMs` passes. */
export async function waitForOk(url: string, proc: RunningProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => (exitCode = code));
  let last = '';
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`process exited (${exitCode}) before ${url} was ok:\n${proc.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ok after ${timeoutMs} ms (last: ${last}):\n${proc.output()}`);
}

/** SIGTERM, then the exit code and how long the process took to exit (SIGKILL after `graceMs`). */
export async function stopProcess(
  proc: RunningProcess,
  graceMs: number,
): Promise<{ code: number | null; ms: number }> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    return { code: proc.child.exitCode, ms: 0 };
  }
  const start = Date.now();
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - start };
}

/** The built api, consumer and enricher, running on the test stack with their own topics, groups and database. */
export interface RunningPipeline {
  api: RunningProcess;
  consumer: RunningProcess;
  enricher: RunningProcess;
  apiUrl: string;
  consumerUrl: string;
  enricherUrl: string;
  topics: { events: string; retry: string; dlq: string };
  database: string;
  /** SIGTERM to each (SIGKILL after 45 s each). */
  stop(): Promise<void>;
}

/**
 * Starts the built consumer, then the enricher and the api, on the jest stack (KAFKA_BROKERS, CLICKHOUSE_URL) under
 * names made of `name` (topics `<name>`, `.retry`, `.dlq`; database and groups alike) and waits until all are
 * ready.
 */
export async function startPipeline(
  name: string,
  env: { api?: NodeJS.ProcessEnv; consumer?: NodeJS.ProcessEnv } = {},
): Promise<RunningPipeline> {
  const [apiMain, consumerMain, enricherMain] = ['api', 'consumer', 'enricher'].map((app) =>
    repoPath(`apps/${app}/dist/main.js`),
  ) as [string, string, string];
  for (const file of [apiMain, consumerMain, enricherMain]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`pnpm run build\` first`);
  }
  const { topics, database, env: pipelineEnv } = await preparePipeline(name, { events: 6, retry: 3 });
  const common = { PATH: process.env.PATH, ...pipelineEnv };
  const metricsPort = await freePort();
  const consumer = startProcess(consumerMain, {
    ...common,
    METRICS_PORT: String(metricsPort),
    FLUSH_INTERVAL_MS: '300',
    ...env.consumer,
  });
  const consumerUrl = `http://127.0.0.1:${metricsPort}`;
  const port = await freePort();
  const started: RunningProcess[] = [consumer];
  const stop = async () => {
    for (const p of started.reverse()) await stopProcess(p, 45_000);
  };
  try {
    await waitForOk(`${consumerUrl}/ready`, consumer, 60_000);
    const enricherPort = await freePort();
    const enricher = startProcess(enricherMain, { ...common, METRICS_PORT: String(enricherPort) });
    started.push(enricher);
    const enricherUrl = `http://127.0.0.1:${enricherPort}`;
    await waitForOk(`${enricherUrl}/ready`, enricher, 60_000);
    const api = startProcess(apiMain, { ...common, PORT: String(port), HOST: '127.0.0.1', ...env.api });
    started.push(api);
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitForOk(`${apiUrl}/ready`, api, 60_000);
    return { api, consumer, enricher, apiUrl, consumerUrl, enricherUrl, topics, database, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
