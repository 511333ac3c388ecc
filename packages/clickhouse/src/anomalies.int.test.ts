/**
 * Feed-integrity flags on both engines (ClickHouse 18.16 and chdb): the `anomalies` column of `events` and
 * `match_anomalies` (migration 010) — per rule the distinct flagged events, first/last flagged delivery and a few
 * examples, and the distinct events any rule flagged; an upgrade from 001–009 with data in it; and the match
 * list's liveness by receipt time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FeedRule, StoredEvent } from '@pitchpulse/contract';
import { insertEvents } from './events';
import { MIGRATIONS_DIR, runMigrations } from './migrations';
import { matchAnomalies, flaggedEvents } from './queries/anomalies';
import { matchPage } from './queries/matches';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import {
  buildDeliveries,
  buildEvents,
  closeEngines,
  expectReadsMatch,
  openEngines,
  uniqueDatabase,
  type Engine,
} from './testing';

jest.setTimeout(240_000);

const T0 = Date.parse('2024-05-04T15:00:00.000Z');
let serial = 0;
function event(matchId: string, patch: Partial<StoredEvent> = {}): StoredEvent {
  serial++;
  return {
    eventId: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    matchId,
    eventType: 'pass',
    timestamp: new Date(T0 + serial * 1000).toISOString(),
    teamId: 1,
    playerId: 'p-1',
    receivedAt: T0 + serial * 1000 + 500,
    ...patch,
  };
}
const flagged = (e: StoredEvent, ...anomalies: FeedRule[]): StoredEvent => ({ ...e, anomalies });

describe('feed-integrity flags on both engines', () => {
  const database = uniqueDatabase('anomalies');
  let engines: Engine[];

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) await runMigrations(e.client);
  });
  afterAll(() => closeEngines(engines));

  const insert = async (events: StoredEvent[]) => {
    for (const e of engines) await insertEvents(e.client, events, new Date(T0 + 3_600_000));
  };

  it('stores each delivery’s rules and answers per rule: distinct events, first/last seen, examples', async () => {
    const plain = Array.from({ length: 5 }, () => event('flags-1'));
    const velocity = Array.from({ length: 7 }, () => flagged(event('flags-1'), 'source-velocity'));
    const both = flagged(event('flags-1'), 'source-velocity', 'clock-skew');
    const resent = flagged(plain[0]!, 'duplicate-storm'); // a re-send of an unflagged event, flagged
    await insert([...plain, ...velocity.slice(0, 4)]);
    await insert([...velocity.slice(4), both, resent, velocity[0]!]); // velocity[0] delivered twice
    await insert([event('flags-2')]);

    const allVelocity = [...velocity, both];
    const receivedOf = (es: StoredEvent[]) => es.map((e) => e.receivedAt);
    for (const e of engines) {
      const stored = await selectRows<{ event_id: string; anomalies: string[] }>(
        e.client,
        e.caps,
        sql`SELECT event_id, anomalies FROM ${identifier(database, 'events')}
            WHERE match_id = ${'flags-1'} AND event_id = ${both.eventId}`,
      );
      expect({ engine: e.name, stored }).toEqual({
        engine: e.name,
        stored: [{ event_id: both.eventId, anomalies: ['source-velocity', 'clock-skew'] }],
      });
      const { value, storedRows } = await matchAnomalies(e.client, e.caps, 'flags-1');
      expect(storedRows).toBe(5 + 4 + 3 + 1 + 1 + 1);
      expect(value.flaggedEvents).toBe(7 + 1 + 1);
      expect(value.rules.map((r) => [r.rule, r.events])).toEqual([
        ['source-velocity', 8],
        ['duplicate-storm', 1],
        ['clock-skew', 1],
      ]);
      const [v] = value.rules;
      expect(v!.firstSeenAt).toBe(new Date(Math.min(...receivedOf(allVelocity))).toISOString());
      expect(v!.lastSeenAt).toBe(new Date(Math.max(...receivedOf(allVelocity))).toISOString());
      expect(v!.exampleEventIds.length).toBe(5);
      for (const id of v!.exampleEventIds) expect(allVelocity.map((x) => x.eventId)).toContain(id);
      expect(value.rules[1]!.exampleEventIds).toEqual([plain[0]!.eventId]);
      expect(await flaggedEvents(e.client, e.caps, 'flags-2')).toBe(0);
      expect((await matchAnomalies(e.client, e.caps, 'flags-2')).value).toEqual({
        matchId: 'flags-2',
        flaggedEvents: 0,
        rules: [],
      });
      expect((await matchAnomalies(e.client, e.caps, 'flags-none')).storedRows).toBe(0);
    }
  });

  it('lists a match as live by when its events were received, not by their timestamps', async () => {
    const now = new Date(T0 + 10 * 3_600_000);
    const hour = 3_600_000;
    // stamped an hour in the future of `now`, received an hour before it: not live
    await insert([
      event('live-future', {
        timestamp: new Date(now.getTime() + hour).toISOString(),
        receivedAt: now.getTime() - hour,
      }),
    ]);
    // stamped a day ago, received a minute ago: live
    await insert([
      event('live-late', {
        timestamp: new Date(now.getTime() - 24 * hour).toISOString(),
        receivedAt: now.getTime() - 60_000,
      }),
    ]);
    for (const e of engines) {
      const page = await matchPage(e.client, e.caps, { limit: 100, offset: 0, now });
      const live = Object.fromEntries(page.items.map((m) => [m.matchId, m.live]));
      expect({ engine: e.name, future: live['live-future'], late: live['live-late'] }).toEqual({
        engine: e.name,
        future: false,
        late: true,
      });
      expect(page.items[0]!.matchId).toBe('live-late');
    }
  });
});

describe('upgrade from 001–009 with data in it', () => {
  const database = uniqueDatabase('anomalies_upgrade');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  let engines: Engine[];

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-009-'));
    for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f < '010')) {
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
    }
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client, { dir });
      for (const d of first) await insertEvents(e.client, d.events, d.insertedAt);
    }
  });
  afterAll(() => closeEngines(engines));

  it('keeps every read exact, gives the old rows no flags, and counts flags stored after it', async () => {
    for (const e of engines) {
      const applied = await runMigrations(e.client);
      expect(applied.applied).toEqual(['010_feed_anomalies']);
      for (const d of again) await insertEvents(e.client, d.events, d.insertedAt);
    }
    await expectReadsMatch(engines, [...first, ...again]);
    const matchId = events[0]!.matchId;
    for (const e of engines) {
      const [row] = await selectRows<{ flagged: number; rows: number }>(
        e.client,
        e.caps,
        sql`SELECT countIf(notEmpty(anomalies)) AS flagged, count() AS rows FROM ${identifier(database, 'events')}`,
      );
      expect(Number(row!.flagged)).toBe(0);
      expect(Number(row!.rows)).toBeGreaterThan(0);
      expect((await matchAnomalies(e.client, e.caps, matchId)).value.rules).toEqual([]);
    }
    const resent = events
      .filter((e) => e.matchId === matchId)
      .slice(0, 3)
      .map((e) => flagged(e, 'duplicate-storm'));
    for (const e of engines) await insertEvents(e.client, resent, new Date());
    await expectReadsMatch(engines, [...first, ...again, { events: resent, insertedAt: new Date() }]);
    for (const e of engines) {
      const { value } = await matchAnomalies(e.client, e.caps, matchId);
      expect(value.flaggedEvents).toBe(3);
      expect(value.rules.map((r) => [r.rule, r.events])).toEqual([['duplicate-storm', 3]]);
    }
  });
});
