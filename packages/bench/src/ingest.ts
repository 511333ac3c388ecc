import { DEFAULT_TOPICS } from '@pitchpulse/contract';
/**
 * `pnpm bench:ingest`: bare express + JSON parser vs POST /api/events with real produce (acks=all), then the
 * batch endpoint with BENCH_BATCH_SIZE-event bodies beside bare express parsing the same bodies (the machine's
 * floor), all with autocannon in one run on this machine, rounds alternating so a change of machine load hits
 * both alike; last, the produce path alone (no HTTP, no validation), the ceiling of the batch endpoint here.
 * Bare express is served as express serves an app (`app.listen`, which swaps each request's prototype); beside it
 * the same server served as the api is (@pitchpulse/http, no swap) takes the single-event load in every round, as
 * the floor of what an express server does here.
 * The api runs as a child process from apps/api/dist/main.js. Needs `pnpm build`.
 * The feed-integrity rules' cost: a second api process with `FEED_INTEGRITY=false` takes the same single-event and
 * batch load right beside the api with the rules on (the default), the order of the two alternating per round;
 * `rules on ÷ off` per round, then the median (target ≥ 0.95). The load comes from one source (one API key, one
 * address) at full speed: with the rules on, whatever of it the `source-velocity` rule flags is counted per run
 * from the api's feed_anomalies_total (flags written into each Kafka message, the counter, the rate-limited warn
 * log: the expensive path); the rest still pays the rules' bookkeeping (judge + remembering accepted eventIds).
 * Tracing's cost: an api process with OTEL_EXPORTER_OTLP_ENDPOINT set (every request traced, spans exported to
 * an OTLP receiver in this process that counts them), one tracing 10 % of the requests
 * (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.1`, what a busy deployment would
 * run) and one whose sampler keeps nothing (`OTEL_TRACES_SAMPLER=always_off`: what every request pays for its trace
 * context alone, sampled or not; no target) take the single-event load beside an api without tracing, the four
 * started and warmed up together after the rounds above (the default api has taken far more load by then), and
 * beside them two fresh bare express servers served as the api is, one recording the api's server span for each
 * request (the tracing SDK's own price per request, from which the best case for tracing every request follows):
 * BENCH_TRACING_ROUNDS (8: each api takes each place in the order twice) rounds of BENCH_TRACING_DURATION s (4)
 * each, the apis and the bare servers each back to back in their own group, the order rotated each round;
 * `on ÷ off` per round, then the median (target ≥ 0.9 for every request and for 10 %; none for nothing sampled).
 * Uses KAFKA_BROKERS/CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 *   BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (alternating bare/api rounds, 2), BENCH_CONNECTIONS (50),
 *   BENCH_BATCH_SIZE (100), BENCH_WARMUP (s, 3)
 *   The producer settings (given to the api and to the produce path alone): PRODUCE_LINGER_MS (2),
 *   PRODUCE_MAX_BATCH (1000), PRODUCE_MAX_QUEUED (20000), PRODUCE_TIMEOUT_MS (3000), KAFKA_COMPRESSION (none)
 *   BENCH_NODE_FLAGS: more node flags for both api processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
 *
 * Verdict: only 2xx answers count; a run with any non-2xx answer, connection error, timeout or rejected event
 * fails the benchmark (exit 1). Batch events/s are the events the 202 bodies list as accepted, per second.
 *
 * Latency at a fixed load: after the rounds, an open-loop generator (openLoopLoad: requests sent on schedule
 * whatever the answers, latency from the scheduled send time) offers half of bare express's median req/s of this
 * run to bare express and to POST /api/events, BENCH_OPEN_ROUNDS (5) rounds of BENCH_OPEN_DURATION s (6) each
 * after 1 s not measured, the order alternating; p50/p99 side by side (medians over the rounds), target: api p99
 * ≤ 1.5 × bare p99.
 */
import { sampleSum } from '@pitchpulse/observability';
import { randomUUID } from 'node:crypto';
import { freePort } from '@pitchpulse/devstack';
import { startOtlpReceiver } from '@pitchpulse/tracing';
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
  openLoopLoad,
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
  type OpenLoopRun,
} from './harness';

