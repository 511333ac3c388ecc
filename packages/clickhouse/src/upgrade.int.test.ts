/**
 * Upgrading a deployment that already holds events, on both engines, from each earlier release:
 *  - 001 + 002 (id-set views) with rows and redelivered duplicates: markers, match times and events_unique filled
 *    by the migrations, seals by the sealer (the backfill), every read exact before and after the backfill;
 *  - 001–004 (seals) with sealed, stale and retired matches: migration 005 moves each match's marker, retirements
 *    and latest seal into match_activity, so the seals current before stay current (none computed again), the
 *    stale one stays stale, and every read stays exact;
 *  - 001–006 (highlights) with every match sealed: the daily stats stay exact after 007, computed from the seals
 *    until the sealer stores the season's days, then read from them; 008 (retractions) keeps every seal current
 *    (no match is sealed again for it) and a first retraction makes only its match's seal stale.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertEvents } from './events';
import { execute } from './query';
import { readHeads } from './queries/figures';
import { insertRetractions } from './retractions';
import { writeSeal } from './seals';
import { MIGRATIONS_DIR, runMigrations } from './migrations';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import {
  MATCHES,
  buildDeliveries,
  buildEvents,
  closeEngines,
  distinctEvents,
  expectReadsMatch,
  openEngines,
  uniqueDatabase,
  type Engine,
} from './testing';

const PREVIOUS_RELEASE = ['001_events.sql', '002_match_aggregates.sql'];
const SEALS_RELEASE = [...PREVIOUS_RELEASE, '003_sealed_figures.sql', '004_drop_id_set_views.sql'];
const HIGHLIGHTS_RELEASE = [...SEALS_RELEASE, '005_match_heads.sql', '006_highlights.sql'];

/** A folder holding only the given migration files: the schema of an earlier release. */
function releaseDir(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-previous-'));
  for (const f of files) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  return dir;
}

/**
 * The tests write an earlier release's seals with today's sealer, which leaves retracted events out and so reads
 * `retractions`: give the earlier schema that table as 008 creates it (008's CREATE … IF NOT EXISTS then keeps it).
 */
async function addRetractionsTable(e: Engine, database: string): Promise<void> {
  const file = fs.readFileSync(path.join(MIGRATIONS_DIR, '008_retractions.sql'), 'utf8');
  const create = file.slice(file.indexOf('CREATE TABLE'), file.indexOf(';', file.indexOf('CREATE TABLE')));
  await e.client.command({ query: create.replaceAll('{{database}}', database) });
}

describe('upgrade from the previous schema with data in it', () => {
  const database = uniqueDatabase('upgrade');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  const delivered = [...first, ...again];
  let engines: Engine[];
  let previous: string;

  const tables = (e: Engine) =>
    selectRows<{ name: string }>(
      e.client,
      e.caps,
      sql`SELECT name FROM system.tables WHERE database = ${database} ORDER BY name`,
    ).then((rows) => rows.map((r) => r.name));

  const readsMatchTheEvents = () => expectReadsMatch(engines, delivered);

  beforeAll(async () => {
    previous = releaseDir(PREVIOUS_RELEASE);
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client, { dir: previous });
      for (const d of delivered) await insertEvents(e.client, d.events, d.insertedAt);
    }
  });
  afterAll(async () => {
    await closeEngines(engines);
    fs.rmSync(previous, { recursive: true, force: true });
  });

  it('starts from the previous release: its aggregate views, fed with the rows', async () => {
    for (const e of engines) {
      expect(await tables(e)).toContain('match_minute_counts');
      const [row] = await selectRows<{ n: number }>(
        e.client,
        e.caps,
        sql`SELECT countMerge(stored_rows) AS n FROM ${identifier(database, 'match_event_counts')}`,
      );
      expect(Number(row!.n)).toBe(delivered.reduce((a, d) => a + d.events.length, 0));
    }
  });

  it("applies this release's migrations and drops the id-set views", async () => {
    for (const e of engines) {
      const result = await runMigrations(e.client);
      expect(result.applied).toEqual([
        '003_sealed_figures',
        '004_drop_id_set_views',
        '005_match_heads',
        '006_highlights',
        '007_season_days',
        '008_retractions',
        '009_retractions_utc',
        '010_feed_anomalies',
      ]);
      const names = await tables(e);
      expect(names).not.toContain('match_minute_counts');
      expect(names).toEqual(expect.arrayContaining(['match_figures', 'daily_figures', 'events_unique']));
    }
  });

  it('filled the markers, the match times and events_unique from the existing rows', async () => {
    const stored = new Map<string, number>();
    for (const d of delivered)
      for (const ev of d.events) stored.set(ev.matchId, (stored.get(ev.matchId) ?? 0) + 1);
    for (const e of engines) {
      const markers = await selectRows<{ match_id: string; n: number }>(
        e.client,
        e.caps,
        sql`SELECT match_id, sum(stored_rows) AS n FROM ${identifier(database, 'match_figures')}
            WHERE kind = 'marker' GROUP BY match_id ORDER BY match_id`,
      );
      expect(new Map(markers.map((r) => [r.match_id, Number(r.n)]))).toEqual(stored);
      const [unique] = await selectRows<{ n: number }>(
        e.client,
        e.caps,
        sql`SELECT count() AS n FROM ${identifier(database, 'events_unique')} FINAL`,
      );
      expect(Number(unique!.n)).toBe(events.length);
      const page = await e.store.matchPage({ limit: 100, offset: 0 });
      expect(page.total).toBe(MATCHES.length);
    }
  });

  it('serves every read from the raw rows before the backfill, exactly', async () => {
    for (const e of engines) expect(await e.store.metricsFromSeal(MATCHES[0]!.matchId)).toBeNull();
    await readsMatchTheEvents();
  });

  it('the backfill seals every match once; the reads then come from the seals, still exact', async () => {
    for (const e of engines) {
      const sealed = await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect(sealed.map((s) => s.matchId).sort()).toEqual(MATCHES.map((m) => m.matchId).sort());
      expect(await e.store.sealPending({ quietMs: 0, limit: 1000 })).toEqual([]);
      for (const { matchId } of MATCHES) expect(await e.store.metricsFromSeal(matchId)).not.toBeNull();
    }
    await readsMatchTheEvents();
  });
});

