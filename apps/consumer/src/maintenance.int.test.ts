import type { AddressInfo } from 'node:net';
import { ClickHouseStore, identifier, rawPartitions, selectRows, sql } from '@pitchpulse/clickhouse';
import { createLogger, sampleSum } from '@pitchpulse/observability';
import { startConsumer, type RunningConsumer } from './start';
import { parseConfig } from './config';
import { isolatedEnv, makeEvents, produce, eventCounts, waitUntil, type TestEnv } from './testing';

/** The seals of a match, latest first, and its marker (match_activity's: what decides whether a seal is current). */
async function sealState(t: TestEnv, matchId: string) {
  const figures = identifier(t.database, 'match_figures');
  const mode = { nativeParams: false };
  const seals = await selectRows<{ seal_id: string; version: string }>(
    t.clickhouse,
    mode,
    sql`SELECT seal_id, version FROM ${figures} WHERE match_id = ${matchId} AND kind = 'seal'
        ORDER BY sealed_ms DESC`,
  );
  // The marker that decides whether a seal is current: the match's row of match_activity (migration 005).
  const [marker] = await selectRows<{ n: string }>(
    t.clickhouse,
    mode,
    sql`SELECT sumMerge(marker) AS n FROM ${identifier(t.database, 'match_activity')} WHERE match_id = ${matchId}`,
  );
  return {
    seals: seals.map((r) => ({ id: r.seal_id, version: Number(r.version) })),
    marker: Number(marker!.n),
  };
}

async function metricsText(app: RunningConsumer): Promise<string> {
  const port = (app.probeServer.address() as AddressInfo).port;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe("the consumer's sealer (Kafka → consumer → ClickHouse)", () => {
  let t: TestEnv;
  let app: RunningConsumer;
  let store: ClickHouseStore;
  // Quiet long enough that a redelivery split over two flushes is still one change to the sealer.
  const QUIET_MS = 3000;
  const a = makeEvents(600, 'm-seal-a');
  const b = makeEvents(300, 'm-seal-b');

  beforeAll(async () => {
    t = await isolatedEnv({
      FLUSH_INTERVAL_MS: '300',
      SEAL_QUIET_MS: String(QUIET_MS),
      SEAL_INTERVAL_MS: '250',
      SEAL_BATCH: '10',
    });
    app = await startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'warn' }));
    store = new ClickHouseStore(t.clickhouse);
  });
  afterAll(async () => {
    await app?.stop();
    await t?.close();
  });

  const sealedAs = (matchId: string, events: number) =>
    waitUntil(
      `a current seal of ${matchId} counting ${events} events`,
      () => store.metricsFromSeal(matchId),
      (m) => m?.totalEvents === events,
      30_000,
    );

  it('seals a match once it is quiet: the seal answers exactly what the raw rows do', async () => {
    await produce(t.kafka, t.topics.events, [...a, ...b]);
    await waitUntil(
      'the rows of both matches',
      async () => (await eventCounts(t, 'm-seal-a')).ids + (await eventCounts(t, 'm-seal-b')).ids,
      (n) => n === 900,
    );
    for (const [matchId, n] of [
      ['m-seal-a', 600],
      ['m-seal-b', 300],
    ] as const) {
      const sealed = await sealedAs(matchId, n);
      expect(sealed).toEqual(await store.metricsFromEvents(matchId));
      expect((await store.metrics(matchId)).value).toEqual(sealed);
    }
    const text = await waitUntil(
      'the seal metrics',
      () => metricsText(app),
      (s) =>
        sampleSum(s, 'consumer_seals_written_total') >= 2 &&
        sampleSum(s, 'consumer_season_days_written_total') >= 1,
      10_000,
    );
    // Every match sealed: the pass stored the season's days, which the daily stats now read.
    const day = (await store.metricsFromEvents('m-seal-a'))!.firstEventAt.slice(0, 10);
    expect((await store.dailyStats({ from: day, to: day })).value).toEqual(
      (await store.dailyStatsFromEvents({ from: day, to: day })).value,
    );
    expect(sampleSum(text, 'consumer_seal_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^consumer_seal_pending_matches(\{[^}]*\})? \d+$/m);
    expect(sampleSum(text, 'consumer_sealer_errors_total')).toBe(0);
  });

  it('a redelivered and a late event make the seal stale; the sealer seals the new figures', async () => {
    const before = await store.metricsFromSeal('m-seal-a');
    // 50 events again (a redelivery: the same eventIds, counted once) and one new goal.
    const again = a.slice(0, 50);
    const [late] = makeEvents(1, 'm-seal-a', 5000);
    const lateGoal = { ...late!, eventType: 'goal' as const };
    const rowsBefore = (await eventCounts(t, 'm-seal-a')).rows;
    await produce(t.kafka, t.topics.events, [...again, lateGoal]);
    await waitUntil(
      'the redelivered and late rows',
      () => eventCounts(t, 'm-seal-a'),
      (c) => c.rows === rowsBefore + again.length + 1,
    );
    // The marker moved past the seal's version: the seal is stale, and until the sealer takes the match again
    // (once it has been quiet for SEAL_QUIET_MS) reads come from the raw rows, which are already exact. (An
    // insert's views run after its rows land in `events`: the marker may follow the rows by a moment.)
    const stale = await waitUntil(
      'the marker to count the redelivered and late rows',
      () => sealState(t, 'm-seal-a'),
      (s) => s.marker === rowsBefore + again.length + 1,
    );
    const first = stale.seals.at(-1)!; // the oldest seal (a busy machine may already have written the next)
    expect(stale.marker).toBe(rowsBefore + again.length + 1);
    expect(first.version).toBe(rowsBefore);
    const fromRows = await store.metricsFromEvents('m-seal-a');
    expect(fromRows?.totalEvents).toBe(601);
    expect(fromRows?.goals).toBe(before!.goals + 1);
    expect((await store.metrics('m-seal-a')).value).toEqual(fromRows);

    const resealed = await sealedAs('m-seal-a', 601);
    expect(resealed).toEqual(await store.metricsFromEvents('m-seal-a'));
    const after = await sealState(t, 'm-seal-a');
    expect(after.seals).toHaveLength(2);
    expect(after.seals[0]).toEqual({
      id: expect.not.stringMatching(stale.seals[0]!.id),
      version: stale.marker,
    });
    // The other match kept its seal.
    expect(await store.metricsFromSeal('m-seal-b')).toEqual(await store.metricsFromEvents('m-seal-b'));
    expect((await sealState(t, 'm-seal-b')).seals).toHaveLength(1);
    const text = await waitUntil(
      'the third seal counted',
      () => metricsText(app),
      (s) => sampleSum(s, 'consumer_seals_written_total') >= 3,
      10_000,
    );
    // A current seal is not sealed again: a second later (four passes), still three.
    await new Promise((r) => setTimeout(r, 1000));
    expect(sampleSum(await metricsText(app), 'consumer_seals_written_total')).toBe(3);
    expect(sampleSum(text, 'consumer_sealer_errors_total')).toBe(0);
  });
});