const duration = envNumber('BENCH_DURATION', 10, { min: 1 });
const connections = envNumber('BENCH_CONNECTIONS', 50, { min: 1, integer: true });
const batchSize = envNumber('BENCH_BATCH_SIZE', 100, { min: 1, integer: true });
const warmup = envNumber('BENCH_WARMUP', 3, { min: 1 });
const rounds = envNumber('BENCH_ROUNDS', 2, { min: 1, integer: true });
const openRounds = envNumber('BENCH_OPEN_ROUNDS', 5, { min: 1, integer: true });
const openDuration = envNumber('BENCH_OPEN_DURATION', 6, { min: 1 });
const tracingRounds = envNumber('BENCH_TRACING_ROUNDS', 8, { min: 1, integer: true });
const tracingDuration = envNumber('BENCH_TRACING_DURATION', 4, { min: 1 });
/** Target: tracing on ÷ off, single events (issue 19). */
const TRACING_RATIO_TARGET = 0.9;
/** Target: the API's open-loop p99 at most this many times bare express's at the same offered rate. */
const OPEN_P99_RATIO_TARGET = 1.5;
const API_KEY = 'bench-key';

/** The api's producer defaults (apps/api/src/config.ts), given to the api and the produce path alike. */
const producerSettings = {
  PRODUCE_LINGER_MS: String(envNumber('PRODUCE_LINGER_MS', 2)),
  PRODUCE_MAX_BATCH: String(envNumber('PRODUCE_MAX_BATCH', 1000, { min: 1, integer: true })),
  PRODUCE_MAX_QUEUED: String(envNumber('PRODUCE_MAX_QUEUED', 20_000, { min: 1, integer: true })),
  PRODUCE_TIMEOUT_MS: String(envNumber('PRODUCE_TIMEOUT_MS', 3000, { min: 1 })),
  KAFKA_COMPRESSION: process.env.KAFKA_COMPRESSION ?? 'none',
};

