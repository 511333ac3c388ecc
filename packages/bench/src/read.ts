/**
 * `pnpm bench:read`: a match's metrics from its seal, from its raw rows and `SELECT 1`, directly and through
 * GET /api/matches/{id}/metrics under load. Loads BENCH_EVENTS (5,000,000) events over BENCH_MATCHES (200)
 * matches spread over 60 days, BENCH_DUPLICATES (1 %) of them delivered twice, straight into a throwaway
 * ClickHouse database (TabSeparated batches through insertEvents), seals every match, starts the api as a child
 * process (apps/api/dist/main.js), and measures in one run:
 *   1. the floor (`SELECT 1`), the seal figures and the raw-table scan directly, interleaved, one client,
 *      BENCH_QUERY_ROUNDS (200) rounds, then each with BENCH_CONNECTIONS concurrent clients for
 *      BENCH_CONCURRENT_SECONDS (5) s;
 *      then the season's daily stats across matches from season_days, from the seals and from the raw rows, the
 *      same way;
 *   2. the endpoint on each match's first request (nothing in memory yet);
 *   3. the endpoint with autocannon, BENCH_CONNECTIONS (50) connections for BENCH_DURATION (15) s after
 *      BENCH_WARMUP (3) s, random matches, then GET /health of the same server as the floor of this machine,
 *      then each GET /api/stats/* route of the season for BENCH_CONCURRENT_SECONDS;
 *   4. the same while BENCH_LIVE_MATCHES (10) matches receive BENCH_LIVE_RATE (1,000) events/s in one insert per
 *      second (as the consumer flushes), so their answers keep changing;
 *   5. with retractions: BENCH_RETRACT_SHARE (1 %) of the loaded distinct events, spread evenly over every match
 *      and over each match's time, are retracted (insertRetractions; BENCH_DUPLICATES of them stored twice) and
 *      every match is sealed again (queries.sealAll, as in 2.); then the floor, the seal read and the raw scan
 *      again as in 1. (same rounds, same matches), the seal and the raw scan with BENCH_CONNECTIONS clients, and
 *      the endpoint on a fresh api: each match's first request, then autocannon for BENCH_DURATION / 2 s after
 *      BENCH_WARMUP s, and GET /health. Printed beside the same figures without retractions (retracted ÷ plain).
 *      BENCH_RETRACT_SHARE=0 leaves this step out.
 * Uses KAFKA_BROKERS/CLICKHOUSE_URL when both are set, else starts a throwaway embedded stack. Needs `pnpm build`.
 *
 * Verdict: the seals and the raw scan must agree (and season_days, the seals and the raw rows on the daily stats);
 * after the retractions they must agree on every match, each match's total must have dropped by exactly its
 * retracted distinct events (in the seal, the raw scan and the endpoint's answer), and every retracted match must
 * have been sealed again; any non-2xx answer, connection error or timeout of a load run fails the benchmark (exit 1).
 */
import { sampleSum } from '@pitchpulse/observability';
import { freePort } from '@pitchpulse/devstack';
import type { StoredEvent, StoredRetraction } from '@pitchpulse/contract';
import {
  FLOOR_QUERY,
  RAW_QUERY,
  SEAL_QUERY,
  STORAGE_FLOOR_QUERY,
  activeParts,
  createClickHouseClient,
  distinctRetractions,
  insertEvents,
  insertRetractions,
  openBenchDatabase,
  readQueries,
  runningMerges,
  type ReadQueries,
} from './clickhouse';
import { KICKOFF, KICKOFF_SPACING_MS, benchMatchId, matchEvents, prng, unweightedTypes } from './events';
import {
  BenchFailure,
  defer,
  envNumber,
  fetchText,
  fmt,
  fmtMs,
  load,
  mark,
  openStack,
  printTable,
  requireAllOk,
  runBench,
  serviceScript,
  startNode,
  summarize,
  timed,
  waitForUrl,
  waitUntil,
  withTimeout,
  type LoadRun,
  type Timing,
} from './harness';

const MATCHES = envNumber('BENCH_MATCHES', 200, { min: 1, integer: true });
const EVENTS = envNumber('BENCH_EVENTS', 5_000_000, { min: 1, integer: true });
const PER_MATCH = Math.floor(EVENTS / MATCHES);
const DUPLICATE_SHARE = envNumber('BENCH_DUPLICATES', 0.01);
const CONNECTIONS = envNumber('BENCH_CONNECTIONS', 50, { min: 1, integer: true });
const DURATION = envNumber('BENCH_DURATION', 15, { min: 1 });
const WARMUP = envNumber('BENCH_WARMUP', 3, { min: 1 });
const QUERY_ROUNDS = envNumber('BENCH_QUERY_ROUNDS', 200, { min: 1, integer: true });
const CONCURRENT_SECONDS = envNumber('BENCH_CONCURRENT_SECONDS', 5, { min: 1 });
const LIVE_MATCHES = envNumber('BENCH_LIVE_MATCHES', 10, { min: 1, integer: true });
const LIVE_RATE = envNumber('BENCH_LIVE_RATE', 1000, { min: 1 });
const RETRACT_SHARE = envNumber('BENCH_RETRACT_SHARE', 0.01);
const BATCH = 100_000;
const TARGET_P99_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Active parts, rows and bytes of every table of the bench database. */
async function printParts(client: Parameters<typeof activeParts>[0], database: string): Promise<void> {
  for (const p of await activeParts(client, database)) {
    console.log(
      `    ${p.table.padEnd(24)} ${String(p.parts).padStart(3)} parts ${fmt(p.rows).padStart(11)} rows ${(p.bytes / 1e6).toFixed(1).padStart(7)} MB`,
    );
  }
}

