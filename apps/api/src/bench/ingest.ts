/**
 * `pnpm bench:ingest`: bare express + JSON parser vs POST /api/events with real produce (acks=all), then the
 * batch endpoint with 100-event bodies beside bare express parsing the same bodies (the machine's floor), all
 * with autocannon (50 connections) in one run on this machine; last, the produce path alone (no HTTP, no validation),
 * the ceiling of the batch endpoint here.
 * Uses KAFKA_BROKERS/CLICKHOUSE_URL when set, else starts a throwaway embedded stack. Needs `pnpm build`.
 *   BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (alternating bare/api rounds, 2), BENCH_CONNECTIONS (50),
 *   BENCH_BATCH_SIZE (100), BENCH_WARMUP (s, 3)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { SERVICE_NODE_FLAGS, StackControl, freePort, startStack, stopStack } from '@pitchpulse/devstack';
import { EVENT_TYPES } from '@pitchpulse/events';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 100);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const API_KEY = 'bench-key';

let seq = 0;
/** A contract-valid event body with a fresh eventId, cheap to build in autocannon's hot loop. */
function eventJson(): string {
  const n = seq++;
  return (
    `{"eventId":"${randomUUID()}","matchId":"bench-${n % 64}","eventType":"${EVENT_TYPES[n % EVENT_TYPES.length]}",` +
    `"timestamp":"2024-01-15T14:${String(n % 60).padStart(2, '0')}:00.${String(n % 1000).padStart(3, '0')}Z",` +
    `"teamId":${(n % 2) + 1},"playerId":"player-${n % 22}","metadata":{"minute":${n % 90},"seq":${n}}}`
  );
}
const batchJson = (): string => `{"events":[${Array.from({ length: batchSize }, eventJson).join(',')}]}`;