/** `part` of `whole` as a percentage (`12.3 %`). */
const pct = (part: number, whole: number): string =>
  whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : 'n/a';

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
    env: { PORT: String(barePort), OTEL_SDK_DISABLED: 'true' },
    readyLine: (line) => line === 'ready',
  });
  // The same bare express served as the api is (@pitchpulse/http: no prototype swap per request): the floor of
  // what an express server does on this machine, printed beside the ratio to the baseline above.
  const bareLikeApiPort = await freePort();
  const bareLikeApi = await startNode('bare express served as the api is', benchScript('bare-server.js'), {
    env: { PORT: String(bareLikeApiPort), BARE_SERVE: 'api', OTEL_SDK_DISABLED: 'true' },
    readyLine: (line) => line === 'ready',
  });
  const bareLikeApiUrl = `http://127.0.0.1:${bareLikeApiPort}/api/events`;
  const receiver = await startOtlpReceiver({ keep: false });
  /**
   * Tracing: off, every request, 1 in 10 (the sampler's ratio) or none sampled (always_off), whatever OTEL_*
   * variables this shell has (a collector of its own must not turn tracing on in the baselines, nor change where or
   * how the others export).
   */
  const tracedTo = (sampler: string, ratio = ''): NodeJS.ProcessEnv => ({
    OTEL_SDK_DISABLED: '',
    OTEL_TRACES_EXPORTER: '',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
    OTEL_TRACES_SAMPLER: sampler,
    OTEL_TRACES_SAMPLER_ARG: ratio,
  });
  const tracingEnv: Record<TracingMode, NodeJS.ProcessEnv> = {
    off: { OTEL_SDK_DISABLED: 'true' },
    all: tracedTo('parentbased_always_on'),
    tenth: tracedTo('parentbased_traceidratio', '0.1'),
    never: tracedTo('always_off'),
  };
  const apiEnv = (port: number, rules: boolean, tracing: TracingMode = 'off'): NodeJS.ProcessEnv => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: stack.kafkaBrokers,
    CLICKHOUSE_URL: stack.clickhouseUrl,
    KAFKA_TOPIC_EVENTS: topic,
    API_KEYS: API_KEY,
    RATE_LIMIT_PER_SECOND: '1000000000',
    RATE_LIMIT_BURST: '1000000000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    FEED_INTEGRITY: String(rules),
    ...tracingEnv[tracing],
    ...producerSettings,
  });
  const apiFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  // The feed-integrity rules' warn lines ("feed anomaly: …", at most one a minute per rule, source and match).
  const anomalyLines = { on: 0, off: 0 };
  const apiPort = await freePort();
  const api = await startNode('the api', serviceScript('api'), {
    env: apiEnv(apiPort, true),
    extraFlags: apiFlags,
    onLine: (line) => {
      if (line.includes('feed anomaly')) anomalyLines.on++;
    },
  });
  const offPort = await freePort();
  const apiOff = await startNode('the api with FEED_INTEGRITY=false', serviceScript('api'), {
    env: apiEnv(offPort, false),
    extraFlags: apiFlags,
    onLine: (line) => {
      if (line.includes('feed anomaly')) anomalyLines.off++;
    },
  });
  const bareUrl = `http://127.0.0.1:${barePort}/api/events`;
  const apiBase = `http://127.0.0.1:${apiPort}`;
  const offBase = `http://127.0.0.1:${offPort}`;
  await waitForUrl(`${apiBase}/ready`, { what: 'the api to be ready', child: api, timeoutMs: 60_000 });
  await waitForUrl(`${offBase}/ready`, {
    what: 'the api with FEED_INTEGRITY=false to be ready',
    child: apiOff,
    timeoutMs: 60_000,
  });
  /** Events an api flagged so far, per rule (its feed_anomalies_total). */
  const flaggedBy = async (base: string) => {
    const text = await fetchText(`${base}/metrics`);
    return {
      velocity: sampleSum(text, 'feed_anomalies_total', { rule: 'source-velocity' }),
      all: sampleSum(text, 'feed_anomalies_total'),
    };
  };
  /** Events each run had flagged by any rule (the api's feed_anomalies_total before and after it). */
  const flaggedIn = new Map<LoadRun, { velocity: number; all: number }>();
  const counted = async (base: string, run: () => Promise<LoadRun>): Promise<LoadRun> => {
    const before = await flaggedBy(base);
    const measured = await run();
    const after = await flaggedBy(base);
    flaggedIn.set(measured, { velocity: after.velocity - before.velocity, all: after.all - before.all });
    return measured;
  };

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

  // Warm every server up, then alternate bare and api runs so a change in machine load hits both alike; the api
  // with the rules off runs right beside the api with them on, which of the two goes first alternating per round.
  const warmups = [
    await post('warm-up bare', bareUrl, eventBody, warmup),
    await post('warm-up bare served as the api is', bareLikeApiUrl, eventBody, warmup),
    await post('warm-up api', `${apiBase}/api/events`, eventBody, warmup),
    await post('warm-up batch', `${apiBase}/api/events/batch`, batchBody, warmup),
    await post('warm-up api, rules off', `${offBase}/api/events`, eventBody, warmup),
    await post('warm-up batch, rules off', `${offBase}/api/events/batch`, batchBody, warmup),
  ];
  const bareRuns: LoadRun[] = [];
  const bareLikeApiRuns: LoadRun[] = [];
  const apiRuns: LoadRun[] = [];
  const batchRuns: LoadRun[] = [];
  const bareBatchRuns: LoadRun[] = [];
  const offRuns: LoadRun[] = [];
  const offBatchRuns: LoadRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    bareBatchRuns.push(
      await post(`bare express batch ×${batchSize} #${round}`, `${bareUrl}/batch`, batchBody, duration, bare),
    );
    bareRuns.push(await post(`bare express + json → 202 #${round}`, bareUrl, eventBody, duration, bare));
    bareLikeApiRuns.push(
      await post(
        `bare express served as the api is #${round}`,
        bareLikeApiUrl,
        eventBody,
        duration,
        bareLikeApi,
      ),
    );
    // The api with the rules on, and with them off: on first in odd rounds, off first in even ones.
    for (const rules of round % 2 === 1 ? [true, false] : [false, true]) {
      if (!rules) {
        offRuns.push(
          await counted(offBase, () =>
            post(
              `POST /api/events, rules off #${round}`,
              `${offBase}/api/events`,
              eventBody,
              duration,
              apiOff,
            ),
          ),
        );
        continue;
      }
      apiRuns.push(
        await counted(apiBase, () =>
          post(`POST /api/events #${round}`, `${apiBase}/api/events`, eventBody, duration, api),
        ),
      );
    }
    for (const rules of round % 2 === 1 ? [true, false] : [false, true]) {
      const [base, server, label, runs] = rules
        ? ([apiBase, api, '', batchRuns] as const)
        : ([offBase, apiOff, ', rules off', offBatchRuns] as const);
      runs.push(
        await counted(base, () =>
          post(
            `POST /api/events/batch ×${batchSize}${label} #${round}`,
            `${base}/api/events/batch`,
            batchBody,
            duration,
            server,
          ),
        ),
      );
    }
  }
  // Four fresh apis, alike but for tracing, and two fresh bare express servers, without tracing and with the
  // api's server span (the SDK's own price), started and warmed up together: the default api and bare express above
  // have taken far more load by now (a longer JIT warm-up, a grown heap), which would favour them.
  const tracingServers = await Promise.all(
    TRACING_VARIANTS.map(async (variant) => {
      const port = await freePort();
      const what = tracedServerName(variant);
      const { server, tracing } = TRACED[variant];
      const child =
        server === 'api'
          ? await startNode(what, serviceScript('api'), {
              env: apiEnv(port, true, tracing),
              extraFlags: apiFlags,
            })
          : await startNode(what, benchScript('bare-server.js'), {
              env: { PORT: String(port), BARE_SERVE: 'api', ...tracingEnv[tracing] },
              readyLine: (line) => line === 'ready',
            });
      const url = `http://127.0.0.1:${port}`;
      if (server === 'api') await waitForUrl(`${url}/ready`, { what, child, timeoutMs: 60_000 });
      return { variant, child, url };
    }),
  );
  const tracingRun = (variant: TracingVariant, name: string, seconds: number) => {
    const { child, url } = tracingServers.find((a) => a.variant === variant)!;
    return post(name, `${url}/api/events`, eventBody, seconds, child);
  };
  for (const variant of TRACING_VARIANTS) {
    warmups.push(await tracingRun(variant, `warm-up ${tracedServerName(variant)}`, warmup));
  }
  const tracing = await tracingRoundsOf((variant, round) =>
    tracingRun(variant, `${tracedServerName(variant)} #${round}`, tracingDuration),
  );
  // All six stopped before the receiver closes: their last spans are exported on the way out.
  const tracingExits = await Promise.all(tracingServers.map((a) => a.child.stop()));
  const openLoop = await openLoopRounds(
    median(bareRuns.map((r) => r.okPerSecond)) / 2,
    (name, url, rate) =>
      openLoopLoad({
        name,
        url,
        rate,
        seconds: openDuration + 1,
        warmupSeconds: 1,
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: eventBody,
      }),
    bareUrl,
    `${apiBase}/api/events`,
  );
  const metrics = await fetchText(`${apiBase}/metrics`);
  const apiExit = await api.stop();
  const apiOffExit = await apiOff.stop();
  await bareLikeApi.stop();
  await receiver.close();
  const ceiling = await produceCeiling({
    KAFKA_BROKERS: stack.kafkaBrokers,
    KAFKA_TOPIC: topic,
    ...producerSettings,
  });

  const produceCalls = sampleSum(metrics, 'kafka_produce_batch_messages_count');
  const produced = sampleSum(metrics, 'kafka_produce_batch_messages_sum');
  const cpu = (r: LoadRun) =>
    r.cpuUsPerRequest === undefined ? 'n/a' : `${Math.round(r.cpuUsPerRequest)} µs`;
  const allRuns = [
    ...bareRuns,
    ...bareLikeApiRuns,
    ...apiRuns,
    ...offRuns,
    ...tracing.off,
    ...tracing.all,
    ...tracing.tenth,
    ...tracing.never,
    ...tracing.bareOff,
    ...tracing.bareAll,
    ...bareBatchRuns,
    ...batchRuns,
    ...offBatchRuns,
  ];
  const flaggedCell = (r: LoadRun) => {
    const flagged = flaggedIn.get(r);
    return flagged === undefined ? '—' : `${fmt(flagged.all)} (${pct(flagged.all, r.accepted)})`;
  };
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
      'events flagged',
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
      flaggedCell(r),
    ]),
  );

  // Medians over rounds; ratios per round (each round's runs are neighbours in time), then their median.
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
  const bareLikeApiRps = median(bareLikeApiRuns.map((r) => r.okPerSecond));
  const likeApiRatio = median(perRound(apiRuns, bareLikeApiRuns, (a, b) => a.okPerSecond / b.okPerSecond));
  const cpuRatio = median(
    perRound(bareRuns, apiRuns, (b, a) => (b.cpuUsPerRequest ?? NaN) / (a.cpuUsPerRequest ?? NaN)),
  );
  console.log('');
  console.log(
    `bare express:          ${fmt(bareRps)} req/s   api: ${fmt(apiRps)} req/s (medians of ${rounds} round(s))`,
  );
  console.log(
    `ratio api ÷ bare:      ${fmtRatio(ratio, 3)}   (target ≥ 0.80) ${mark(ratio >= 0.8)}   (median of per-round ratios; bare express served by app.listen)`,
  );
  console.log(
    `  floor: bare express served as the api is (no prototype swap per request) ${fmt(bareLikeApiRps)} req/s; ` +
      `api ÷ that ${fmtRatio(likeApiRatio, 3)}`,
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

  // The rules' cost: the api with them on vs off, per round (neighbours in time), then the median.
  const offRps = median(offRuns.map((r) => r.okPerSecond));
  const onOffRounds = perRound(apiRuns, offRuns, (a, b) => a.okPerSecond / b.okPerSecond);
  const onOffRatio = median(onOffRounds);
  const offEventsPerSec = median(offBatchRuns.map((r) => r.acceptedPerSecond));
  const onOffBatchRounds = perRound(
    batchRuns,
    offBatchRuns,
    (a, b) => a.acceptedPerSecond / b.acceptedPerSecond,
  );
  const onOffBatchRatio = median(onOffBatchRounds);
  // How far the per-round ratios spread: this machine's noise floor for a 0.95 target.
  const share = (runs: LoadRun[]) => {
    const flagged = runs.reduce((n, r) => n + (flaggedIn.get(r)?.all ?? 0), 0);
    const velocity = runs.reduce((n, r) => n + (flaggedIn.get(r)?.velocity ?? 0), 0);
    const events = runs.reduce((n, r) => n + r.accepted, 0);
    return `${fmt(flagged)} of ${fmt(events)} events flagged (${pct(flagged, events)}; source-velocity ${fmt(velocity)})`;
  };
  console.log('');
  console.log(
    `feed-integrity rules:  the api with the rules on (default) vs a second api with FEED_INTEGRITY=false, same load, ` +
      `the order alternating per round; ratios per round, then their median`,
  );
  console.log(
    `  single events:       on ${fmt(apiRps)} req/s, off ${fmt(offRps)} req/s; ` +
      `rules on ÷ off ${fmtRatio(onOffRatio, 3)}   (target ≥ 0.95) ${mark(onOffRatio >= 0.95)}` +
      `   server CPU per answer on ÷ off ${fmtRatio(onOffCpu(apiRuns, offRuns))}\n` +
      `                       ${spread(onOffRounds)}`,
  );
  console.log(
    `  batch ×${batchSize}:           on ${fmt(eventsPerSec)} events/s, off ${fmt(offEventsPerSec)} events/s; ` +
      `rules on ÷ off ${fmtRatio(onOffBatchRatio, 3)}   (target ≥ 0.95) ${mark(onOffBatchRatio >= 0.95)}` +
      `   server CPU per answer on ÷ off ${fmtRatio(onOffCpu(batchRuns, offBatchRuns))}\n` +
      `                       ${spread(onOffBatchRounds)}`,
  );
  console.log(
    `  flagged (rules on):  single ${share(apiRuns)}; batch ${share(batchRuns)}; ` +
      `${anomalyLines.on} "feed anomaly" warn line(s) in the whole run (rules off: ${anomalyLines.off})`,
  );
  console.log(
    `  the load is one source (one API key, one address) at full speed: what source-velocity flags (its rate ` +
      `jumping against its own last minute) pays the expensive path — the flags written into each Kafka message, ` +
      `feed_anomalies_total and the rate-limited warn log; the rest pays the bookkeeping alone (judge, accepted eventIds)`,
  );
  printTracing(tracing, receiver.requests);
  printOpenLoop(openLoop);
  console.log(
    `api exit on SIGTERM:   ${apiExit} (rules off: ${apiOffExit}; tracing off, every request, 10 %, nothing sampled, bare express off and on: ${tracingExits.join(', ')})`,
  );
  requireAllOk([...warmups, ...allRuns]);
  requireOpenLoopOk([...openLoop.bare, ...openLoop.api]);
  console.log('verdict:               every answer of every run was 2xx with no rejected event');
}

