/**
 * Compatibility suite: the same migrations, rows (with redelivered duplicates) and queries on ClickHouse 18.16
 * (the embedded server) and current ClickHouse (chdb, in-process). Every result must be equal on both engines
 * AND equal to what the input events imply, computed independently in testing/reference.ts.
 */
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import { readSealed } from './queries/figures';
import { summaryOf, type ListMatchesParams } from './queries/matches';
import { metricsFromFigures } from './queries/metrics';
import {
  MATCHES,
  buildDeliveries,
  buildEvents,
  closeEngines,
  countBy,
  distinctEvents,
  latencies,
  openEngines,
  optimizeFinal,
  quantileExact,
  refHighlights,
  refListMatches,
  refMetrics,
  refTimeline,
  refTopPlayers,
  uniqueDatabase,
  type Delivery,
  type Engine,
  type RefEvent,
} from './testing';

/** The match list as the API composes it: a page of matches, then their totals. */
async function listMatches(e: Engine, params: ListMatchesParams) {
  const page = await e.store.matchPage(params);
  const totals = await e.store.matchTotals(page.items.map((m) => m.matchId));
  return { total: page.total, items: page.items.map((m) => summaryOf(m, totals.get(m.matchId))) };
}

const sortRows = <T>(rows: T[]): T[] =>
  [...rows].sort((a, b) =>
    JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
  );

/** Distinct events per key with their first/last event time, as rows named like the query's columns. */
function groupRows(
  events: RefEvent[],
  names: string[],
  key: (ev: RefEvent) => unknown[],
): Record<string, unknown>[] {
  const groups = new Map<string, RefEvent[]>();
  for (const ev of events)
    groups.set(JSON.stringify(key(ev)), [...(groups.get(JSON.stringify(key(ev))) ?? []), ev]);
  return [...groups.entries()].map(([k, evs]) => {
    const values = JSON.parse(k) as unknown[];
    return {
      ...Object.fromEntries(names.map((n, i) => [n, values[i]])),
      events: evs.length,
      first_ms: Math.min(...evs.map((x) => x.timeMs)),
      last_ms: Math.max(...evs.map((x) => x.timeMs)),
    };
  });
}

/** Distinct events counted per key, as rows named like the query's columns. */
function countRows(events: RefEvent[], names: string[], key: (ev: RefEvent) => unknown[]) {
  return [...countBy(events, (ev) => JSON.stringify(key(ev))).entries()].map(([k, events]) => {
    const values = JSON.parse(k) as unknown[];
    return { ...Object.fromEntries(names.map((n, i) => [n, values[i]])), events };
  });
}

/** Runs one query on every engine, asserts the answers are equal, returns the answer. */
async function onBoth<T>(engines: Engine[], run: (e: Engine) => Promise<T>): Promise<T> {
  const answers = await Promise.all(engines.map(async (e) => ({ engine: e.name, answer: await run(e) })));
  for (const a of answers.slice(1)) {
    expect({ engine: a.engine, answer: a.answer }).toEqual({ engine: a.engine, answer: answers[0]!.answer });
  }
  return answers[0]!.answer;
}