describe('upgrade from the seals release (001–004) with sealed, stale and retired matches', () => {
  const database = uniqueDatabase('upgrade_heads');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  const [stale, retired] = [MATCHES[0]!.matchId, MATCHES[1]!.matchId];
  const late = again.map((d) => ({ ...d, events: d.events.filter((ev) => ev.matchId === stale) }));
  const delivered = [...first, ...late];
  let engines: Engine[];
  let previous: string;

  /** What the previous release's sealer recorded as a seal's version: the sum of the match's marker rows. */
  const previousMarkers = (e: Engine) =>
    selectRows<{ match_id: string; n: number }>(
      e.client,
      e.caps,
      sql`SELECT match_id, sum(stored_rows) AS n FROM ${identifier(database, 'match_figures')}
          WHERE kind = 'marker' GROUP BY match_id`,
    ).then((rows) => new Map(rows.map((r) => [r.match_id, Number(r.n)])));

  beforeAll(async () => {
    previous = releaseDir(SEALS_RELEASE);
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client, { dir: previous });
      await addRetractionsTable(e, database);
      for (const d of first) await insertEvents(e.client, d.events, d.insertedAt);
      // Sealed as the previous release sealed (its version: the marker rows), one match retired by retention.
      for (const [matchId, marker] of await previousMarkers(e)) {
        expect(await writeSeal(e.client, e.caps, matchId, marker, Date.now)).toMatchObject({ matchId });
      }
      await execute(
        e.client,
        e.caps,
        sql`INSERT INTO ${identifier(database, 'match_figures')} (match_id, kind, retired) VALUES (${retired}, 'retired', 1)`,
      );
      // Then redeliveries of one match: its seal is stale.
      for (const d of late) await insertEvents(e.client, d.events, d.insertedAt);
    }
  });
  afterAll(async () => {
    await closeEngines(engines);
    fs.rmSync(previous, { recursive: true, force: true });
  });

  it('applies 005–008', async () => {
    for (const e of engines)
      expect((await runMigrations(e.client)).applied).toEqual([
        '005_match_heads',
        '006_highlights',
        '007_season_days',
        '008_retractions',
        '009_retractions_utc',
        '010_feed_anomalies',
      ]);
  });

  it("moved every match's marker, retirement and latest seal into match_activity", async () => {
    for (const e of engines) {
      const markers = await previousMarkers(e);
      const heads = await readHeads(
        e.client,
        e.caps,
        MATCHES.map((m) => m.matchId),
      );
      expect(new Map([...heads].map(([id, h]) => [id, h.marker]))).toEqual(markers);
      expect([...heads].filter(([, h]) => h.retired).map(([id]) => id)).toEqual([retired]);
      expect([...heads].filter(([, h]) => h.sealId === '')).toEqual([]);
    }
  });

  it('006 made every stored goal and red card a PENDING highlight, once', async () => {
    const ref = distinctEvents(delivered).filter(
      (ev) => ev.eventType === 'goal' || ev.eventType === 'red_card',
    );
    for (const e of engines) {
      const all = await e.store.highlights({ limit: 1000, offset: 0 });
      expect(all.items.map((h) => h.eventId).sort()).toEqual(ref.map((ev) => ev.eventId).sort());
      expect(new Set(all.items.map((h) => h.status))).toEqual(new Set(['PENDING']));
    }
  });

  it('keeps the seals current before current: only the stale match is sealed again', async () => {
    const others = MATCHES.map((m) => m.matchId).filter((id) => id !== stale);
    for (const e of engines) {
      for (const id of others) expect(await e.store.metricsFromSeal(id)).not.toBeNull();
      expect(await e.store.metricsFromSeal(stale)).toBeNull();
      const current = await selectRows<{ match_id: string }>(
        e.client,
        e.caps,
        sql`SELECT match_id FROM ${identifier(database, 'match_current_seals')} ORDER BY match_id`,
      );
      expect(current.map((r) => r.match_id)).toEqual([...others].sort());
    }
    await expectReadsMatch(engines, delivered);
    for (const e of engines) {
      const sealed = await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect(sealed.map((s) => s.matchId)).toEqual([stale]);
      expect(await e.store.metricsFromSeal(stale)).not.toBeNull();
    }
    await expectReadsMatch(engines, delivered);
  });

  it('a new insert moves the marker in match_activity: the seal stops being current, reads stay exact', async () => {
    const more = first.map((d) => ({
      ...d,
      events: d.events.filter((ev) => ev.matchId === stale).slice(0, 3),
    }));
    for (const e of engines) {
      for (const d of more) await insertEvents(e.client, d.events, d.insertedAt);
      expect(await e.store.metricsFromSeal(stale)).toBeNull();
    }
    await expectReadsMatch(engines, [...delivered, ...more]);
  });
});