/** f of each round's pair of runs (a round's runs are neighbours in time). */
const perRound = <T>(a: T[], b: T[], f: (x: T, y: T) => number) => a.map((x, i) => f(x, b[i]!));
/** How far the per-round ratios spread: this machine's noise floor for a target. */
const spread = (ratios: number[]) => `per round ${ratios.map((r) => fmtRatio(r)).join(' / ')}`;
/** The median per-round ratio of the server's CPU per answer, `on` ÷ `off`. */
const onOffCpu = (on: LoadRun[], off: LoadRun[]) =>
  median(perRound(on, off, (a, b) => (a.cpuUsPerRequest ?? NaN) / (b.cpuUsPerRequest ?? NaN)));

/** Tracing: off, every request, 1 in 10 (the sampler's ratio), or on with a sampler that keeps no trace. */
type TracingMode = 'off' | 'all' | 'tenth' | 'never';
const TRACING_LABEL: Record<TracingMode, string> = {
  off: 'off',
  all: 'every request',
  tenth: '10 %',
  never: 'on, nothing sampled',
};
/** The servers of the tracing rounds: the api four ways, and bare express without and with a server span. */
const TRACED = {
  off: { server: 'api', tracing: 'off' },
  all: { server: 'api', tracing: 'all' },
  tenth: { server: 'api', tracing: 'tenth' },
  never: { server: 'api', tracing: 'never' },
  bareOff: { server: 'bare', tracing: 'off' },
  bareAll: { server: 'bare', tracing: 'all' },
} as const satisfies Record<string, { server: 'api' | 'bare'; tracing: TracingMode }>;
type TracingVariant = keyof typeof TRACED;
const TRACING_VARIANTS = Object.keys(TRACED) as TracingVariant[];
const tracedServerName = (variant: TracingVariant) => {
  const { server, tracing } = TRACED[variant];
  return `${server === 'api' ? 'the api' : 'bare express served as the api is'}, tracing ${TRACING_LABEL[tracing]}`;
};

