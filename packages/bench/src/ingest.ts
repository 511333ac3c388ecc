import { DEFAULT_TOPICS } from '@pitchpulse/contract';
/**
 * `pnpm bench:ingest`: bare express + JSON parser vs POST /api/events with real produce (acks=all), then the
 * batch endpoint with BENCH_BATCH_SIZE-event bodies beside bare express parsing the same bodies (the machine's
 * floor), all with autocannon in one run on this machine, rounds alternating so a change of machine load hits
 * both alike; last, the produce path alone (no HTTP, no validation), the ceiling of the batch endpoint here.
 * The api runs as a child process from apps/api/dist/main.js. Needs `pnpm build`.
 * Uses KAFKA_BROKERS/CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 *   BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (alternating bare/api rounds, 2), BENCH_CONNECTIONS (50),
 *   BENCH_BATCH_SIZE (100), BENCH_WARMUP (s, 3)
 *   The producer settings (given to the api and to the produce path alone): PRODUCE_LINGER_MS (2),
 *   PRODUCE_MAX_BATCH (1000), PRODUCE_MAX_QUEUED (20000), PRODUCE_TIMEOUT_MS (3000), KAFKA_COMPRESSION (none)
 *
 * Verdict: only 2xx answers count; a run with any non-2xx answer, connection error, timeout or rejected event
 * fails the benchmark (exit 1). Batch events/s are the events the 202 bodies list as accepted, per second.
 */
import { sampleSum } from '@pitchpulse/observability';
import { randomUUID } from 'node:crypto';
import { freePort } from '@pitchpulse/devstack';
import { ingestBatchJson, ingestEventJson } from './events';
import {
  BenchFailure,
  benchScript,
  envNumber,
  fetchText,
  fmt,
  fmtMs,
  fmtRatio,
  load,
  mark,
  median,
  openStack,
  printTable,
  requireAllOk,
  runBench,
  serviceScript,
  startNode,
  waitForUrl,
  withTimeout,
  type LoadRun,
  type NodeChild,
} from './harness';

const duration = envNumber('BENCH_DURATION', 10, { min: 1 });
const connections = envNumber('BENCH_CONNECTIONS', 50, { min: 1, integer: true });
const batchSize = envNumber('BENCH_BATCH_SIZE', 100, { min: 1, integer: true });
const warmup = envNumber('BENCH_WARMUP', 3, { min: 1 });
const rounds = envNumber('BENCH_ROUNDS', 2, { min: 1, integer: true });
const API_KEY = 'bench-key';

/** The api's producer defaults (apps/api/src/config.ts), given to the api and the produce path alike. */
const producerSettings = {
  PRODUCE_LINGER_MS: String(envNumber('PRODUCE_LINGER_MS', 2)),
  PRODUCE_MAX_BATCH: String(envNumber('PRODUCE_MAX_BATCH', 1000, { min: 1, integer: true })),
  PRODUCE_MAX_QUEUED: String(envNumber('PRODUCE_MAX_QUEUED', 20_000, { min: 1, integer: true })),
  PRODUCE_TIMEOUT_MS: String(envNumber('PRODUCE_TIMEOUT_MS', 3000, { min: 1 })),
  KAFKA_COMPRESSION: process.env.KAFKA_COMPRESSION ?? 'none',
};

let seq = 0;
const eventBody = (): string => ingestEventJson(seq++);
const batchBody = (): string => {
  const body = ingestBatchJson(seq, batchSize);
  seq += batchSize;
  return body;
};