interface Run {
  name: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time (user + system) the server process spent per request during the run. */
  cpuUsPerRequest?: number;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

/** utime + stime of a process in ms (Linux /proc), undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** A measured run: autocannon plus the server's CPU time per request. */
async function measured(server: ChildProcess, name: string, url: string, body: () => string): Promise<Run> {
  const before = cpuMs(server.pid);
  const run = await cannon(name, url, body, duration);
  const after = cpuMs(server.pid);
  if (before !== undefined && after !== undefined && run.total > 0) {
    run.cpuUsPerRequest = ((after - before) * 1000) / run.total;
  }
  return run;
}

async function cannon(name: string, url: string, body: () => string, seconds: number): Promise<Run> {
  process.stdout.write(`${name.padEnd(40)} ${seconds} s… `);
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, body: body() }),
      },
    ],
  });
  console.log(`${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`);
  return {
    name,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const children: ChildProcess[] = [];

/**
 * Starts `node script` with the services' node flags (bare express gets them too: same runtime for all); resolves
 * on the first output line `ready` accepts (at once without one).
 */
function startNode(
  script: string,
  env: NodeJS.ProcessEnv,
  ready?: (line: string) => boolean,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    if (!ready) resolve(child);
    const lines: string[] = [];
    const onLine = (line: string) => {
      lines.push(line);
      if (ready?.(line)) resolve(child);
    };
    readline.createInterface({ input: child.stdout! }).on('line', onLine);
    readline.createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
    child.once('exit', (code) =>
      reject(new Error(`${script} exited (${code}):\n${lines.slice(-10).join('\n')}`)),
    );
  });
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready: ${last}`);
}

async function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Runs bench/produce-ceiling.js with this run's settings and returns what it measured. */
async function produceCeiling(
  script: string,
  env: NodeJS.ProcessEnv,
): Promise<{ eventsPerSec: number; cpuUsPerEvent: number }> {
  process.stdout.write(`${'produce path alone'.padEnd(40)} ${duration} s… `);
  let result = '';
  const child = await startNode(
    script,
    {
      ...env,
      DURATION: String(duration),
      CONNECTIONS: String(connections),
      BATCH_SIZE: String(batchSize),
    },
    (line) => {
      result = line;
      return line.startsWith('{');
    },
  );
  await new Promise((resolve) => child.once('exit', resolve));
  const measured = JSON.parse(result) as { eventsPerSec: number; cpuUsPerEvent: number };
  console.log(`${fmt(measured.eventsPerSec)} events/s`);
  return measured;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');

async function main(): Promise<void> {
  const dist = path.resolve(__dirname, '..');
  let stackFile: string | undefined;
  let brokers = process.env.KAFKA_BROKERS;
  let clickhouseUrl = process.env.CLICKHOUSE_URL;
  let topic = process.env.KAFKA_TOPIC_EVENTS ?? 'match-events';
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.log('\ninterrupted: stopping the servers and the stack');
    void Promise.all(children.map(stop))
      .then(() => (stackFile ? stopStack(stackFile) : undefined))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!brokers || !clickhouseUrl) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-bench-'));
      stackFile = path.join(dir, 'stack.json');
      console.log('starting a throwaway embedded stack (ClickHouse 18.16 + librdkafka mock Kafka)…');
      const state = await startStack({
        stateFile: stackFile,
        dataDir: path.join(dir, 'clickhouse'),
        tiedToParent: true,
      });
      brokers = state.kafkaBrokers;
      clickhouseUrl = state.clickhouseUrl;
      topic = `bench-events-${randomUUID().slice(0, 8)}`;
      await new StackControl(state.controlUrl).createTopic(topic, 6);
    }
    console.log(`Kafka ${brokers} (topic ${topic}), ClickHouse ${clickhouseUrl}`);
    console.log(
      `autocannon: ${connections} connections, ${duration} s per run after ${warmup} s of warm-up\n`,
    );

    const barePort = await freePort();
    const bare = await startNode(
      path.join(dist, 'bench', 'bare-server.js'),
      { PORT: String(barePort) },
      (l) => l === 'ready',
    );
    const apiPort = await freePort();
    const api = await startNode(path.join(dist, 'main.js'), {
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: brokers,
      CLICKHOUSE_URL: clickhouseUrl,
      KAFKA_TOPIC_EVENTS: topic,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_SECOND: '1000000000',
      RATE_LIMIT_BURST: '1000000000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const bareUrl = `http://127.0.0.1:${barePort}/api/events`;
    const apiBase = `http://127.0.0.1:${apiPort}`;
    await waitReady(`${apiBase}/ready`);

    // Warm both up, then alternate bare and api runs so a change in machine load hits both alike.
    await cannon('warm-up bare', bareUrl, eventJson, warmup);
    await cannon('warm-up api', `${apiBase}/api/events`, eventJson, warmup);
    await cannon('warm-up batch', `${apiBase}/api/events/batch`, batchJson, warmup);
    const bareRuns: Run[] = [];
    const apiRuns: Run[] = [];
    const batchRuns: Run[] = [];
    const bareBatchRuns: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      bareBatchRuns.push(
        await measured(bare, `bare express batch ×${batchSize} #${round}`, `${bareUrl}/batch`, batchJson),
      );
      bareRuns.push(await measured(bare, `bare express + json → 202 #${round}`, bareUrl, eventJson));
      apiRuns.push(await measured(api, `POST /api/events #${round}`, `${apiBase}/api/events`, eventJson));
      batchRuns.push(
        await measured(
          api,
          `POST /api/events/batch ×${batchSize} #${round}`,
          `${apiBase}/api/events/batch`,
          batchJson,
        ),
      );
    }
    const metrics = await (await fetch(`${apiBase}/metrics`)).text();
    const apiExit = await stop(api);
    const ceiling = await produceCeiling(path.join(dist, 'bench', 'produce-ceiling.js'), {
      KAFKA_BROKERS: brokers,
      CLICKHOUSE_URL: clickhouseUrl,
      KAFKA_TOPIC: topic,
    });

    const sum = (name: string) =>
      metrics
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    const produceCalls = sum('kafka_produce_batch_messages_count');
    const produced = sum('kafka_produce_batch_messages_sum');

    console.log('\n| run | req/s | p50 | p99 | max | requests | non-2xx | errors | server CPU / request |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of [...bareRuns, ...apiRuns, ...bareBatchRuns, ...batchRuns]) {
      console.log(
        `| ${r.name} | ${fmt(r.reqPerSec)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${fmt(r.total)} | ${r.non2xx} | ${r.errors + r.timeouts} | ${r.cpuUsPerRequest === undefined ? 'n/a' : `${Math.round(r.cpuUsPerRequest)} µs`} |`,
      );
    }
    const bareRps = mean(bareRuns.map((r) => r.reqPerSec));
    const apiRps = mean(apiRuns.map((r) => r.reqPerSec));
    const ratio = apiRps / bareRps;
    const apiP99 = median(apiRuns.map((r) => r.p99));
    const eventsPerSec = mean(batchRuns.map((r) => r.reqPerSec)) * batchSize;
    const bareEventsPerSec = mean(bareBatchRuns.map((r) => r.reqPerSec)) * batchSize;
    const bareP99 = median(bareRuns.map((r) => r.p99));
    const cpuRatio =
      mean(bareRuns.map((r) => r.cpuUsPerRequest ?? NaN)) /
      mean(apiRuns.map((r) => r.cpuUsPerRequest ?? NaN));
    console.log('');
    console.log(
      `bare express:          ${fmt(bareRps)} req/s   api: ${fmt(apiRps)} req/s (means of ${rounds} alternating runs)`,
    );
    console.log(
      `ratio api/bare:        ${ratio.toFixed(3)}   (target ≥ 0.80) ${ratio >= 0.8 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `api p99:               ${ms(apiP99)} median, ${ms(Math.max(...apiRuns.map((r) => r.p99)))} worst   (target ≤ 25 ms) ${apiP99 <= 25 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `  floor: bare express p99 ${ms(bareP99)} median on this machine${bareP99 > 25 ? ' — above the target itself' : ''}`,
    );
    console.log(
      `batch events/s:        ${fmt(eventsPerSec)}   (target ≥ 100,000) ${eventsPerSec >= 100_000 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `  floor: bare express + json parse of the same bodies ${fmt(bareEventsPerSec)} events/s; api ÷ bare ${(eventsPerSec / bareEventsPerSec).toFixed(2)}`,
    );
    if (Number.isFinite(cpuRatio)) {
      console.log(
        `server CPU ratio:      ${cpuRatio.toFixed(2)}   (bare CPU per request ÷ api CPU per request)`,
      );
    }
    console.log(
      `  ceiling: the produce path alone (encode + GroupCommitProducer over kafkajs, no HTTP, no validation) ` +
        `${fmt(ceiling.eventsPerSec)} events/s at ${ceiling.cpuUsPerEvent.toFixed(1)} µs CPU per event`,
    );
    console.log(
      `Kafka produce calls:   ${fmt(produceCalls)} for ${fmt(produced)} events (${(produced / Math.max(1, produceCalls)).toFixed(1)} per call)`,
    );
    console.log(`api exit on SIGTERM:   ${apiExit}`);
    if (
      [...bareRuns, ...apiRuns, ...bareBatchRuns, ...batchRuns].some(
        (r) => r.non2xx + r.errors + r.timeouts > 0,
      )
    ) {
      console.log('WARNING: some requests were not answered 2xx; the figures above include them');
    }
  } finally {
    for (const child of children) await stop(child);
    if (stackFile) await stopStack(stackFile);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