/**
 * Tracing's cost: short runs of an api without OTEL_* variables, one tracing every request, one tracing 10 %, one
 * whose sampler keeps nothing, and of bare express without and with the api's server span. The four apis run back
 * to back, their order rotated each round, then the two bare servers likewise (the two groups taking turns to go
 * first): short rounds keep each comparison's runs seconds apart, as this VM's speed drifts by tens of per cent
 * within a minute.
 */
async function tracingRoundsOf(
  run: (variant: TracingVariant, round: number) => Promise<LoadRun>,
): Promise<Record<TracingVariant, LoadRun[]>> {
  const runs = Object.fromEntries(TRACING_VARIANTS.map((v) => [v, []])) as unknown as Record<
    TracingVariant,
    LoadRun[]
  >;
  const rotated = <T>(items: readonly T[], by: number) =>
    items.map((_, i) => items[(by + i) % items.length]!);
  const groups = (['api', 'bare'] as const).map((server) =>
    TRACING_VARIANTS.filter((variant) => TRACED[variant].server === server),
  );
  for (let round = 0; round < tracingRounds; round++) {
    const order = rotated(groups, round).flatMap((group) => rotated(group, round));
    for (const variant of order) runs[variant].push(await run(variant, round + 1));
  }
  return runs;
}

function printTracing(runs: Record<TracingVariant, LoadRun[]>, exportRequests: number): void {
  const rps = (r: LoadRun[]) => fmt(median(r.map((x) => x.okPerSecond)));
  const cpuPerAnswer = (r: LoadRun[]) => median(r.map((x) => x.cpuUsPerRequest ?? NaN));
  const okRatios = (on: LoadRun[], off: LoadRun[]) =>
    perRound(on, off, (a, b) => a.okPerSecond / b.okPerSecond);
  console.log('');
  console.log(
    `tracing:               four fresh apis started and warmed up together, alike but for tracing: off, and ` +
      `OTEL_EXPORTER_OTLP_ENDPOINT set (spans exported to a local ` +
      `OTLP receiver: ${fmt(exportRequests)} export requests), and two fresh bare express servers, ` +
      `${tracingRounds} rounds × ${tracingDuration} s, the order rotated each round; ratios per round, then their ` +
      `median; off ${rps(runs.off)} req/s`,
  );
  // The SDK's own price: what recording the api's server span adds to bare express's CPU per answer, per round,
  // in the same rounds. Added to the api's CPU per answer without tracing, it gives the best on ÷ off that tracing
  // every request could reach if it cost the api no more than that span.
  const cpuDelta = (on: LoadRun[], off: LoadRun[]) =>
    perRound(on, off, (a, b) => (a.cpuUsPerRequest ?? NaN) - (b.cpuUsPerRequest ?? NaN));
  const sdkUs = cpuDelta(runs.bareAll, runs.bareOff);
  const apiUs = cpuDelta(runs.all, runs.off);
  const best = cpuPerAnswer(runs.off) / (cpuPerAnswer(runs.off) + median(sdkUs));
  const us = (values: number[]) =>
    values.every(Number.isFinite)
      ? values.map((v) => `${v >= 0 ? '+' : ''}${Math.round(v)}`).join(' / ')
      : 'n/a';
  const bestText = Number.isFinite(best) ? fmtRatio(best, 2) : 'n/a';
  const row = (label: string, on: LoadRun[], note: string, target = true) => {
    const ratios = okRatios(on, runs.off);
    const ratio = median(ratios);
    const verdict = target
      ? `(target ≥ ${TRACING_RATIO_TARGET}) ${mark(ratio >= TRACING_RATIO_TARGET)}`
      : '(no target)';
    console.log(
      `  ${label.padEnd(21)}${rps(on)} req/s; on ÷ off ${fmtRatio(ratio, 3)}   ${verdict}   ` +
        `server CPU per answer on ÷ off ${fmtRatio(onOffCpu(on, runs.off))}   (${note})\n` +
        `                       ${spread(ratios)}`,
    );
  };
  row(
    'every request:',
    runs.all,
    `the default sampler, parentbased_always_on; best case at the SDK's price ${bestText}, below`,
  );
  row(
    '10 % sampled:',
    runs.tenth,
    'OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG 0.1, as docs/operations.md#tracing advises: every request ' +
      'still carries and forwards its context',
  );
  row(
    'nothing sampled:',
    runs.never,
    'OTEL_TRACES_SAMPLER=always_off: the trace context alone, which every traced request pays whether or not its ' +
      'trace is sampled (ids, the sampler, a non-recording span, the traceparent on its messages); nothing exported',
    false,
  );
  const bareRatios = okRatios(runs.bareAll, runs.bareOff);
  console.log(
    `  the SDK's own price: bare express recording the api's server span ${rps(runs.bareAll)} req/s ÷ without ` +
      `${rps(runs.bareOff)} req/s: ${fmtRatio(median(bareRatios), 2)} (${spread(bareRatios)}); CPU per answer ` +
      `+${Math.round(median(sdkUs))} µs (median; per round ${us(sdkUs)} µs). The api spends ` +
      `${Math.round(cpuPerAnswer(runs.off))} µs per answer without tracing: at that price alone, tracing every ` +
      `request would leave it ${bestText} of its rate (best case); tracing costs it ` +
      `+${Math.round(median(apiUs))} µs per answer (per round ${us(apiUs)} µs)`,
  );
}

