/** Processes and browser for the dashboard's end-to-end test: the real built apps, started as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { freePort, preparePipeline } from '@pitchpulse/devstack';

export const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(ROOT, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine's Chromium needs headless as root and without internet (machine notes). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireFile(file: string, hint: string): string {
  if (!fs.existsSync(file)) throw new Error(`${path.relative(ROOT, file)} is missing: ${hint}`);
  return file;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** everything it printed, also written to artifacts/<log> */
  output(): string;
}

/** `node script args…` with env; output kept (and teed to artifacts/) for failure messages. */
export function startNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const log = fs.createWriteStream(path.join(ARTIFACTS, `dashboard-e2e-${name}.log`));
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      log.write(chunk);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      log.end();
      resolve(code);
    }),
  );
  return { name, child, exited, output: () => text };
}

export async function stop(proc: Proc | undefined, graceMs = 15_000): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

export async function waitReady(url: string, proc: Proc, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode}) during start-up:\n${proc.output()}`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${proc.output()}`);
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await probe();
      error = undefined;
      if (done(last)) return last;
    } catch (err) {
      error = err;
    }
    if (Date.now() > deadline) {
      const seen = error instanceof Error ? `error ${error.message}` : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Pipeline {
  apiUrl: string;
  api: Proc;
  consumer: Proc;
  enricher: Proc;
  /** Stops the api (SIGTERM, graceful drain) and starts it again on the same port; resolves once it is ready. */
  restartApi(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The api, the consumer and the highlight enricher as child processes (their built `dist/main.js`) on the jest
 * run's stack, with their own topics and ClickHouse database so no other test's matches show up. The consumer
 * flushes every 300 ms so the page has something to show while a match is being played.
 */
export async function startPipeline(): Promise<Pipeline> {
  const apiMain = requireFile(path.join(ROOT, 'apps/api/dist/main.js'), 'run `pnpm run build` first');
  const consumerMain = requireFile(
    path.join(ROOT, 'apps/consumer/dist/main.js'),
    'run `pnpm run build` first',
  );
  const enricherMain = requireFile(
    path.join(ROOT, 'apps/enricher/dist/main.js'),
    'run `pnpm run build` first',
  );
  const id = randomUUID().slice(0, 8);
  const prepared = await preparePipeline(`dashboard_e2e_${id}`, { events: 3 });
  const [apiPort, consumerPort, enricherPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...prepared.env,
    FLUSH_INTERVAL_MS: '300',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    METRICS_PORT: String(consumerPort),
  };
  const consumer = startNode('consumer', consumerMain, [], env);
  const enricher = startNode('enricher', enricherMain, [], {
    ...env,
    METRICS_PORT: String(enricherPort),
    ENRICH_INTERVAL_MS: '200',
  });
  const api = startNode('api', apiMain, [], env);
  const pipeline: Pipeline = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    api,
    consumer,
    enricher,
    restartApi: async (downMs) => {
      await stop(pipeline.api);
      await new Promise((r) => setTimeout(r, downMs));
      pipeline.api = startNode('api-restarted', apiMain, [], env);
      await waitReady(`${pipeline.apiUrl}/ready`, pipeline.api);
    },
    stop: () => Promise.all([stop(pipeline.api), stop(consumer), stop(enricher)]).then(() => undefined),
  };
  try {
    await Promise.all([
      waitReady(`http://127.0.0.1:${consumerPort}/ready`, consumer),
      waitReady(`http://127.0.0.1:${enricherPort}/ready`, enricher),
      waitReady(`${pipeline.apiUrl}/ready`, api),
    ]);
  } catch (err) {
    await pipeline.stop();
    throw err;
  }
  return pipeline;
}

/**
 * Debian's Chromium, headless, in a fresh profile (a new --user-data-dir, removed on close). Playwright takes
 * the profile folder as launchPersistentContext's first argument rather than as a flag.
 */
export async function launchChromium(
  options: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  requireFile(CHROMIUM, 'install Debian chromium: `npm run bootstrap` (or apt-get install chromium)');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options,
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