describe('two-engine compatibility: schema and aggregate views', () => {
  const database = uniqueDatabase('compat');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  let engines: Engine[];
  let delivered: Delivery[] = [];

  const deliver = async (deliveries: Delivery[]) => {
    for (const e of engines) {
      for (const d of deliveries) await insertEvents(e.client, d.events, d.insertedAt);
    }
    delivered = [...delivered, ...deliveries];
  };

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) await runMigrations(e.client);
    await deliver(first);
  });
  afterAll(() => closeEngines(engines));

  const table = (name: string) => identifier(database, name);
  const storedPerMatch = () => {
    const rows = new Map<string, number>();
    for (const d of delivered)
      for (const ev of d.events) rows.set(ev.matchId, (rows.get(ev.matchId) ?? 0) + 1);
    return rows;
  };

  /** What every insert keeps up to date: raw rows, markers, match times, the analysts' deduplicated copy. */
  const insertChecks = () => {
    const ref = () => distinctEvents(delivered);

    it('events: one raw row per delivery', async () => {
      const rows = await onBoth(engines, (e) =>
        selectRows<{ n: number; distinct_ids: number }>(
          e.client,
          e.caps,
          sql`SELECT count() AS n, uniqExact(event_id) AS distinct_ids FROM ${table('events')}`,
        ),
      );
      expect(rows).toEqual([
        { n: delivered.reduce((a, d) => a + d.events.length, 0), distinct_ids: events.length },
      ]);
    });

    it('match_figures markers: the rows (deliveries) stored per match', async () => {
      const rows = await onBoth(engines, (e) =>
        selectRows<Record<string, unknown>>(
          e.client,
          e.caps,
          sql`SELECT match_id, sum(stored_rows) AS stored_rows FROM ${table('match_figures')}
              WHERE kind = 'marker' GROUP BY match_id`,
        ).then(sortRows),
      );
      const expected = [...storedPerMatch()].map(([match_id, stored_rows]) => ({ match_id, stored_rows }));
      expect(rows).toEqual(sortRows(expected));
    });

    it('match_activity: first/last event time, latest receipt and insert per match', async () => {
      const rows = await onBoth(engines, (e) =>
        selectRows<Record<string, unknown>>(
          e.client,
          e.caps,
          sql`SELECT match_id, minMerge(first_event_ms) AS first_ms, maxMerge(last_event_ms) AS last_ms,
                     maxMerge(last_received_ms) AS last_received_ms,
                     maxMerge(last_inserted_ms) AS last_inserted_ms
              FROM ${table('match_activity')} GROUP BY match_id`,
        ).then(sortRows),
      );
      const expected = new Map<string, Record<string, number>>();
      for (const d of delivered) {
        for (const ev of d.events) {
          const t = Date.parse(ev.timestamp);
          const m = expected.get(ev.matchId) ?? {
            first_ms: t,
            last_ms: t,
            last_received_ms: 0,
            last_inserted_ms: 0,
          };
          m.first_ms = Math.min(m.first_ms!, t);
          m.last_ms = Math.max(m.last_ms!, t);
          m.last_received_ms = Math.max(m.last_received_ms!, ev.receivedAt);
          m.last_inserted_ms = Math.max(m.last_inserted_ms!, d.insertedAt.getTime());
          expected.set(ev.matchId, m);
        }
      }
      expect(rows).toEqual(sortRows([...expected].map(([match_id, m]) => ({ match_id, ...m }))));
    });

    it('events_unique: one row per event id with FINAL (and distinct ids without it)', async () => {
      const rows = await onBoth(engines, (e) =>
        selectRows<{ n: number; distinct_ids: number; goals: number }>(
          e.client,
          e.caps,
          sql`SELECT count() AS n, uniqExact(event_id) AS distinct_ids, countIf(event_type = 'goal') AS goals
              FROM ${table('events_unique')} FINAL`,
        ),
      );
      expect(rows).toEqual([
        {
          n: events.length,
          distinct_ids: events.length,
          goals: ref().filter((ev) => ev.eventType === 'goal').length,
        },
      ]);
    });
  };

  /** The current seal of every match holds exactly the figures its raw rows imply. */
  const sealChecks = () => {
    const ref = () => distinctEvents(delivered);
    const figures = (e: Engine, kind: string, columns: ReturnType<typeof sql>) =>
      selectRows<Record<string, unknown>>(
        e.client,
        e.caps,
        sql`SELECT match_id, ${columns} FROM ${table('match_figures')}
            WHERE kind = ${kind} AND seal_id IN (SELECT seal_id FROM ${table('match_current_seals')})`,
      ).then(sortRows);

    it('every match has a current seal whose version is its marker', async () => {
      const seals = await onBoth(engines, (e) =>
        selectRows<Record<string, unknown>>(
          e.client,
          e.caps,
          sql`SELECT match_id, version FROM ${table('match_current_seals')}`,
        ).then(sortRows),
      );
      const expected = [...storedPerMatch()].map(([match_id, version]) => ({ match_id, version }));
      expect(seals).toEqual(sortRows(expected));
      for (const { matchId } of MATCHES) {
        expect(await engines[0]!.store.metricsFromSeal(matchId)).not.toBeNull();
      }
    });

    it('seal rows: distinct events, first/last event time, latency p50/p95/p99 over stored rows', async () => {
      const rows = await onBoth(engines, (e) =>
        figures(
          e,
          'seal',
          sql`events, first_event_ms AS first_ms, last_event_ms AS last_ms,
              [latency_p50_ms, latency_p95_ms, latency_p99_ms] AS q`,
        ),
      );
      const lat = latencies(delivered);
      const expected = groupRows(ref(), ['match_id'], (ev) => [ev.matchId]).map((r) => ({
        ...r,
        q: [0.5, 0.95, 0.99].map((l) => quantileExact(lat.get(r.match_id as string)!, l)),
      }));
      expect(rows).toEqual(sortRows(expected));
    });

    it("the seal row's metrics equal the metrics its figure rows give (the reader's fallback)", async () => {
      for (const { matchId } of MATCHES) {
        const fromRows = await onBoth(engines, async (e) => {
          const read = await readSealed(e.client, e.caps, matchId, ['event_type_team', 'minute']);
          if (!read.sealed) return null;
          const latency = [read.head.latency_p50_ms, read.head.latency_p95_ms, read.head.latency_p99_ms];
          return metricsFromFigures(matchId, read.figures, latency.map(Number));
        });
        expect({ matchId, fromRows }).toEqual({ matchId, fromRows: refMetrics(ref(), delivered, matchId) });
        expect(await engines[0]!.store.metricsFromSeal(matchId)).toEqual(fromRows);
      }
    });

    it('event_type_team: distinct events per (match, type, team) and first/last event time', async () => {
      const rows = await onBoth(engines, (e) =>
        figures(
          e,
          'event_type_team',
          sql`event_type, team_id, events, first_event_ms AS first_ms, last_event_ms AS last_ms`,
        ),
      );
      const names = ['match_id', 'event_type', 'team_id'];
      expect(rows).toEqual(sortRows(groupRows(ref(), names, (ev) => [ev.matchId, ev.eventType, ev.teamId])));
    });

    it('minute and minute_type: distinct events per (match, feed minute, wall-clock minute[, type])', async () => {
      const minute = await onBoth(engines, (e) =>
        figures(e, 'minute', sql`feed_minute, toUnixTimestamp(minute_start) AS minute_start, events`),
      );
      expect(minute).toEqual(
        sortRows(
          countRows(ref(), ['match_id', 'feed_minute', 'minute_start'], (ev) => [
            ev.matchId,
            ev.feedMinute,
            ev.minuteStartMs / 1000,
          ]),
        ),
      );
      const minuteType = await onBoth(engines, (e) =>
        figures(
          e,
          'minute_type',
          sql`feed_minute, toUnixTimestamp(minute_start) AS minute_start, event_type, events`,
        ),
      );
      const names = ['match_id', 'feed_minute', 'minute_start', 'event_type'];
      expect(minuteType).toEqual(
        sortRows(
          countRows(ref(), names, (ev) => [ev.matchId, ev.feedMinute, ev.minuteStartMs / 1000, ev.eventType]),
        ),
      );
    });

    it('player: distinct events per (match, player, team, type), none for events without a player', async () => {
      const rows = await onBoth(engines, (e) =>
        figures(e, 'player', sql`player_id, team_id, event_type, events`),
      );
      const names = ['match_id', 'player_id', 'team_id', 'event_type'];
      const withPlayer = ref().filter((ev) => ev.playerId !== '');
      expect(rows).toEqual(
        sortRows(countRows(withPlayer, names, (ev) => [ev.matchId, ev.playerId, ev.teamId, ev.eventType])),
      );
    });

    it('daily_figures: distinct events per (UTC day, match, type, team, player)', async () => {
      const rows = await onBoth(engines, (e) =>
        selectRows<Record<string, unknown>>(
          e.client,
          e.caps,
          sql`SELECT toString(day) AS day, match_id, event_type, team_id, player_id, events
              FROM ${table('daily_figures')}
              WHERE seal_id IN (SELECT seal_id FROM ${table('match_current_seals')})`,
        ).then(sortRows),
      );
      const names = ['day', 'match_id', 'event_type', 'team_id', 'player_id'];
      const key = (ev: RefEvent) => [
        new Date(ev.timeMs).toISOString().slice(0, 10),
        ev.matchId,
        ev.eventType,
        ev.teamId,
        ev.playerId,
      ];
      expect(rows).toEqual(sortRows(countRows(ref(), names, key)));
    });
  };

  const sealEverything = async () => {
    for (const e of engines) {
      const sealed = await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect({ engine: e.name, sealed: sealed.length }).toEqual({ engine: e.name, sealed: MATCHES.length });
      expect(await e.store.sealPending({ quietMs: 0, limit: 1000 })).toEqual([]);
    }
  };

  const noCurrentSeals = () =>
    it('no match has a current seal: every read comes from the raw rows', async () => {
      for (const { matchId } of MATCHES) {
        expect(await onBoth(engines, (e) => e.store.metricsFromSeal(matchId))).toBeNull();
      }
    });

  const matchIds = [...MATCHES.map((m) => m.matchId), 'no-such-match', "x' OR '1'='1", 'm'.repeat(4096)];

  const readQueryChecks = () => {
    const ref = () => distinctEvents(delivered);

    it('metrics: every field as the events imply; null for unknown or hostile ids', async () => {
      for (const matchId of matchIds) {
        const metrics = await onBoth(engines, async (e) => (await e.store.metrics(matchId)).value);
        expect({ matchId, metrics }).toEqual({ matchId, metrics: refMetrics(ref(), delivered, matchId) });
      }
    });

    it('metricsFromEvents (raw-table baseline): the same answers', async () => {
      for (const matchId of matchIds) {
        const metrics = await onBoth(engines, (e) => e.store.metricsFromEvents(matchId));
        expect({ matchId, metrics }).toEqual({ matchId, metrics: refMetrics(ref(), delivered, matchId) });
      }
    });

    it('listMatches: live first, newest first, paginated', async () => {
      // The fixture's events were received within seconds of each other (a replay), long after they happened:
      // live is by receipt, so 3 minutes after the last receipt every match is live, 10 minutes after none is.
      const lastReceived = Math.max(...events.map((e) => e.receivedAt));
      const pages = [
        { limit: 2, offset: 0 },
        { limit: 2, offset: 2 },
        { limit: 3, offset: 3 },
        { limit: 10, offset: 10 },
        { limit: 1000, offset: 0 },
      ];
      for (const [minutes, live] of [
        [3, true],
        [10, false],
      ] as const) {
        const now = new Date(lastReceived + minutes * 60_000);
        for (const page of pages) {
          const list = await onBoth(engines, (e) => listMatches(e, { ...page, now, liveWindowMinutes: 5 }));
          expect({ page, list }).toEqual({
            page,
            list: refListMatches(ref(), { ...page, now, liveWindowMinutes: 5 }),
          });
        }
        const all = await listMatches(engines[0]!, { limit: 10, offset: 0, now });
        expect(all.items.map((m) => m.live)).toEqual([live, live, live, live]);
      }
    });

    it('matchPage: each match with the change marker lastInserts reports', async () => {
      const page = await onBoth(engines, (e) => e.store.matchPage({ limit: 100, offset: 0 }));
      const markers = await engines[0]!.store.lastInserts(page.items.map((m) => m.matchId));
      expect(page.items.length).toBe(MATCHES.length);
      for (const item of page.items) {
        const { matchId: _id, ...marker } = markers.get(item.matchId)!;
        expect(item).toMatchObject(marker);
      }
    });

    it('timeline: counts per 1m and 5m bucket and type', async () => {
      for (const matchId of matchIds) {
        for (const bucket of ['1m', '5m'] as const) {
          const timeline = await onBoth(
            engines,
            async (e) => (await e.store.timeline(matchId, bucket)).value,
          );
          expect({ matchId, bucket, timeline }).toEqual({
            matchId,
            bucket,
            timeline: refTimeline(ref(), matchId, bucket),
          });
        }
      }
    });

    it('highlights: goals and red cards once each, newest first, paginated', async () => {
      for (const matchId of matchIds) {
        for (const [limit, offset] of [
          [3, 0],
          [3, 3],
          [1000, 0],
          [5, 1000],
        ] as const) {
          const page = await onBoth(engines, async (e) => {
            if (!(await e.store.lastInserts([matchId])).has(matchId)) return null;
            return e.store.highlights({ matchId, limit, offset });
          });
          expect({ matchId, limit, offset, page }).toEqual({
            matchId,
            limit,
            offset,
            page: refHighlights(ref(), matchId, limit, offset),
          });
        }
      }
    });

    it('the per-match reads say their answers hold every stored row of the match', async () => {
      const stored = (matchId: string) =>
        delivered.reduce((a, d) => a + d.events.filter((ev) => ev.matchId === matchId).length, 0);
      for (const matchId of matchIds) {
        const versions = await onBoth(engines, async (e) => {
          return [
            (await e.store.metrics(matchId)).storedRows,
            (await e.store.timeline(matchId, '5m')).storedRows,
            (await e.store.topPlayers(matchId, { limit: 3 })).storedRows,
          ];
        });
        expect({ matchId, versions }).toEqual({ matchId, versions: Array(3).fill(stored(matchId)) });
      }
      const ids = MATCHES.map((m) => m.matchId);
      const totals = await engines[0]!.store.matchTotals(ids);
      expect(ids.map((id) => totals.get(id)!.storedRows)).toEqual(ids.map(stored));
    });

    const expectedMarker = (matchId: string) => {
      const times = delivered
        .filter((d) => d.events.some((ev) => ev.matchId === matchId))
        .map((d) => d.insertedAt.getTime());
      const storedRows = delivered.reduce(
        (a, d) => a + d.events.filter((ev) => ev.matchId === matchId).length,
        0,
      );
      return times.length === 0 ? null : { matchId, lastInsertedMs: Math.max(...times), storedRows };
    };

    it('lastInserts of one match: the latest insert touching the match and the rows stored for it', async () => {
      for (const matchId of matchIds) {
        const marker = await onBoth(
          engines,
          async (e) => (await e.store.lastInserts([matchId])).get(matchId) ?? null,
        );
        expect({ matchId, marker }).toEqual({ matchId, marker: expectedMarker(matchId) });
      }
    });

    it('lastInserts: the markers of many matches in one query, unknown ones left out', async () => {
      const markers = await onBoth(engines, async (e) =>
        [...(await e.store.lastInserts([...matchIds, ...matchIds]))].sort(([a], [b]) => (a < b ? -1 : 1)),
      );
      const expected = matchIds.flatMap((id) => {
        const m = expectedMarker(id);
        return m ? [[id, m] as const] : [];
      });
      expect(new Map(markers)).toEqual(new Map(expected));
    });

    it('topPlayers: ranked by events, goals or shots', async () => {
      for (const matchId of matchIds) {
        for (const by of ['events', 'goals', 'shots'] as const) {
          const players = await onBoth(
            engines,
            async (e) => (await e.store.topPlayers(matchId, { limit: 5, by })).value,
          );
          expect({ matchId, by, players }).toEqual({
            matchId,
            by,
            players: refTopPlayers(ref(), matchId, 5, by),
          });
        }
      }
    });
  };

  /** Everything the views count, per engine (latency excluded: a redelivery is a real, later sample). */
  const countsSnapshot = () =>
    Promise.all(
      engines.map(async (e) => {
        const perMatch = await Promise.all(
          MATCHES.map(async ({ matchId }) => {
            const metrics = (await e.store.metrics(matchId)).value;
            const { pipelineLatencyMs: _latency, ...counts } = metrics!;
            return {
              counts,
              timeline: (await e.store.timeline(matchId, '1m')).value,
              players: (await e.store.topPlayers(matchId, { limit: 100 })).value,
              highlights: await e.store.highlights({ matchId, limit: 1000, offset: 0 }),
            };
          }),
        );
        const list = await listMatches(e, {
          limit: 100,
          offset: 0,
          now: new Date('2030-01-01'),
        });
        return { engine: e.name, perMatch, list };
      }),
    );
  let beforeRedelivery: Awaited<ReturnType<typeof countsSnapshot>>;

  describe('after the first delivery', () => {
    it('covers every match of the fixture', async () => {
      expect(new Set(events.map((e) => e.matchId))).toEqual(new Set(MATCHES.map((m) => m.matchId)));
      beforeRedelivery = await countsSnapshot();
    });
    insertChecks();
    noCurrentSeals();
    readQueryChecks();
  });

  describe('after every match was sealed', () => {
    beforeAll(sealEverything);
    it('every count is what the raw rows gave', async () => {
      expect(await countsSnapshot()).toEqual(beforeRedelivery);
    });
    sealChecks();
    readQueryChecks();
  });

  describe('after a third of the events was delivered again (the seals are stale)', () => {
    beforeAll(async () => {
      expect(again.reduce((a, d) => a + d.events.length, 0)).toBeGreaterThan(200);
      await deliver(again);
    });
    it('every count is exactly what it was before the duplicates arrived', async () => {
      expect(await countsSnapshot()).toEqual(beforeRedelivery);
    });
    insertChecks();
    noCurrentSeals();
    readQueryChecks();
  });

  describe('after sealing again', () => {
    beforeAll(sealEverything);
    it('every count is exactly what it was before the duplicates arrived', async () => {
      expect(await countsSnapshot()).toEqual(beforeRedelivery);
    });
    sealChecks();
    readQueryChecks();
  });

  describe('after the background merges (OPTIMIZE FINAL): markers and duplicates merged', () => {
    const spread = (e: Engine) =>
      selectRows<{ markers: number; copies: number }>(
        e.client,
        e.caps,
        sql`SELECT
              (SELECT count() FROM ${table('match_figures')} WHERE kind = 'marker') -
              (SELECT uniqExact(match_id) FROM ${table('match_figures')} WHERE kind = 'marker') AS markers,
              (SELECT count() FROM ${table('events_unique')}) -
              (SELECT uniqExact(event_id) FROM ${table('events_unique')}) AS copies`,
      ).then((rows) => ({ markers: Number(rows[0]?.markers), copies: Number(rows[0]?.copies) }));

    beforeAll(async () => {
      for (const e of engines) {
        for (const name of ['match_figures', 'events_unique']) await optimizeFinal(e, name);
      }
    }, 120_000);

    it('one marker row per match and one events_unique row per event id, even without FINAL', async () => {
      expect(await onBoth(engines, spread)).toEqual({ markers: 0, copies: 0 });
    });
    sealChecks();
    readQueryChecks();
  });
});