describe("the consumer's retention (RETENTION_DAYS)", () => {
  let t: TestEnv;
  let app: RunningConsumer;
  let store: ClickHouseStore;

  beforeAll(async () => {
    t = await isolatedEnv({
      FLUSH_INTERVAL_MS: '300',
      SEAL_QUIET_MS: '1000',
      SEAL_INTERVAL_MS: '250',
      RETENTION_DAYS: '30',
      RETENTION_INTERVAL_MS: '1000',
    });
    store = new ClickHouseStore(t.clickhouse);
  });
  afterAll(async () => {
    await app?.stop();
    await t?.close();
  });

  it('drops the expired month once its match is sealed and retired; the match keeps its figures', async () => {
    const old = makeEvents(200, 'm-old'); // January 2024
    const recent = makeEvents(20, 'm-recent').map((e, i) => ({
      ...e,
      timestamp: new Date(Date.now() - 60_000 + i * 1000).toISOString(),
    }));
    await produce(t.kafka, t.topics.events, [...old, ...recent]);
    app = await startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'warn' }));
    const month = (ms: number) => new Date(ms).toISOString().slice(0, 7).replace('-', '');
    const kept = [...new Set(recent.map((e) => month(Date.parse(e.timestamp))))];
    const partitions = async () => {
      const caps = await store.capabilities();
      return (await rawPartitions(t.clickhouse, caps)).map((p) => `${p.table}:${p.partition}`);
    };
    await waitUntil(
      'January 2024 dropped from both raw tables',
      partitions,
      (p) => p.length > 0 && p.every((name) => !name.endsWith(':202401')),
      45_000,
    );
    expect((await partitions()).sort()).toEqual(
      kept.flatMap((m) => [`events:${m}`, `events_unique:${m}`]).sort(),
    );
    expect(await eventCounts(t, 'm-old')).toEqual({ rows: 0, ids: 0 });

    const metrics = (await store.metrics('m-old')).value;
    expect(metrics).toEqual(await store.metricsFromSeal('m-old'));
    expect(metrics?.totalEvents).toBe(200);
    for (const type of new Set(old.map((e) => e.eventType))) {
      expect(metrics?.eventsByType[type]).toBe(old.filter((e) => e.eventType === type).length);
    }
    expect((await store.metrics('m-recent')).value?.totalEvents).toBe(20);

    const text = await waitUntil(
      'the retention metrics',
      () => metricsText(app),
      (s) => sampleSum(s, 'consumer_retention_matches_retired_total') >= 1,
      10_000,
    );
    expect(sampleSum(text, 'consumer_retention_partitions_dropped_total', { table: 'events' })).toBe(1);
    expect(sampleSum(text, 'consumer_retention_partitions_dropped_total', { table: 'events_unique' })).toBe(
      1,
    );
    expect(sampleSum(text, 'consumer_retention_matches_retired_total')).toBe(1);
    expect(sampleSum(text, 'consumer_retention_last_run_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect(sampleSum(text, 'consumer_retention_errors_total')).toBe(0);
  });
});