/** Runs produce-ceiling.js with this run's settings and answers what it measured. */
async function produceCeiling(
  env: NodeJS.ProcessEnv,
): Promise<{ eventsPerSec: number; cpuUsPerEvent: number }> {
  process.stdout.write(`${'produce path alone'.padEnd(48)} ${duration} s… `);
  let result: string | undefined;
  const child = await startNode('the produce path alone', benchScript('produce-ceiling.js'), {
    env: {
      ...env,
      DURATION: String(duration),
      CONNECTIONS: String(connections),
      BATCH_SIZE: String(batchSize),
    },
    onLine: (line) => {
      if (line.startsWith('{')) result = line;
    },
  });
  const code = await withTimeout('the produce path alone to finish', (duration + 60) * 1000, child.exited);
  if (code !== 0 || result === undefined) {
    throw new BenchFailure(`the produce path alone exited (${code}) without a result:\n${child.tail()}`);
  }
  const measured = JSON.parse(result) as { eventsPerSec: number; cpuUsPerEvent: number };
  console.log(`${fmt(measured.eventsPerSec)} events/s`);
  return measured;
}

async function main(): Promise<void> {
  const stack = await openStack();
  let topic = process.env.KAFKA_TOPIC_EVENTS ?? DEFAULT_TOPICS.events;
  if (stack.throwaway && stack.control) {
    topic = `bench-events-${randomUUID().slice(0, 8)}`;
    await stack.control.createTopic(topic, 6);
  }
  console.log(`Kafka ${stack.kafkaBrokers} (topic ${topic}), ClickHouse ${stack.clickhouseUrl}`);
  console.log(
    `autocannon: ${connections} connections, ${duration} s per run after ${warmup} s of warm-up, ${rounds} round(s); ` +
      `producer ${Object.entries(producerSettings)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}\n`,
  );

  const barePort = await freePort();
  const bare = await startNode('bare express', benchScript('bare-server.js'), {
    env: { PORT: String(barePort) },
    readyLine: (line) => line === 'ready',
  });
  const apiPort = await freePort();
  const api = await startNode('the api', serviceScript('api'), {
    env: {
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: stack.kafkaBrokers,
      CLICKHOUSE_URL: stack.clickhouseUrl,
      KAFKA_TOPIC_EVENTS: topic,
      API_KEYS: API_KEY,
      RATE_LIMIT_PER_SECOND: '1000000000',
      RATE_LIMIT_BURST: '1000000000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      ...producerSettings,
    },
  });
  const bareUrl = `http://127.0.0.1:${barePort}/api/events`;
  const apiBase = `http://127.0.0.1:${apiPort}`;
  await waitForUrl(`${apiBase}/ready`, { what: 'the api to be ready', child: api, timeoutMs: 60_000 });

  const post = (name: string, url: string, body: () => string, seconds: number, server?: NodeChild) =>
    load({
      name,
      url,
      seconds,
      connections,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body,
      countAccepted: true,
      server,
    });

  // Warm both up, then alternate bare and api runs so a change in machine load hits both alike.
  const warmups = [
    await post('warm-up bare', bareUrl, eventBody, warmup),
    await post('warm-up api', `${apiBase}/api/events`, eventBody, warmup),
    await post('warm-up batch', `${apiBase}/api/events/batch`, batchBody, warmup),
  ];
  const bareRuns: LoadRun[] = [];
  const apiRuns: LoadRun[] = [];
  const batchRuns: LoadRun[] = [];
  const bareBatchRuns: LoadRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    bareBatchRuns.push(
      await post(`bare express batch ×${batchSize} #${round}`, `${bareUrl}/batch`, batchBody, duration, bare),
    );
    bareRuns.push(await post(`bare express + json → 202 #${round}`, bareUrl, eventBody, duration, bare));
    apiRuns.push(await post(`POST /api/events #${round}`, `${apiBase}/api/events`, eventBody, duration, api));
    batchRuns.push(
      await post(
        `POST /api/events/batch ×${batchSize} #${round}`,
        `${apiBase}/api/events/batch`,
        batchBody,
        duration,
        api,
      ),
    );
  }
  const metrics = await fetchText(`${apiBase}/metrics`);
  const apiExit = await api.stop();
  const ceiling = await produceCeiling({
    KAFKA_BROKERS: stack.kafkaBrokers,
    KAFKA_TOPIC: topic,
    ...producerSettings,
  });

  const produceCalls = sampleSum(metrics, 'kafka_produce_batch_messages_count');
  const produced = sampleSum(metrics, 'kafka_produce_batch_messages_sum');
  const cpu = (r: LoadRun) =>
    r.cpuUsPerRequest === undefined ? 'n/a' : `${Math.round(r.cpuUsPerRequest)} µs`;
  const allRuns = [...bareRuns, ...apiRuns, ...bareBatchRuns, ...batchRuns];
  printTable(
    [
      'run',
      'ok/s',
      'accepted events/s',
      'p50',
      'p99',
      'max',
      'answers',
      'non-2xx',
      'errors',
      'server CPU / ok answer',
    ],
    allRuns.map((r) => [
      r.name,
      fmt(r.okPerSecond),
      fmt(r.acceptedPerSecond),
      fmtMs(r.latency.p50),
      fmtMs(r.latency.p99),
      fmtMs(r.latency.max),
      fmt(r.responses),
      r.non2xx,
      r.errors + r.timeouts,
      cpu(r),
    ]),
  );

  // Medians over rounds; ratios per round (each round's runs are neighbours in time), then their median.
  const perRound = <T>(a: T[], b: T[], f: (x: T, y: T) => number) => a.map((x, i) => f(x, b[i]!));
  const bareRps = median(bareRuns.map((r) => r.okPerSecond));
  const apiRps = median(apiRuns.map((r) => r.okPerSecond));
  const ratio = median(perRound(apiRuns, bareRuns, (a, b) => a.okPerSecond / b.okPerSecond));
  const apiP99 = median(apiRuns.map((r) => r.latency.p99));
  const bareP99 = median(bareRuns.map((r) => r.latency.p99));
  const eventsPerSec = median(batchRuns.map((r) => r.acceptedPerSecond));
  const bareEventsPerSec = median(bareBatchRuns.map((r) => r.acceptedPerSecond));
  const batchRatio = median(
    perRound(batchRuns, bareBatchRuns, (a, b) => a.acceptedPerSecond / b.acceptedPerSecond),
  );
  const cpuRatio = median(
    perRound(bareRuns, apiRuns, (b, a) => (b.cpuUsPerRequest ?? NaN) / (a.cpuUsPerRequest ?? NaN)),
  );
  console.log('');
  console.log(
    `bare express:          ${fmt(bareRps)} req/s   api: ${fmt(apiRps)} req/s (medians of ${rounds} round(s))`,
  );
  console.log(
    `ratio api ÷ bare:      ${fmtRatio(ratio, 3)}   (target ≥ 0.80) ${mark(ratio >= 0.8)}   (median of per-round ratios)`,
  );
  console.log(
    `api p99:               ${fmtMs(apiP99)} median, ${fmtMs(Math.max(...apiRuns.map((r) => r.latency.p99)))} worst   (target ≤ 25 ms) ${mark(apiP99 <= 25)}`,
  );
  console.log(
    `  floor: bare express p99 ${fmtMs(bareP99)} median on this machine${bareP99 > 25 ? ' — above the target itself' : ''}`,
  );
  console.log(
    `batch events/s:        ${fmt(eventsPerSec)} accepted   (target ≥ 100,000) ${mark(eventsPerSec >= 100_000)}   (events listed as accepted in the 202 bodies)`,
  );
  console.log(
    `  floor: bare express + json parse of the same bodies ${fmt(bareEventsPerSec)} events/s; api ÷ bare ${fmtRatio(batchRatio)}`,
  );
  if (Number.isFinite(cpuRatio)) {
    console.log(
      `server CPU ratio:      ${fmtRatio(cpuRatio)}   (bare CPU per request ÷ api CPU per request)`,
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
  requireAllOk([...warmups, ...allRuns]);
  console.log('verdict:               every answer of every run was 2xx with no rejected event');
}

runBench('bench:ingest', main);
