/**
 * `pnpm bench:read`: GET /api/matches/{id}/metrics under load, beside the same metrics computed by scanning the
 * raw table. Loads BENCH_EVENTS (5,000,000) events over BENCH_MATCHES (200) matches, 1 % of them delivered twice,
 * straight into a throwaway ClickHouse database (TabSeparated batches through insertEvents), starts the API as a
 * child process, and measures in one run:
 *   1. the views query (getMatchMetrics) and the raw-table scan (getMatchMetricsFromEvents) directly, interleaved,
 *      one client, then each with BENCH_CONNECTIONS concurrent clients for BENCH_CONCURRENT_SECONDS (5) s;
 *   2. the endpoint on each match's first request (nothing in memory yet);
 *   3. the endpoint with autocannon, BENCH_CONNECTIONS (50) connections for BENCH_DURATION (15) s, random matches,
 *      then GET /health of the same server as the floor of this machine;
 *   4. the same while BENCH_LIVE_MATCHES (10) matches receive BENCH_LIVE_RATE (1,000) events/s in one insert per
 *      second (as the consumer flushes), so their answers keep changing.
 * Uses KAFKA_BROKERS/CLICKHOUSE_URL when both are set, else starts a throwaway embedded stack. Needs `pnpm build`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import {
  createClickHouseClient,
  detectCapabilities,
  execute,
  getMatchMetrics,
  getMatchMetricsFromEvents,
  identifier,
  insertEvents,
  runMigrations,
  selectRows,
  sql,
} from '@pitchpulse/clickhouse';
import { freePort, startStack, stopStack } from '@pitchpulse/devstack';
import { EVENT_TYPES, type StoredEvent } from '@pitchpulse/events';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MATCHES = env('BENCH_MATCHES', 200);
const EVENTS = env('BENCH_EVENTS', 5_000_000);
const PER_MATCH = Math.floor(EVENTS / MATCHES);
const DUPLICATE_SHARE = env('BENCH_DUPLICATES', 0.01);
const CONNECTIONS = env('BENCH_CONNECTIONS', 50);
const DURATION = env('BENCH_DURATION', 15);
const WARMUP = env('BENCH_WARMUP', 3);
const QUERY_ROUNDS = env('BENCH_QUERY_ROUNDS', 200);
const CONCURRENT_SECONDS = env('BENCH_CONCURRENT_SECONDS', 5);
const LIVE_MATCHES = env('BENCH_LIVE_MATCHES', 10);
const LIVE_RATE = env('BENCH_LIVE_RATE', 1000);
const BATCH = 100_000;
const TARGET_P99_MS = 20;

// ---------------------------------------------------------------------------------------------------------
// Data: realistic type mix, two squads per match, the feed's minute in the metadata

const WEIGHTS: Array<[StoredEvent['eventType'], number]> = [
  ['pass', 60],
  ['interception', 10],
  ['foul', 5],
  ['free_kick', 5],
  ['shot', 6],
  ['corner', 4],
  ['offside', 2],
  ['substitution', 2],
  ['yellow_card', 2],
  ['goal', 1],
  ['red_card', 0.2],
];
const WEIGHT_SUM = WEIGHTS.reduce((a, [, w]) => a + w, 0);
if (EVENT_TYPES.some((t) => !WEIGHTS.some(([w]) => w === t)))
  throw new Error('every event type needs a weight');

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KICKOFF = Date.parse('2024-03-02T12:00:00.000Z');
const matchId = (m: number) => `bench-${m}`;

function pickType(r: number): StoredEvent['eventType'] {
  let x = r * WEIGHT_SUM;
  for (const [type, w] of WEIGHTS) if ((x -= w) < 0) return type;
  return 'pass';
}

/** The events of match `m` with index from..to (exclusive), in time order. */
function matchEvents(m: number, from: number, to: number, rand: () => number): StoredEvent[] {
  const kickoff = KICKOFF + m * 2 * 3_600_000;
  const out: StoredEvent[] = [];
  for (let i = from; i < to; i++) {
    const offsetMs = Math.floor((i / PER_MATCH) * 95 * 60_000);
    const ms = kickoff + offsetMs;
    const team = rand() < 0.5 ? 1 : 2;
    out.push({
      eventId: randomUUID(),
      matchId: matchId(m),
      eventType: pickType(rand()),
      timestamp: new Date(ms).toISOString(),
      teamId: team,
      playerId: `m${m}-t${team}-p${1 + Math.floor(rand() * 18)}`,
      metadata: { minute: Math.floor(offsetMs / 60_000) },
      receivedAt: ms + 3 + Math.floor(rand() * 40),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];

function startNode(script: string, childEnv: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...childEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    readline.createInterface({ input: s }).on('line', (l) => lines.push(l));
  child.once('exit', (code) => {
    if (code !== 0 && code !== null)
      console.error(`${script} exited (${code}):\n${lines.slice(-10).join('\n')}`);
  });
  return child;
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
    await sleep(250);
  }
  throw new Error(`${url} not ready: ${last}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ms = (v: number) => `${v.toFixed(2)} ms`;
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

interface Timing {
  p50: number;
  p99: number;
  max: number;
}

function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

async function cannon(name: string, base: string, seconds: number, fixedPath?: string) {
  process.stdout.write(`${name.padEnd(44)} ${seconds} s… `);
  const rand = prng(99);
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({
          ...req,
          path: fixedPath ?? `/api/matches/${matchId(Math.floor(rand() * MATCHES))}/metrics`,
        }),
      },
    ],
  });
  console.log(
    `${fmt(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
  );
  return result;
}

async function main(): Promise<void> {
  const dist = path.resolve(__dirname, '..');
  let stackFile: string | undefined;
  let brokers = process.env.KAFKA_BROKERS;
  let clickhouseUrl = process.env.CLICKHOUSE_URL;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.log('\ninterrupted: stopping the API and the stack');
    void Promise.all(children.map(stop))
      .then(() => (stackFile ? stopStack(stackFile) : undefined))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const database = `bench_read_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  let dropDatabase: (() => Promise<void>) | undefined;
  try {
    if (!brokers || !clickhouseUrl) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-bench-read-'));
      stackFile = path.join(dir, 'stack.json');
      console.log('starting a throwaway embedded stack (ClickHouse 18.16 + librdkafka mock Kafka)…');
      const state = await startStack({
        stateFile: stackFile,
        dataDir: path.join(dir, 'clickhouse'),
        tiedToParent: true,
      });
      brokers = state.kafkaBrokers;
      clickhouseUrl = state.clickhouseUrl;
    }
    const client = createClickHouseClient({ url: clickhouseUrl, database, requestTimeoutMs: 300_000 });
    dropDatabase = async () => {
      await execute(client, { nativeParams: false }, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
      await client.close();
    };
    await runMigrations(client);
    const caps = await detectCapabilities(client);
    console.log(`ClickHouse ${caps.version} at ${clickhouseUrl}, database ${database}`);

    // 1. Load ------------------------------------------------------------------------------------------------
    const duplicatesPerBatch = Math.round(BATCH * DUPLICATE_SHARE);
    console.log(
      `loading ${fmt(PER_MATCH * MATCHES)} events over ${MATCHES} matches (${fmt(PER_MATCH)} each) + ${DUPLICATE_SHARE * 100} % redelivered, in ${fmt(BATCH)}-row inserts…`,
    );
    const loadStart = performance.now();
    const rand = prng(2024);
    const insertedAt = new Date(KICKOFF + 400 * 3_600_000);
    let rows = 0;
    let inFlight: Promise<unknown> = Promise.resolve();
    let batch: StoredEvent[] = [];
    const flush = async () => {
      const events = batch;
      batch = [];
      // Redeliveries: some events of this batch again, as a consumer restart would send them.
      const again = events.filter(
        (_, i) => i % Math.round(events.length / Math.max(1, duplicatesPerBatch)) === 0,
      );
      await inFlight; // one insert at a time, the next batch is generated meanwhile
      rows += events.length + again.length;
      inFlight = insertEvents(client, events, insertedAt).then(() =>
        again.length > 0 ? insertEvents(client, again, new Date(insertedAt.getTime() + 60_000)) : 0,
      );
      const done = rows / (PER_MATCH * MATCHES * (1 + DUPLICATE_SHARE));
      process.stdout.write(`\r  ${fmt(rows)} rows sent (${Math.min(100, Math.round(done * 100))} %)   `);
    };
    for (let m = 0; m < MATCHES; m++) {
      for (let from = 0; from < PER_MATCH; from += BATCH) {
        batch.push(...matchEvents(m, from, Math.min(PER_MATCH, from + BATCH), rand));
        if (batch.length >= BATCH) await flush();
      }
      // Let timers run between matches: a loop blocked for seconds keeps the client from retiring sockets that
      // ClickHouse 18.x closes after 3 s idle, and the next insert would write into a closed one (EPIPE).
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (batch.length > 0) await flush();
    await inFlight;
    const loadSeconds = (performance.now() - loadStart) / 1000;
    console.log(
      `\n  loaded ${fmt(rows)} rows in ${loadSeconds.toFixed(1)} s (${fmt(rows / loadSeconds)} rows/s)`,
    );
    const settleStart = performance.now();
    for (let i = 0; i < 120; i++) {
      const [m] = await selectRows<{ n: number }>(
        client,
        caps,
        sql`SELECT count() AS n FROM system.merges WHERE database = ${database}`,
      );
      if (Number(m?.n ?? 0) === 0) break;
      await sleep(500);
    }
    const parts = await selectRows<{ table: string; parts: number; rows: number; bytes: number }>(
      client,
      caps,
      sql`SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes
          FROM system.parts WHERE database = ${database} AND active GROUP BY table ORDER BY table`,
    );
    console.log(
      `  background merges settled after ${((performance.now() - settleStart) / 1000).toFixed(1)} s:`,
    );
    for (const p of parts) {
      console.log(
        `    ${p.table.padEnd(24)} ${String(p.parts).padStart(3)} parts ${fmt(Number(p.rows)).padStart(11)} rows ${(Number(p.bytes) / 1e6).toFixed(1).padStart(7)} MB`,
      );
    }

    // 2. Views vs raw scan, directly -------------------------------------------------------------------------
    const check = await getMatchMetrics(client, caps, { matchId: matchId(0) });
    const checkRaw = await getMatchMetricsFromEvents(client, caps, { matchId: matchId(0) });
    if (JSON.stringify(check) !== JSON.stringify(checkRaw)) throw new Error('views and raw scan disagree');
    if (check!.totalEvents !== PER_MATCH)
      throw new Error(`expected ${PER_MATCH} events, got ${check!.totalEvents}`);
    console.log(
      `\ndirect queries, ${QUERY_ROUNDS} rounds on random matches (views and raw interleaved, same answers)…`,
    );
    const views: number[] = [];
    const raw: number[] = [];
    const qrand = prng(7);
    for (let i = 0; i < QUERY_ROUNDS; i++) {
      const id = matchId(Math.floor(qrand() * MATCHES));
      const order = i % 2 === 0 ? (['views', 'raw'] as const) : (['raw', 'views'] as const);
      for (const which of order) {
        const t0 = performance.now();
        if (which === 'views') await getMatchMetrics(client, caps, { matchId: id });
        else await getMatchMetricsFromEvents(client, caps, { matchId: id });
        (which === 'views' ? views : raw).push(performance.now() - t0);
      }
    }
    const viewsT = summarize(views);
    const rawT = summarize(raw);

    // The same queries with CONNECTIONS clients at once (no cache anywhere): what the endpoint would cost if it
    // ran a query per request.
    const concurrent = createClickHouseClient({
      url: clickhouseUrl,
      database,
      requestTimeoutMs: 300_000,
      maxOpenConnections: CONNECTIONS,
    });
    const underLoad = async (name: string, run: (id: string) => Promise<unknown>) => {
      process.stdout.write(`${name.padEnd(44)} ${CONCURRENT_SECONDS} s… `);
      const samples: number[] = [];
      const crand = prng(11);
      const until = performance.now() + CONCURRENT_SECONDS * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (performance.now() < until) {
            const t0 = performance.now();
            await run(matchId(Math.floor(crand() * MATCHES)));
            samples.push(performance.now() - t0);
          }
        }),
      );
      const t = summarize(samples);
      console.log(
        `${fmt(samples.length / CONCURRENT_SECONDS)} queries/s, p50 ${ms(t.p50)}, p99 ${ms(t.p99)}`,
      );
      return { ...t, perSecond: samples.length / CONCURRENT_SECONDS };
    };
    const rawLoad = await underLoad(`raw scan, ${CONNECTIONS} concurrent clients`, (id) =>
      getMatchMetricsFromEvents(concurrent, caps, { matchId: id }),
    );
    const viewsLoad = await underLoad(`views query, ${CONNECTIONS} concurrent clients`, (id) =>
      getMatchMetrics(concurrent, caps, { matchId: id }),
    );
    await concurrent.close();

    // 3. The API ---------------------------------------------------------------------------------------------
    const port = await freePort();
    const api = startNode(path.join(dist, 'main.js'), {
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: brokers,
      CLICKHOUSE_URL: clickhouseUrl,
      CLICKHOUSE_DATABASE: database,
      RATE_LIMIT_PER_SECOND: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health`);
    console.log(`\nAPI at ${base}: first request of each match (computed in ClickHouse)…`);
    const cold: number[] = [];
    for (let m = 0; m < MATCHES; m++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/matches/${matchId(m)}/metrics`);
      await res.text();
      cold.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`metrics of ${matchId(m)}: ${res.status}`);
    }
    const coldT = summarize(cold);
    await cannon('warm-up', base, WARMUP);
    const warm = await cannon(`GET …/metrics, ${CONNECTIONS} connections`, base, DURATION);
    // The floor: the same server's cheapest route (no read work at all), same connections, same machine.
    const floor = await cannon(
      `GET /health (floor), ${CONNECTIONS} connections`,
      base,
      Math.min(DURATION, CONCURRENT_SECONDS * 2),
      '/health',
    );

    // 4. With live matches -----------------------------------------------------------------------------------
    let liveRows = 0;
    let liveInserts = 0;
    let liveRunning = true;
    const liveRand = prng(31);
    const liveLoop = (async () => {
      const perMatch = Math.max(1, Math.floor(LIVE_RATE / LIVE_MATCHES));
      let next = PER_MATCH;
      while (liveRunning) {
        const tick = performance.now();
        const events: StoredEvent[] = [];
        for (let m = 0; m < LIVE_MATCHES; m++)
          events.push(...matchEvents(m, next, next + perMatch, liveRand));
        next += perMatch;
        const now = Date.now();
        await insertEvents(
          client,
          events.map((e) => ({ ...e, receivedAt: now - 500 })),
          new Date(now),
        );
        liveRows += events.length;
        liveInserts++;
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
    })();
    const live = await cannon(`same, ${LIVE_MATCHES} matches live (${fmt(LIVE_RATE)} ev/s)`, base, DURATION);
    liveRunning = false;
    await liveLoop;
    const metricsText = await (await fetch(`${base}/metrics`)).text();
    await stop(api);

    const counter = (name: string, labels: Record<string, string>) =>
      metricsText
        .split('\n')
        .filter(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        )
        .reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    const bad = (r: autocannon.Result) => r.non2xx + r.errors + r.timeouts;

    // Report -------------------------------------------------------------------------------------------------
    console.log('\n## Results');
    console.log(
      `data: ${fmt(rows)} rows (${fmt(PER_MATCH * MATCHES)} distinct events, ${MATCHES} matches) loaded in ${loadSeconds.toFixed(1)} s`,
    );
    console.log(
      '\n| what | per s | p50 | p99 | max | speed-up vs the raw scan at the same concurrency (p50 / p99) |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    const row = (name: string, t: Timing, perSecond: number | undefined, baseline: Timing) =>
      console.log(
        `| ${name} | ${perSecond === undefined ? '' : fmt(perSecond)} | ${ms(t.p50)} | ${ms(t.p99)} | ${ms(t.max)} | ` +
          `${baseline === t ? 'baseline' : `${(baseline.p50 / t.p50).toFixed(1)}× / ${(baseline.p99 / t.p99).toFixed(1)}×`} |`,
      );
    const ac = (r: autocannon.Result): Timing => ({
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
    });
    row('raw-table scan, same metrics (getMatchMetricsFromEvents), 1 client', rawT, undefined, rawT);
    row('views query (getMatchMetrics), 1 client', viewsT, undefined, rawT);
    row('endpoint, first request of each match, 1 client', coldT, undefined, rawT);
    row(`raw-table scan, ${CONNECTIONS} concurrent clients`, rawLoad, rawLoad.perSecond, rawLoad);
    row(`views query, ${CONNECTIONS} concurrent clients`, viewsLoad, viewsLoad.perSecond, rawLoad);
    row(`**endpoint, ${CONNECTIONS} connections, random matches**`, ac(warm), warm.requests.average, rawLoad);
    row(
      `GET /health of the same API (floor), ${CONNECTIONS} connections`,
      ac(floor),
      floor.requests.average,
      rawLoad,
    );
    row(
      `endpoint, ${CONNECTIONS} connections, ${LIVE_MATCHES} matches live`,
      ac(live),
      live.requests.average,
      rawLoad,
    );
    console.log('');
    console.log(
      `throughput: metrics ${fmt(warm.requests.average)} req/s, /health ${fmt(floor.requests.average)} req/s, ` +
        `metrics with live matches ${fmt(live.requests.average)} req/s`,
    );
    console.log(
      `endpoint p99 ${warm.latency.p99} ms with ${CONNECTIONS} connections: target ≤ ${TARGET_P99_MS} ms ${warm.latency.p99 <= TARGET_P99_MS ? 'met' : 'MISSED'}` +
        ` (with live matches: ${live.latency.p99} ms, ${live.latency.p99 <= TARGET_P99_MS ? 'met' : 'MISSED'})`,
    );
    console.log(
      `metrics answers: ${fmt(counter('read_cache_requests_total', { resource: 'metrics', result: 'hit' }))} current from memory, ` +
        `${fmt(counter('read_cache_requests_total', { resource: 'metrics', result: 'stale' }))} previous (< 1 s) while recomputing, ` +
        `${fmt(counter('read_cache_requests_total', { resource: 'metrics', result: 'miss' }))} waited for ClickHouse; ` +
        `${fmt(counter('read_computations_total', { resource: 'metrics' }))} computations ` +
        `(live phase: ${fmt(liveRows)} events in ${liveInserts} inserts)`,
    );
    if (bad(warm) + bad(live) > 0) {
      console.log(
        `WARNING: ${bad(warm) + bad(live)} requests were not answered 200; the figures include them`,
      );
    }
  } finally {
    for (const child of children) await stop(child);
    await dropDatabase?.().catch(() => undefined);
    if (stackFile) await stopStack(stackFile);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