describe('upgrade from the highlights release (001–006) with every match sealed', () => {
  const database = uniqueDatabase('upgrade_days');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  const days = events.map((ev) => new Date(ev.timestamp).toISOString().slice(0, 10)).sort();
  const range = { from: days[0]!, to: days[days.length - 1]! };
  let engines: Engine[];
  let previous: string;
  /** Per engine: the daily stats computed from the raw rows before the upgrade. */
  const before = new Map<string, unknown>();

  const daily = (e: Engine) => e.store.dailyStats(range).then((a) => a.value);

  beforeAll(async () => {
    previous = releaseDir(HIGHLIGHTS_RELEASE);
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client, { dir: previous });
      await addRetractionsTable(e, database);
      for (const d of [...first, ...again]) await insertEvents(e.client, d.events, d.insertedAt);
      await e.store.sealPending({ quietMs: 0, limit: 1000 });
      before.set(e.name, (await e.store.dailyStatsFromEvents(range)).value);
    }
  });
  afterAll(async () => {
    await closeEngines(engines);
    fs.rmSync(previous, { recursive: true, force: true });
  });

  it('applies 007 and 008; the daily stats are computed from the seals until the season is stored, then read from it', async () => {
    for (const e of engines) {
      expect((await runMigrations(e.client)).applied).toEqual([
        '007_season_days',
        '008_retractions',
        '009_retractions_utc',
        '010_feed_anomalies',
      ]);
      const expected = before.get(e.name);
      expect((expected as unknown[]).length).toBeGreaterThan(0);
      expect(await daily(e)).toEqual(expected);
      const snapshot = await e.store.statsSnapshot();
      expect(await e.store.writeSeasonDays()).toEqual({
        version: snapshot.version,
        days: new Set(days).size,
      });
      expect(await daily(e)).toEqual(expected);
    }
  });

  it('a new insert leaves the stored version behind: nothing stored while a match is unsealed, still exact', async () => {
    const more = first.map((d) => ({ ...d, events: d.events.slice(0, 2) }));
    for (const e of engines) {
      for (const d of more) await insertEvents(e.client, d.events, d.insertedAt);
      expect(await e.store.writeSeasonDays()).toBeNull();
      expect(await daily(e)).toEqual(before.get(e.name)); // the same events again: duplicates only
      await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect(await e.store.writeSeasonDays()).not.toBeNull();
      expect(await daily(e)).toEqual(before.get(e.name));
    }
  });

  it('008 kept every seal current; a first retraction makes only its own match pending', async () => {
    const goal = events.find((ev) => ev.eventType === 'goal')!;
    for (const e of engines) {
      expect(await e.store.sealPending({ quietMs: 0, limit: 1000 })).toEqual([]);
      const { eventId, matchId } = goal;
      await insertRetractions(e.client, [
        { kind: 'retraction', eventId, matchId, reason: 'VAR', receivedAt: Date.now() },
      ]);
      const sealed = await e.store.sealPending({ quietMs: 0, limit: 1000 });
      expect(sealed.map((s) => s.matchId)).toEqual([goal.matchId]);
      const metrics = (await e.store.metrics(goal.matchId)).value!;
      expect(metrics).toEqual(await e.store.metricsFromEvents(goal.matchId));
      const stored = new Set(events.filter((ev) => ev.matchId === goal.matchId).map((ev) => ev.eventId));
      expect(metrics.totalEvents).toBe(stored.size - 1);
    }
  });
});