/**
 * The events of match `match` (their indexes, 0 … PER_MATCH - 1) that step 5 retracts: RETRACT_SHARE of all the
 * loaded distinct events, spread evenly over the matches and, within a match, over its time.
 */
function retractedIndexes(match: number): number[] {
  const total = Math.round(PER_MATCH * MATCHES * RETRACT_SHARE);
  const count = Math.floor(((match + 1) * total) / MATCHES) - Math.floor((match * total) / MATCHES);
  return Array.from({ length: count }, (_, j) => Math.floor(((j + 0.5) * PER_MATCH) / count));
}

/** The UTC days from the first kickoff to the end of the last match. */
function seasonRange(): { from: string; to: string } {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(KICKOFF), to: day(KICKOFF + (MATCHES - 1) * KICKOFF_SPACING_MS + 2 * 3_600_000) };
}

async function main(): Promise<void> {
  if (unweightedTypes().length > 0)
    throw new BenchFailure(`no weight for event types ${unweightedTypes().join(', ')}`);
  if (PER_MATCH < 1)
    throw new BenchFailure(`BENCH_EVENTS (${EVENTS}) must be at least BENCH_MATCHES (${MATCHES})`);
  if (RETRACT_SHARE >= 1)
    throw new BenchFailure(
      `BENCH_RETRACT_SHARE=${RETRACT_SHARE}: expected a share below 1 (0 leaves step 5 out)`,
    );
  const stack = await openStack();
  const { database, client, caps, queries } = await openBenchDatabase(
    stack.clickhouseUrl,
    'bench_read',
    defer,
  );
  console.log(`ClickHouse ${caps.version} at ${stack.clickhouseUrl}, database ${database}`);

  // 1. Load ------------------------------------------------------------------------------------------------
  const duplicatesPerBatch = Math.round(BATCH * DUPLICATE_SHARE);
  console.log(
    `loading ${fmt(PER_MATCH * MATCHES)} events over ${MATCHES} matches (${fmt(PER_MATCH)} each) + ${DUPLICATE_SHARE * 100} % redelivered, in ${fmt(BATCH)}-row inserts…`,
  );
  const loadStart = performance.now();
  const rand = prng(2024);
  const insertedAt = new Date(KICKOFF + (MATCHES + 1) * KICKOFF_SPACING_MS);
  let rows = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  let batch: StoredEvent[] = [];
  const toRetract: Array<{ match: number; eventId: string }> = [];
  const flush = async () => {
    const events = batch;
    batch = [];
    // Redeliveries: some events of this batch again, as a consumer restart would send them.
    const again =
      duplicatesPerBatch > 0
        ? events.filter((_, i) => i % Math.max(1, Math.round(events.length / duplicatesPerBatch)) === 0)
        : [];
    await inFlight; // one insert at a time, the next batch is generated meanwhile
    rows += events.length + again.length;
    inFlight = insertEvents(client, events, insertedAt).then(() =>
      again.length > 0 ? insertEvents(client, again, new Date(insertedAt.getTime() + 60_000)) : 0,
    );
    const done = rows / (PER_MATCH * MATCHES * (1 + DUPLICATE_SHARE));
    process.stdout.write(`\r  ${fmt(rows)} rows sent (${Math.min(100, Math.round(done * 100))} %)   `);
  };
  for (let m = 0; m < MATCHES; m++) {
    const picks = retractedIndexes(m);
    let pick = 0;
    for (let from = 0; from < PER_MATCH; from += BATCH) {
      const events = matchEvents(m, from, Math.min(PER_MATCH, from + BATCH), PER_MATCH, rand);
      for (; pick < picks.length && picks[pick]! < from + events.length; pick++) {
        toRetract.push({ match: m, eventId: events[picks[pick]! - from]!.eventId });
      }
      batch.push(...events);
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
  const settle = await timed(() =>
    waitUntil(
      `the background merges in ${database} to finish`,
      async () => (await runningMerges(client, database)) === 0,
      300_000,
      500,
    ),
  );
  console.log(`  background merges settled after ${(settle.ms / 1000).toFixed(1)} s:`);
  await printParts(client, database);

  // 2. Seals vs raw scan vs the floor, directly ------------------------------------------------------------
  const sealing = await timed(() => queries.sealAll());
  console.log(
    `  ${sealing.value} matches sealed in ${(sealing.ms / 1000).toFixed(1)} s (${fmtMs(sealing.ms / Math.max(1, sealing.value), 1)} each)`,
  );
  await printParts(client, database);
  for (const m of [0, Math.floor(MATCHES / 2), MATCHES - 1]) {
    const sealed = await queries.metricsFromSeal(benchMatchId(m));
    const scanned = await queries.metricsFromEvents(benchMatchId(m));
    if (JSON.stringify(sealed) !== JSON.stringify(scanned)) {
      throw new BenchFailure(
        `the seal and the raw scan disagree on ${benchMatchId(m)}:\n${JSON.stringify(sealed)}\n${JSON.stringify(scanned)}`,
      );
    }
    if (sealed.totalEvents !== PER_MATCH) {
      throw new BenchFailure(
        `expected ${PER_MATCH} distinct events in ${benchMatchId(m)}, got ${sealed.totalEvents}`,
      );
    }
  }
  console.log(
    `\ndirect queries, ${QUERY_ROUNDS} rounds on random matches (floor, seal and raw interleaved, same answers)…`,
  );
  // The same matches in the same order each time (step 5 runs these rounds again after the retractions).
  const directRounds = async (on: ReadQueries) => {
    const direct = {
      floor: [] as number[],
      storage: [] as number[],
      seal: [] as number[],
      raw: [] as number[],
    };
    const qrand = prng(7);
    const kinds = ['floor', 'storage', 'seal', 'raw'] as const;
    const runOne = (which: (typeof kinds)[number], id: string) =>
      ({
        floor: () => on.floor(),
        storage: () => on.storageFloor(id),
        seal: () => on.metricsFromSeal(id),
        raw: () => on.metricsFromEvents(id),
      })[which]();
    for (let i = 0; i < QUERY_ROUNDS; i++) {
      const id = benchMatchId(Math.floor(qrand() * MATCHES));
      for (let k = 0; k < kinds.length; k++) {
        const which = kinds[(i + k) % kinds.length]!;
        direct[which].push((await timed(() => runOne(which, id))).ms);
      }
    }
    return {
      floor: summarize(direct.floor),
      storage: summarize(direct.storage),
      seal: summarize(direct.seal),
      raw: summarize(direct.raw),
    };
  };
  const { floor: floorT, storage: storageT, seal: sealT, raw: rawT } = await directRounds(queries);

  // The same queries with CONNECTIONS clients at once (no cache anywhere): what an analyst's dashboard or an
  // uncached endpoint would cost.
  const concurrent = createClickHouseClient({
    url: stack.clickhouseUrl,
    database,
    requestTimeoutMs: 300_000,
    maxOpenConnections: CONNECTIONS,
  });
  const concurrentQueries = readQueries(concurrent, caps);
  const underLoad = async (name: string, run: (id: string) => Promise<unknown>) => {
    process.stdout.write(`${name.padEnd(48)} ${CONCURRENT_SECONDS} s… `);
    const samples: number[] = [];
    const crand = prng(11);
    const started = performance.now();
    const until = started + CONCURRENT_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          samples.push((await timed(() => run(benchMatchId(Math.floor(crand() * MATCHES))))).ms);
        }
      }),
    );
    // Until the last query answered: a query slower than the window stretches it (counts per window would not).
    const perSecond = samples.length / ((performance.now() - started) / 1000);
    const t = summarize(samples);
    console.log(`${fmt(perSecond)} queries/s, p50 ${fmtMs(t.p50, 2)}, p99 ${fmtMs(t.p99, 2)}`);
    return { ...t, perSecond };
  };
  const floorLoad = await underLoad(`SELECT 1, ${CONNECTIONS} concurrent clients`, () =>
    concurrentQueries.floor(),
  );
  const storageLoad = await underLoad(`one stored row by key, ${CONNECTIONS} concurrent clients`, (id) =>
    concurrentQueries.storageFloor(id),
  );
  const rawLoad = await underLoad(`raw scan, ${CONNECTIONS} concurrent clients`, (id) =>
    concurrentQueries.metricsFromEvents(id),
  );
  const sealLoad = await underLoad(`seal figures, ${CONNECTIONS} concurrent clients`, (id) =>
    concurrentQueries.metricsFromSeal(id),
  );

  // Stats across matches: the whole season's daily figures, from the seals and from the raw rows.
  const season = seasonRange();
  const snapshot = await queries.statsSnapshot();
  const statsAnswer = JSON.stringify(await queries.dailyStats(season.from, season.to, snapshot));
  for (const [name, answer] of [
    ['the raw rows', await queries.dailyStatsFromEvents(season.from, season.to)],
    ['the seals', await queries.dailyStatsComputed(season.from, season.to, snapshot)],
  ] as const) {
    if (statsAnswer !== JSON.stringify(answer)) {
      throw new BenchFailure(`daily stats of ${season.from}…${season.to}: season_days and ${name} disagree`);
    }
  }
  const statsRounds = Math.max(5, Math.round(QUERY_ROUNDS / 10));
  console.log(
    `\ndaily stats of ${season.from}…${season.to}, ${statsRounds} rounds (season_days, seals and raw interleaved)…`,
  );
  const statsDirect = {
    seal: [] as number[],
    sealTwoQueries: [] as number[],
    snapshot: [] as number[],
    raw: [] as number[],
    computed: [] as number[],
  };
  for (let i = 0; i < statsRounds; i++) {
    statsDirect.computed.push(
      (await timed(() => queries.dailyStatsComputed(season.from, season.to, snapshot))).ms,
    );
    statsDirect.snapshot.push((await timed(() => queries.statsSnapshot())).ms);
    statsDirect.seal.push((await timed(() => queries.dailyStats(season.from, season.to, snapshot))).ms);
    statsDirect.sealTwoQueries.push((await timed(() => queries.dailyStats(season.from, season.to))).ms);
    statsDirect.raw.push((await timed(() => queries.dailyStatsFromEvents(season.from, season.to))).ms);
  }
  const statsSealT = summarize(statsDirect.seal);
  const statsSealTwoT = summarize(statsDirect.sealTwoQueries);
  const snapshotT = summarize(statsDirect.snapshot);
  const statsRawT = summarize(statsDirect.raw);
  const statsComputedT = summarize(statsDirect.computed);
  const statsRawLoad = await underLoad(`daily stats, raw, ${CONNECTIONS} concurrent clients`, () =>
    concurrentQueries.dailyStatsFromEvents(season.from, season.to),
  );
  const statsSealLoad = await underLoad(`daily stats, stored, ${CONNECTIONS} concurrent clients`, () =>
    concurrentQueries.dailyStats(season.from, season.to),
  );
  await concurrent.close();

  // 3. The API ---------------------------------------------------------------------------------------------
  /** A fresh api process on the bench database: nothing in memory. */
  const startApi = async () => {
    const port = await freePort();
    const child = await startNode('the api', serviceScript('api'), {
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        KAFKA_BROKERS: stack.kafkaBrokers,
        CLICKHOUSE_URL: stack.clickhouseUrl,
        CLICKHOUSE_DATABASE: database,
        RATE_LIMIT_PER_SECOND: '0',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForUrl(`${url}/health`, { what: 'the api to answer /health', child, timeoutMs: 60_000 });
    return { api: child, base: url };
  };
  /** Each match's first request to a fresh api (computed in ClickHouse); `check` sees every answer. */
  const firstRequests = async (base: string, check?: (match: number, body: string) => void) => {
    const cold: number[] = [];
    for (let m = 0; m < MATCHES; m++) {
      const url = `${base}/api/matches/${benchMatchId(m)}/metrics`;
      const { value, ms } = await timed(() => fetchText(url, 60_000));
      cold.push(ms);
      check?.(m, value);
    }
    return summarize(cold);
  };
  const metricsLoad = (base: string, name: string, seconds: number, fixedPath?: string) => {
    const rand = prng(99);
    return load({
      name,
      url: base,
      seconds,
      connections: CONNECTIONS,
      path: () => fixedPath ?? `/api/matches/${benchMatchId(Math.floor(rand() * MATCHES))}/metrics`,
    });
  };
  const { api, base } = await startApi();
  console.log(`\nAPI at ${base}: first request of each match (computed in ClickHouse)…`);
  const coldT = await firstRequests(base);
  const warmupRun = await metricsLoad(base, 'warm-up', WARMUP);
  const warm = await metricsLoad(base, `GET …/metrics, ${CONNECTIONS} connections`, DURATION);
  // The floor: the same server's cheapest route (no read work at all), same connections, same machine.
  const floor = await metricsLoad(
    base,
    `GET /health (floor), ${CONNECTIONS} connections`,
    Math.min(DURATION, CONCURRENT_SECONDS * 2),
    '/health',
  );
  const statsPaths = {
    daily: `/api/stats/daily?from=${season.from}&to=${season.to}`,
    'top-events': `/api/stats/top-events?from=${season.from}&to=${season.to}`,
    players: `/api/stats/players?from=${season.from}&to=${season.to}&by=goals&limit=20`,
    retention: `/api/stats/retention?start=${season.from}&windows=8&window=week`,
  };
  const statsEndpoints: Array<[string, LoadRun]> = [];
  for (const [name, path] of Object.entries(statsPaths)) {
    statsEndpoints.push([
      name,
      await metricsLoad(
        base,
        `GET ${path.split('?')[0]}, ${CONNECTIONS} connections`,
        CONCURRENT_SECONDS,
        path,
      ),
    ]);
  }

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
      for (let m = 0; m < LIVE_MATCHES && m < MATCHES; m++) {
        events.push(...matchEvents(m, next, next + perMatch, PER_MATCH, liveRand));
      }
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
  let live: LoadRun;
  try {
    live = await metricsLoad(base, `same, ${LIVE_MATCHES} matches live (${fmt(LIVE_RATE)} ev/s)`, DURATION);
  } finally {
    liveRunning = false;
    await withTimeout('the live inserts to stop', 120_000, liveLoop);
  }
  const metricsText = await fetchText(`${base}/metrics`);
  await api.stop();

  // 5. With retracted events ----------------------------------------------------------------------------------
  const withRetractions = async () => {
    const retractedOf = new Map<string, number>();
    for (const r of toRetract) {
      retractedOf.set(benchMatchId(r.match), (retractedOf.get(benchMatchId(r.match)) ?? 0) + 1);
    }
    console.log(
      `\nretractions: ${fmt(toRetract.length)} of the ${fmt(PER_MATCH * MATCHES)} loaded distinct events ` +
        `(${RETRACT_SHARE * 100} %) over ${retractedOf.size} matches…`,
    );
    // The live phase added events to its matches: seal them again, so every match's total before is its seal's.
    await queries.sealAll();
    const before = new Map<string, number>();
    for (let m = 0; m < MATCHES; m++) {
      before.set(benchMatchId(m), (await queries.metricsFromSeal(benchMatchId(m))).totalEvents);
    }
    const receivedAt = Date.now();
    const retractions: StoredRetraction[] = toRetract.map((r) => ({
      kind: 'retraction',
      eventId: r.eventId,
      matchId: benchMatchId(r.match),
      reason: 'VAR: offside in the build-up',
      receivedAt,
    }));
    // Redeliveries, as for the events: retracting an event twice is the same as once.
    const again =
      DUPLICATE_SHARE > 0
        ? retractions
            .filter((_, i) => i % Math.max(1, Math.round(1 / DUPLICATE_SHARE)) === 0)
            .map((r) => ({ ...r, receivedAt: r.receivedAt + 60_000 }))
        : [];
    const inserting = await timed(async () => {
      for (let i = 0; i < retractions.length; i += BATCH) {
        await insertRetractions(client, retractions.slice(i, i + BATCH), new Date());
      }
      await insertRetractions(client, again, new Date());
    });
    const stored = await distinctRetractions(client, database);
    if (stored !== toRetract.length) {
      throw new BenchFailure(`${toRetract.length} distinct retractions inserted, ${stored} stored`);
    }
    console.log(
      `  ${fmt(retractions.length + again.length)} rows (${fmt(again.length)} of them twice) inserted in ${fmtMs(inserting.ms, 0)}`,
    );
    await waitUntil(
      `the background merges in ${database} to finish`,
      async () => (await runningMerges(client, database)) === 0,
      300_000,
      500,
    );
    const resealing = await timed(() => queries.sealAll());
    console.log(
      `  ${resealing.value} matches sealed again in ${(resealing.ms / 1000).toFixed(1)} s (${fmtMs(resealing.ms / Math.max(1, resealing.value), 1)} each)`,
    );
    if (resealing.value !== retractedOf.size) {
      throw new BenchFailure(
        `${retractedOf.size} matches have retractions, ${resealing.value} were sealed again (a retraction must make its match's seal stale)`,
      );
    }
    await printParts(client, database);
    const expected = (id: string) => before.get(id)! - (retractedOf.get(id) ?? 0);
    let totalBefore = 0;
    let totalAfter = 0;
    for (let m = 0; m < MATCHES; m++) {
      const id = benchMatchId(m);
      const sealed = await queries.metricsFromSeal(id);
      const scanned = await queries.metricsFromEvents(id);
      if (JSON.stringify(sealed) !== JSON.stringify(scanned)) {
        throw new BenchFailure(
          `after the retractions the seal and the raw scan disagree on ${id}:\n${JSON.stringify(sealed)}\n${JSON.stringify(scanned)}`,
        );
      }
      if (sealed.totalEvents !== expected(id)) {
        throw new BenchFailure(
          `${id}: ${before.get(id)} distinct events before ${retractedOf.get(id) ?? 0} retractions, ` +
            `${sealed.totalEvents} after (expected ${expected(id)})`,
        );
      }
      totalBefore += before.get(id)!;
      totalAfter += sealed.totalEvents;
    }
    if (totalBefore - totalAfter !== toRetract.length) {
      throw new BenchFailure(
        `the totals dropped by ${totalBefore - totalAfter}, not by the ${toRetract.length} retracted events`,
      );
    }
    console.log(
      `  distinct events of all matches ${fmt(totalBefore)} → ${fmt(totalAfter)} (−${fmt(totalBefore - totalAfter)}, ` +
        `the retracted ones); seal and raw scan agree on all ${MATCHES} matches`,
    );

    console.log(
      `\ndirect queries after the retractions, ${QUERY_ROUNDS} rounds (the same matches as before, interleaved)…`,
    );
    const direct = await directRounds(queries);
    const concurrent = createClickHouseClient({
      url: stack.clickhouseUrl,
      database,
      requestTimeoutMs: 300_000,
      maxOpenConnections: CONNECTIONS,
    });
    const concurrentQueries = readQueries(concurrent, caps);
    const rawLoad = await underLoad(`raw scan, retractions, ${CONNECTIONS} concurrent clients`, (id) =>
      concurrentQueries.metricsFromEvents(id),
    );
    const sealLoad = await underLoad(`seal figures, retractions, ${CONNECTIONS} concurrent clients`, (id) =>
      concurrentQueries.metricsFromSeal(id),
    );
    await concurrent.close();

    const { api, base } = await startApi();
    console.log(
      `\nAPI at ${base} (a fresh process): first request of each match after the retractions, each total checked…`,
    );
    const cold = await firstRequests(base, (m, body) => {
      const id = benchMatchId(m);
      const { totalEvents } = JSON.parse(body) as { totalEvents: number };
      if (totalEvents !== expected(id)) {
        throw new BenchFailure(
          `GET …/${id}/metrics after the retractions: totalEvents ${totalEvents}, expected ${expected(id)}`,
        );
      }
    });
    const seconds = DURATION / 2;
    const warmupRun = await metricsLoad(base, 'warm-up', WARMUP);
    const warm = await metricsLoad(base, `GET …/metrics, retractions, ${CONNECTIONS} connections`, seconds);
    const floor = await metricsLoad(
      base,
      `GET /health (floor), ${CONNECTIONS} connections`,
      Math.min(seconds, CONCURRENT_SECONDS),
      '/health',
    );
    await api.stop();
    return {
      retractedOf,
      rows: retractions.length + again.length,
      direct,
      rawLoad,
      sealLoad,
      cold,
      warmupRun,
      warm,
      floor,
      seconds,
    };
  };
  const retracted = toRetract.length > 0 ? await withRetractions() : undefined;

  const counter = (name: string, labels: Record<string, string>) => fmt(sampleSum(metricsText, name, labels));
  const ac = (r: LoadRun): Timing => r.latency;

  // Report -------------------------------------------------------------------------------------------------
  console.log('\n## Results');
  console.log(
    `data: ${fmt(rows)} rows (${fmt(PER_MATCH * MATCHES)} distinct events, ${MATCHES} matches) loaded in ${loadSeconds.toFixed(1)} s`,
  );
  const row = (name: string, t: Timing, perSecond: number | undefined, baseline: Timing) => [
    name,
    perSecond === undefined ? '' : fmt(perSecond),
    fmtMs(t.p50, 2),
    fmtMs(t.p99, 2),
    fmtMs(t.max, 2),
    baseline === t
      ? 'baseline'
      : `${(baseline.p50 / t.p50).toFixed(1)}× / ${(baseline.p99 / t.p99).toFixed(1)}×`,
  ];
  printTable(
    ['what', 'per s', 'p50', 'p99', 'max', 'speed-up vs the raw scan at the same concurrency (p50 / p99)'],
    [
      row(`${FLOOR_QUERY}, 1 client`, floorT, undefined, rawT),
      row(`${STORAGE_FLOOR_QUERY}, 1 client`, storageT, undefined, rawT),
      row(`${RAW_QUERY}, 1 client`, rawT, undefined, rawT),
      row(`${SEAL_QUERY}, 1 client`, sealT, undefined, rawT),
      row('endpoint, first request of each match, 1 client', coldT, undefined, rawT),
      row(`SELECT 1 (floor), ${CONNECTIONS} concurrent clients`, floorLoad, floorLoad.perSecond, rawLoad),
      row(
        `${STORAGE_FLOOR_QUERY}, ${CONNECTIONS} concurrent clients`,
        storageLoad,
        storageLoad.perSecond,
        rawLoad,
      ),
      row(`raw-table scan, ${CONNECTIONS} concurrent clients`, rawLoad, rawLoad.perSecond, rawLoad),
      row(`seal figures, ${CONNECTIONS} concurrent clients`, sealLoad, sealLoad.perSecond, rawLoad),
      row(`daily stats of the season from the raw rows, 1 client`, statsRawT, undefined, statsRawT),
      row(
        `the stats snapshot (version + matches without a current seal), 1 client`,
        snapshotT,
        undefined,
        statsRawT,
      ),
      row(
        `daily stats of the season from season_days, given the snapshot, 1 client`,
        statsSealT,
        undefined,
        statsRawT,
      ),
      row(`daily stats, snapshot + season_days (2 queries), 1 client`, statsSealTwoT, undefined, statsRawT),
      row(
        `daily stats computed from the seals, given the snapshot, 1 client`,
        statsComputedT,
        undefined,
        statsRawT,
      ),
      row(
        `daily stats, raw, ${CONNECTIONS} concurrent clients`,
        statsRawLoad,
        statsRawLoad.perSecond,
        statsRawLoad,
      ),
      row(
        `daily stats, snapshot + season_days, ${CONNECTIONS} concurrent clients`,
        statsSealLoad,
        statsSealLoad.perSecond,
        statsRawLoad,
      ),
      row(`**endpoint, ${CONNECTIONS} connections, random matches**`, ac(warm), warm.okPerSecond, rawLoad),
      row(
        `GET /health of the same API (floor), ${CONNECTIONS} connections`,
        ac(floor),
        floor.okPerSecond,
        rawLoad,
      ),
      ...statsEndpoints.map(([name, run]) =>
        row(`GET /api/stats/${name}, ${CONNECTIONS} connections`, ac(run), run.okPerSecond, rawLoad),
      ),
      row(
        `endpoint, ${CONNECTIONS} connections, ${LIVE_MATCHES} matches live`,
        ac(live),
        live.okPerSecond,
        rawLoad,
      ),
    ],
  );
  console.log('');
  const sealOverFloor = sealT.p50 / floorT.p50;
  const throughputGain = sealLoad.perSecond / rawLoad.perSecond;
  console.log(
    `per-match metrics, 1 client: seal p50 ${fmtMs(sealT.p50, 2)} = ${sealOverFloor.toFixed(2)}× the floor (${fmtMs(floorT.p50, 2)}), ` +
      `target ≤ 2× ${mark(sealOverFloor <= 2)}; = ${(sealT.p50 / storageT.p50).toFixed(2)}× one stored row by key ` +
      `(${fmtMs(storageT.p50, 2)}, itself ${(storageT.p50 / floorT.p50).toFixed(2)}× the floor); raw scan p50 ${fmtMs(rawT.p50, 2)}`,
  );
  console.log(
    `per-match metrics, ${CONNECTIONS} clients: seal ${fmt(sealLoad.perSecond)} queries/s = ${throughputGain.toFixed(1)}× the raw scan's ` +
      `${fmt(rawLoad.perSecond)}, target ≥ 10× ${mark(throughputGain >= 10)} (floors: SELECT 1 ${fmt(floorLoad.perSecond)}, ` +
      `one stored row ${fmt(storageLoad.perSecond)} queries/s = ${(storageLoad.perSecond / rawLoad.perSecond).toFixed(1)}× the raw scan)`,
  );
  const statsOverFloor = statsSealT.p50 / floorT.p50;
  const statsGain = statsSealLoad.perSecond / statsRawLoad.perSecond;
  console.log(
    `daily stats of the season, 1 client: season_days p50 ${fmtMs(statsSealT.p50, 2)} = ${statsOverFloor.toFixed(2)}× the floor, ` +
      `target ≤ 2× ${mark(statsOverFloor <= 2)} (one query against the snapshot the API's poll reads once for every stats ` +
      `route: what the API runs per change); with its own snapshot first ${fmtMs(statsSealTwoT.p50, 2)} = ` +
      `${(statsSealTwoT.p50 / floorT.p50).toFixed(2)}× (the snapshot alone ${fmtMs(snapshotT.p50, 2)}); computed from the seals ` +
      `(a match changed since the last stored version) ${fmtMs(statsComputedT.p50, 2)} = ${(statsComputedT.p50 / floorT.p50).toFixed(2)}× the floor; ` +
      `raw p50 ${fmtMs(statsRawT.p50, 2)}`,
  );
  console.log(
    `daily stats (snapshot + season_days), ${CONNECTIONS} clients: ${fmt(statsSealLoad.perSecond)} queries/s = ${statsGain.toFixed(1)}× the raw rows' ` +
      `${fmt(statsRawLoad.perSecond)}, target ≥ 10× ${mark(statsGain >= 10)}`,
  );
  console.log(
    `stats endpoints p99 (${CONNECTIONS} connections): ` +
      statsEndpoints.map(([name, run]) => `${name} ${run.latency.p99} ms`).join(', ') +
      `; GET /health ${floor.latency.p99} ms`,
  );
  console.log(
    `throughput: metrics ${fmt(warm.okPerSecond)} req/s, /health ${fmt(floor.okPerSecond)} req/s, ` +
      `metrics with live matches ${fmt(live.okPerSecond)} req/s (2xx answers only)`,
  );
  console.log(
    `endpoint p99 ${warm.latency.p99} ms with ${CONNECTIONS} connections: target ≤ ${TARGET_P99_MS} ms ${mark(warm.latency.p99 <= TARGET_P99_MS)}` +
      ` (with live matches: ${live.latency.p99} ms, ${mark(live.latency.p99 <= TARGET_P99_MS)}); ` +
      `the floor of this machine, GET /health of the same API: p99 ${floor.latency.p99} ms`,
  );
  console.log(
    `metrics answers: ${counter('read_cache_requests_total', { resource: 'metrics', result: 'hit' })} current from memory, ` +
      `${counter('read_cache_requests_total', { resource: 'metrics', result: 'stale' })} previous (< 1 s) while recomputing, ` +
      `${counter('read_cache_requests_total', { resource: 'metrics', result: 'miss' })} waited for ClickHouse; ` +
      `${counter('read_computations_total', { resource: 'metrics' })} computations ` +
      `(live phase: ${fmt(liveRows)} events in ${liveInserts} inserts)`,
  );
  if (retracted) {
    const r = retracted;
    console.log('\n## With retractions');
    console.log(
      `${fmt(toRetract.length)} of ${fmt(PER_MATCH * MATCHES)} distinct events retracted (BENCH_RETRACT_SHARE=${RETRACT_SHARE}) ` +
        `over ${r.retractedOf.size} matches (${fmt(r.rows)} rows with the redelivered ones), every match sealed again; ` +
        `the endpoint's load run with them lasts BENCH_DURATION / 2 = ${r.seconds} s (without: ${DURATION} s), ` +
        `on a fresh api process after a ${WARMUP} s warm-up`,
    );
    type Side = Timing & { perSecond?: number };
    const onLoad = (run: LoadRun): Side => ({ ...run.latency, perSecond: run.okPerSecond });
    const side = (name: string, plain: Side, after: Side) => [
      name,
      fmtMs(plain.p50, 2),
      fmtMs(plain.p99, 2),
      fmtMs(after.p50, 2),
      fmtMs(after.p99, 2),
      `${(after.p50 / plain.p50).toFixed(2)}× / ${(after.p99 / plain.p99).toFixed(2)}×`,
      plain.perSecond === undefined || after.perSecond === undefined
        ? ''
        : `${fmt(plain.perSecond)} → ${fmt(after.perSecond)}`,
    ];
    printTable(
      [
        'what',
        'p50 without',
        'p99 without',
        `p50 with ${RETRACT_SHARE * 100} % retracted`,
        'p99 with',
        'retracted ÷ plain (p50 / p99)',
        'per s (without → with)',
      ],
      [
        side(`${FLOOR_QUERY}, 1 client`, floorT, r.direct.floor),
        side(`${STORAGE_FLOOR_QUERY}, 1 client`, storageT, r.direct.storage),
        side(`${RAW_QUERY}, 1 client`, rawT, r.direct.raw),
        side(`${SEAL_QUERY}, 1 client`, sealT, r.direct.seal),
        side(`raw-table scan, ${CONNECTIONS} concurrent clients`, rawLoad, r.rawLoad),
        side(`seal figures, ${CONNECTIONS} concurrent clients`, sealLoad, r.sealLoad),
        side('endpoint, first request of each match (fresh api), 1 client', coldT, r.cold),
        side(
          `**endpoint, ${CONNECTIONS} connections, random matches** (${DURATION} s / ${r.seconds} s)`,
          onLoad(warm),
          onLoad(r.warm),
        ),
        side(
          `GET /health of the same API (floor), ${CONNECTIONS} connections`,
          onLoad(floor),
          onLoad(r.floor),
        ),
      ],
    );
    console.log('');
    const sealOverFloorR = r.direct.seal.p50 / r.direct.floor.p50;
    const gainR = r.sealLoad.perSecond / r.rawLoad.perSecond;
    console.log(
      `with retractions, 1 client: seal p50 ${fmtMs(r.direct.seal.p50, 2)} = ${sealOverFloorR.toFixed(2)}× the floor of the same rounds ` +
        `(${fmtMs(r.direct.floor.p50, 2)}), target ≤ 2× ${mark(sealOverFloorR <= 2)}; ${(r.direct.seal.p50 / sealT.p50).toFixed(2)}× the seal ` +
        `without; raw scan p50 ${fmtMs(r.direct.raw.p50, 2)} = ${(r.direct.raw.p50 / rawT.p50).toFixed(2)}× without ` +
        `(the floor itself: ${(r.direct.floor.p50 / floorT.p50).toFixed(2)}×, the machine's drift)`,
    );
    console.log(
      `with retractions, ${CONNECTIONS} clients: seal ${fmt(r.sealLoad.perSecond)} queries/s = ${gainR.toFixed(1)}× the raw scan's ` +
        `${fmt(r.rawLoad.perSecond)}, target ≥ 10× ${mark(gainR >= 10)} (without: ${fmt(sealLoad.perSecond)} and ${fmt(rawLoad.perSecond)})`,
    );
    console.log(
      `with retractions, endpoint p99 ${r.warm.latency.p99} ms with ${CONNECTIONS} connections: target ≤ ${TARGET_P99_MS} ms ` +
        `${mark(r.warm.latency.p99 <= TARGET_P99_MS)} (without: ${warm.latency.p99} ms); GET /health p99 ${r.floor.latency.p99} ms ` +
        `(without: ${floor.latency.p99} ms); ${fmt(r.warm.okPerSecond)} req/s (without: ${fmt(warm.okPerSecond)})`,
    );
  } else {
    console.log('\nno retractions (BENCH_RETRACT_SHARE=0): step 5 left out');
  }
  requireAllOk([
    warmupRun,
    warm,
    floor,
    live,
    ...statsEndpoints.map(([, run]) => run),
    ...(retracted ? [retracted.warmupRun, retracted.warm, retracted.floor] : []),
  ]);
  console.log(
    'verdict: seals and raw scan agree' +
      (retracted
        ? `, also after the retractions, on every match, and every total fell by exactly its retracted events (${fmt(toRetract.length)})`
        : '') +
      '; every answer of every load run was 2xx',
  );
}

runBench('bench:read', main);
