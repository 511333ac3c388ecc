/**
 * Retractions on both engines (ClickHouse 18.16 and chdb): every figure leaves a retracted event out, exactly,
 * in every order — the event first, the retraction first, duplicates of each, the same event retracted twice, a
 * retraction of an event that never arrives, every event of a match retracted — from raw rows and from seals.
 */
import type { StoredEvent, StoredRetraction } from '@pitchpulse/contract';
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { insertRetractions } from './retractions';
import { selectRows } from './query';
import { pendingMatches } from './seals';
import { identifier, sql } from './sql';
import {
  MATCHES,
  buildDeliveries,
  buildEvents,
  closeEngines,
  distinctEvents,
  expectReadsMatch,
  openEngines,
  refHighlights,
  uniqueDatabase,
  type Delivery,
  type Engine,
} from './testing';

jest.setTimeout(240_000);

const key = (r: { matchId: string; eventId: string }) => `${r.matchId}/${r.eventId}`;

describe('retractions on both engines: every figure leaves the retracted events out, in every order', () => {
  const database = uniqueDatabase('retractions');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  const ofMatch = (matchId: string) =>
    events
      .filter((e) => e.matchId === matchId)
      .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  const goalOf = (matchId: string, nth: number) =>
    ofMatch(matchId).filter((e) => e.eventType === 'goal')[nth]!;

  // The retracted events and the order they arrive in (see each test).
  const afterEvent = goalOf('cmp-feed-minutes', 0); // stored, then retracted
  const earliest = ofMatch('cmp-derived')[0]!; // the match's first event (its minutes count from the next one)
  const beforeEvent = ofMatch('cmp-derived')[5]!; // retracted before it is ever stored
  const afterSeal = goalOf('cmp-feed-minutes', 1); // retracted once the match is sealed
  const tiny = ofMatch('cmp-tiny'); // every event of a match
  const neverSent = { matchId: 'cmp.mixed:2_x-y', eventId: '00000000-0000-4000-8000-00000000dead' };

  let engines: Engine[];
  let delivered: Delivery[] = [];
  const retracted = new Map<string, { reason: string; receivedAt: number }>();
  let clock = Date.parse('2024-03-11T00:00:00.000Z');

  const deliver = async (batch: StoredEvent[]) => {
    const d = { events: batch, insertedAt: new Date((clock += 1000)) };
    for (const e of engines) await insertEvents(e.client, d.events, d.insertedAt);
    delivered = [...delivered, d];
  };
  const retract = async (items: Array<{ matchId: string; eventId: string }>, reason: string) => {
    const receivedAt = (clock += 1000);
    const rows: StoredRetraction[] = items.map((i) => ({ kind: 'retraction', ...i, reason, receivedAt }));
    for (const e of engines) await insertRetractions(e.client, rows, new Date(receivedAt + 5));
    for (const i of items) if (!retracted.has(key(i))) retracted.set(key(i), { reason, receivedAt });
  };

  /** What the figures must say: the delivered events, without the retracted ones (latency from their rows). */
  const kept = (d: Delivery[]) =>
    d.map((x) => ({ ...x, events: x.events.filter((ev) => !retracted.has(key(ev))) }));
  const checkFigures = async () => {
    const deliveries = kept(delivered);
    const ref = distinctEvents(deliveries);
    await expectReadsMatch(engines, deliveries);
    for (const e of engines) {
      const totals = await e.store.matchTotals(MATCHES.map((m) => m.matchId));
      for (const { matchId } of MATCHES) {
        const evs = ref.filter((ev) => ev.matchId === matchId);
        expect({ matchId, total: totals.get(matchId)?.totalEvents ?? 0 }).toEqual({
          matchId,
          total: evs.length,
        });
      }
      const days = { from: '2024-01-01', to: '2024-03-31' };
      const daily = (await e.store.dailyStats(days)).value;
      expect(daily).toEqual((await e.store.dailyStatsFromEvents(days)).value);
      expect(daily.reduce((n, d) => n + d.events, 0)).toBe(ref.length);
      expect(daily.reduce((n, d) => n + d.goals, 0)).toBe(ref.filter((ev) => ev.eventType === 'goal').length);
    }
  };
  const sealAll = async () => {
    for (const e of engines) {
      await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect(await pendingMatches(e.client, e.caps, { quietMs: 0, limit: 1000 })).toEqual([]);
    }
  };

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) await runMigrations(e.client);
  });
  afterAll(() => closeEngines(engines));

  it('the event first, then its retraction; and a retraction of an event never sent', async () => {
    await deliver(first.flatMap((d) => d.events).filter((ev) => ev.eventId !== beforeEvent.eventId));
    await checkFigures();
    await retract([afterEvent, earliest, neverSent], 'VAR: offside');
    await checkFigures();
    for (const e of engines) {
      expect((await e.store.retractions('cmp-derived')).value).toEqual([
        {
          eventId: earliest.eventId,
          reason: 'VAR: offside',
          retractedAt: new Date(retracted.get(key(earliest))!.receivedAt).toISOString(),
          found: true,
          eventType: earliest.eventType,
        },
      ]);
      expect((await e.store.retractions(neverSent.matchId)).value).toEqual([
        expect.objectContaining({ eventId: neverSent.eventId, found: false, eventType: null }),
      ]);
    }
  });

  it("keeps the retractions' times in UTC, as every other table (migration 009)", async () => {
    for (const e of engines) {
      const [types] = await selectRows<{ r: string; i: string }>(
        e.client,
        e.caps,
        sql`SELECT toTypeName(received_at) AS r, toTypeName(inserted_at) AS i
            FROM ${identifier(database, 'retractions')} LIMIT 1`,
      );
      expect(types).toEqual({ r: "DateTime('UTC')", i: "DateTime('UTC')" });
    }
  });

  it('a sealed match, then a retraction: its seal stops being current, and the new seal leaves the event out', async () => {
    await sealAll();
    await checkFigures();
    await retract([afterSeal], 'VAR: handball');
    for (const e of engines) {
      expect(await e.store.metricsFromSeal('cmp-feed-minutes')).toBeNull();
      expect(await pendingMatches(e.client, e.caps, { quietMs: 0, limit: 1000 })).toEqual([
        'cmp-feed-minutes',
      ]);
    }
    await checkFigures();
    await sealAll();
    await checkFigures();
  });

  it('the retraction first, then the event it names', async () => {
    await retract([beforeEvent], 'sent for the wrong match');
    for (const e of engines) {
      expect((await e.store.retractions('cmp-derived')).value).toContainEqual(
        expect.objectContaining({ eventId: beforeEvent.eventId, found: false }),
      );
    }
    await checkFigures();
    await deliver([beforeEvent]);
    await checkFigures();
    for (const e of engines) {
      expect((await e.store.retractions('cmp-derived')).value).toContainEqual(
        expect.objectContaining({
          eventId: beforeEvent.eventId,
          found: true,
          eventType: beforeEvent.eventType,
        }),
      );
    }
  });

  it('duplicates of events and retractions, and the same event retracted twice: each counts once', async () => {
    for (const d of again) await deliver(d.events);
    await deliver([afterEvent, beforeEvent, afterSeal, earliest]);
    await retract([afterEvent, beforeEvent], 'a second review');
    await retract([afterEvent], 'a third review');
    await checkFigures();
    for (const e of engines) {
      const list = (await e.store.retractions('cmp-feed-minutes')).value;
      expect(list.map((r) => [r.eventId, r.reason])).toEqual([
        [afterEvent.eventId, 'VAR: offside'],
        [afterSeal.eventId, 'VAR: handball'],
      ]);
    }
    await sealAll();
    await checkFigures();
  });

  it('every event of a match retracted: no figures, and its seal is a seal of nothing', async () => {
    await retract(tiny, 'abandoned');
    for (const e of engines) {
      expect((await e.store.metrics('cmp-tiny')).value).toBeNull();
      const seal = await e.store.seal('cmp-tiny');
      expect(seal).toMatchObject({ matchId: 'cmp-tiny', totalEvents: 0 });
      expect(await pendingMatches(e.client, e.caps, { quietMs: 0, limit: 1000 })).toEqual([]);
      expect((await e.store.metrics('cmp-tiny')).value).toBeNull();
      expect(await e.store.metricsFromSeal('cmp-tiny')).toBeNull();
    }
    await checkFigures();
  });

  it('highlights: a retracted goal is RETRACTED and never enriched; the others are not', async () => {
    for (const e of engines) {
      const page = await e.store.highlights({ matchId: 'cmp-feed-minutes', limit: 1000, offset: 0 });
      const status = new Map(page.items.map((h) => [h.eventId, h.status]));
      expect(status.get(afterEvent.eventId)).toBe('RETRACTED');
      expect(status.get(afterSeal.eventId)).toBe('RETRACTED');
      const others = [...status].filter(([id]) => id !== afterEvent.eventId && id !== afterSeal.eventId);
      expect(others.length).toBeGreaterThan(0);
      expect(new Set(others.map(([, s]) => s))).toEqual(new Set(['PENDING']));
    }
  });

  it("highlights' minutes count from the first event that counts (cmp-derived's first two are retracted)", async () => {
    // Its first two events share a minute: with the second retracted too, its minutes count from a later one.
    await retract([ofMatch('cmp-derived')[1]!], 'sent for the wrong match');
    const ref = distinctEvents(kept(delivered));
    for (const e of engines) {
      for (const matchId of ['cmp-derived', 'cmp-feed-minutes']) {
        const expected = refHighlights(ref, matchId, 1000, 0)!.items.map((h) => [h.eventId, h.minute]);
        expect(expected.length).toBeGreaterThan(0);
        const page = await e.store.highlights({ matchId, limit: 1000, offset: 0 });
        const minutes = page.items.filter((h) => h.status !== 'RETRACTED').map((h) => [h.eventId, h.minute]);
        expect({ engine: e.name, matchId, minutes }).toEqual({ engine: e.name, matchId, minutes: expected });
      }
    }
  });
});