/** Rounds of open-loop load at `rate` on bare express and the api, which of the two goes first alternating. */
async function openLoopRounds(
  rate: number,
  run: (name: string, url: string, rate: number) => Promise<OpenLoopRun>,
  bareUrl: string,
  apiUrl: string,
): Promise<{ rate: number; bare: OpenLoopRun[]; api: OpenLoopRun[] }> {
  const offered = Math.round(rate);
  const bare: OpenLoopRun[] = [];
  const api: OpenLoopRun[] = [];
  for (let round = 1; round <= openRounds; round++) {
    for (const which of round % 2 === 1 ? ['bare', 'api'] : ['api', 'bare']) {
      if (which === 'bare') bare.push(await run(`open loop, bare express #${round}`, bareUrl, offered));
      else api.push(await run(`open loop, POST /api/events #${round}`, apiUrl, offered));
    }
  }
  return { rate: offered, bare, api };
}

function printOpenLoop({ rate, bare, api }: { rate: number; bare: OpenLoopRun[]; api: OpenLoopRun[] }): void {
  const p50 = (runs: OpenLoopRun[]) => median(runs.map((r) => r.latency.p50));
  const p99 = (runs: OpenLoopRun[]) => median(runs.map((r) => r.latency.p99));
  const p99Ratios = api.map((a, i) => a.latency.p99 / bare[i]!.latency.p99);
  const ratio = p99(api) / p99(bare);
  console.log('');
  console.log(
    `latency at a fixed load: open loop at ${fmt(rate)} req/s (half of bare express's median above), ` +
      `${openRounds} round(s) × ${openDuration} s, latency from each request's scheduled send time; medians over the rounds`,
  );
  const row = (label: string, runs: OpenLoopRun[]) => [
    label,
    fmtMs(p50(runs)),
    fmtMs(p99(runs)),
    runs.map((r) => fmtMs(r.latency.p99)).join(' / '),
    fmtMs(Math.max(...runs.map((r) => r.latency.max))),
    fmtMs(Math.max(...runs.map((r) => r.maxSendLagMs))),
  ];
  printTable(
    ['server', 'p50', 'p99', 'p99 per round', 'max', 'generator late at most'],
    [row('bare express + json → 202 (app.listen)', bare), row('POST /api/events', api)],
  );
  console.log(
    `open-loop p99 api ÷ bare: ${fmtRatio(ratio)}   (target ≤ ${OPEN_P99_RATIO_TARGET}) ` +
      `${mark(ratio <= OPEN_P99_RATIO_TARGET)}   (medians; per round ${p99Ratios.map((x) => fmtRatio(x)).join(' / ')})`,
  );
}

/** Every open-loop request must have been answered 2xx: else its latency would be left out. */
function requireOpenLoopOk(runs: OpenLoopRun[]): void {
  const failed = runs.filter((r) => Object.keys(r.failed).length > 0 || r.ok !== r.sent);
  if (failed.length > 0) {
    throw new BenchFailure(
      `open-loop runs with failed requests: ${failed.map((r) => `${r.name}: ${r.ok} of ${r.sent} ok ${JSON.stringify(r.failed)}`).join('; ')}`,
    );
  }
}

runBench('bench:ingest', main);
