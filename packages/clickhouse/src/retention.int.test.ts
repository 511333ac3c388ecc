/**
 * Data retention on both engines: the seeded fixture spans three months (2024-01, 02, 03), one match straddles
 * the January/February boundary, and a third of the events are redelivered. A run with a fixed `now` expires
 * exactly January; every match's answers must be the same before and after, the straddling one included.
 */
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import {
  applyRetention,
  partitionExpired,
  partitionMonth,
  rawPartitions,
  retentionHorizon,
  type DroppedPartition,
} from './retention';
import {
  MATCHES,
  buildDeliveries,
  buildEvents,
  closeEngines,
  openEngines,
  uniqueDatabase,
  type Engine,
} from './testing';

const DAY = 86_400_000;
/** 2024-04-01 less 40 days is 2024-02-21: January has ended before it, February has not. */
const NOW = Date.UTC(2024, 3, 1);
const DAYS = 40;
const STRADDLING = 'cmp-derived'; // 2024-01-31 23:30 UTC, ~95 minutes of play

describe('retention: which partitions expire', () => {
  it('a month expires once its last millisecond is before now − days', () => {
    expect(partitionMonth('202402')).toEqual({ startMs: Date.UTC(2024, 1, 1), endMs: Date.UTC(2024, 2, 1) });
    expect(partitionMonth('202412')).toEqual({ startMs: Date.UTC(2024, 11, 1), endMs: Date.UTC(2025, 0, 1) });
    expect(partitionMonth('all')).toBeUndefined();
    expect(partitionMonth('202413')).toBeUndefined();
    const horizon = retentionHorizon(NOW, DAYS);
    expect(horizon).toBe(Date.UTC(2024, 1, 21));
    expect(['202312', '202401', '202402', '202403'].map((p) => partitionExpired(p, horizon))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(partitionExpired('202401', Date.UTC(2024, 1, 1))).toBe(true);
    expect(partitionExpired('202401', Date.UTC(2024, 1, 1) - 1)).toBe(false);
    expect(() => retentionHorizon(NOW, 0)).toThrow(RangeError);
    expect(() => retentionHorizon(NOW, 1.5)).toThrow(RangeError);
  });
});

describe('retention on both engines', () => {
  const database = uniqueDatabase('retention');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  let engines: Engine[];

  /** Every per-match answer that reads seals, for every match of the fixture. */
  const answers = async (e: Engine) => {
    const out: Record<string, unknown> = {};
    for (const { matchId } of MATCHES) {
      out[matchId] = {
        metrics: await e.store.metrics(matchId),
        timeline: await e.store.timeline(matchId, '1m'),
        players: await e.store.topPlayers(matchId, { limit: 10 }),
      };
    }
    return out;
  };

  const partitions = async (e: Engine) =>
    (await rawPartitions(e.client, e.caps)).map((p) => `${p.table}:${p.partition}`);

  const rowsOf = async (e: Engine, matchId: string) => {
    const [row] = await selectRows<{ n: number }>(
      e.client,
      e.caps,
      sql`SELECT toUInt32(count()) AS n FROM ${identifier(database, 'events')} WHERE match_id = ${matchId}`,
    );
    return Number(row!.n);
  };

  const ALL = [
    'events:202401',
    'events_unique:202401',
    'events:202402',
    'events_unique:202402',
    'events:202403',
    'events_unique:202403',
  ];
  const before = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client);
      for (const d of [...first, ...again]) await insertEvents(e.client, d.events, d.insertedAt);
      before.set(e.name, await answers(e));
    }
  });
  afterAll(() => closeEngines(engines));

  it('the fixture fills three monthly partitions of both raw tables; the straddling match is in two', async () => {
    for (const e of engines) {
      expect({ engine: e.name, partitions: await partitions(e) }).toEqual({
        engine: e.name,
        partitions: ALL,
      });
    }
    const straddling = events.filter((ev) => ev.matchId === STRADDLING).map((ev) => Date.parse(ev.timestamp));
    expect(Math.min(...straddling)).toBeLessThan(Date.UTC(2024, 1, 1));
    expect(Math.max(...straddling)).toBeGreaterThanOrEqual(Date.UTC(2024, 1, 1));
    expect(again.reduce((n, d) => n + d.events.length, 0)).toBeGreaterThan(100);
  });

  it('RETENTION_DAYS unset: nothing is sealed, retired or dropped', async () => {
    for (const e of engines) {
      const result = await applyRetention(e.client, e.caps, { retentionDays: undefined, now: NOW });
      expect(result).toEqual({ horizonMs: null, dropped: [], retired: [], sealed: [], skipped: [] });
      expect(await partitions(e)).toEqual(ALL);
    }
  });

  it('a partition whose matches had an insert within quietMs waits for a later run', async () => {
    for (const e of engines) {
      const result = await applyRetention(e.client, e.caps, {
        retentionDays: DAYS,
        now: NOW,
        quietMs: 365 * DAY,
      });
      expect(result).toMatchObject({ dropped: [], retired: [], sealed: [] });
      expect(result.skipped).toEqual([
        { partition: '202401', reason: expect.stringContaining('had an insert in the last') },
      ]);
      expect(await partitions(e)).toEqual(ALL);
      expect(await e.store.metricsFromSeal(STRADDLING)).toBeNull();
    }
  });

  it('a stopped run leaves the expired month for the next one', async () => {
    const stopped = AbortSignal.abort();
    for (const e of engines) {
      const result = await applyRetention(e.client, e.caps, {
        retentionDays: DAYS,
        now: NOW,
        signal: stopped,
      });
      expect(result).toMatchObject({ dropped: [], retired: [], skipped: [{ partition: '202401' }] });
      expect(await partitions(e)).toEqual(ALL);
    }
  });

  it('drops exactly the expired month of both tables, after sealing and retiring its matches', async () => {
    for (const e of engines) {
      const logged: DroppedPartition[] = [];
      const result = await applyRetention(e.client, e.caps, {
        retentionDays: DAYS,
        now: NOW,
        quietMs: 60_000,
        onDropped: (d) => logged.push(d),
      });
      const january = (table: string) => ({ table, partition: '202401', rows: expect.any(Number) });
      expect({ engine: e.name, result }).toEqual({
        engine: e.name,
        result: {
          horizonMs: Date.UTC(2024, 1, 21),
          dropped: [january('events'), january('events_unique')],
          retired: ['cmp-derived', 'cmp-feed-minutes'],
          sealed: ['cmp-derived', 'cmp-feed-minutes'],
          skipped: [],
        },
      });
      expect(logged).toEqual(result.dropped);
      expect(result.dropped[0]!.rows).toBeGreaterThan(400); // every January row, redeliveries included
      expect(await partitions(e)).toEqual(ALL.slice(2));
      expect(await rowsOf(e, 'cmp-feed-minutes')).toBe(0);
      expect(await rowsOf(e, STRADDLING)).toBeGreaterThan(0); // its February rows stay
    }
  });

  it('every match answers exactly as before, the straddling one from its seal', async () => {
    for (const e of engines) {
      expect({ engine: e.name, answers: await answers(e) }).toEqual({
        engine: e.name,
        answers: before.get(e.name),
      });
      const sealed = await e.store.metricsFromSeal(STRADDLING);
      expect(sealed).not.toBeNull();
      expect(sealed).toEqual(
        (before.get(e.name)![STRADDLING] as { metrics: { value: unknown } }).metrics.value,
      );
    }
    expect((await answers(engines[0]!)) as unknown).toEqual(await answers(engines[1]!));
  });

  it('a retired match is never sealed again (a seal of the rows left would replace the complete one)', async () => {
    for (const e of engines) {
      expect(await e.store.seal(STRADDLING)).toBe('empty');
      expect(await e.store.metricsFromSeal(STRADDLING)).toEqual(
        (before.get(e.name)![STRADDLING] as { metrics: { value: unknown } }).metrics.value,
      );
    }
  });

  it('a second run is a no-op', async () => {
    for (const e of engines) {
      const result = await applyRetention(e.client, e.caps, { retentionDays: DAYS, now: NOW });
      expect(result).toEqual({
        horizonMs: Date.UTC(2024, 1, 21),
        dropped: [],
        retired: [],
        sealed: [],
        skipped: [],
      });
      expect(await partitions(e)).toEqual(ALL.slice(2));
      expect(await answers(e)).toEqual(before.get(e.name));
    }
  });

  it('a late event of a retired match is stored but not counted; one in an expired month goes next run', async () => {
    const late = {
      ...events.find((ev) => ev.matchId === STRADDLING)!,
      eventId: '00000000-0000-4000-8000-00000000fff1',
      eventType: 'goal' as const,
      timestamp: '2024-01-31T23:59:00.000Z',
    };
    for (const e of engines) {
      const rows = await rowsOf(e, STRADDLING);
      await insertEvents(e.client, [late], new Date(NOW - DAY));
      expect(await rowsOf(e, STRADDLING)).toBe(rows + 1);
      expect((await e.store.metrics(STRADDLING)).value).toEqual(
        (before.get(e.name)![STRADDLING] as { metrics: { value: unknown } }).metrics.value,
      );
      // The late row re-created January; the next run drops it again and retires nobody new.
      expect(await partitions(e)).toEqual(['events:202401', 'events_unique:202401', ...ALL.slice(2)]);
      const result = await applyRetention(e.client, e.caps, { retentionDays: DAYS, now: NOW });
      expect(result).toMatchObject({ retired: [], sealed: [], skipped: [] });
      expect(result.dropped.map((d) => `${d.table}:${d.partition}:${d.rows}`)).toEqual([
        'events:202401:1',
        'events_unique:202401:1',
      ]);
      expect(await partitions(e)).toEqual(ALL.slice(2));
    }
  });
});
