/**
 * Upgrading a deployment that already holds events: the schema of the previous release (001 + 002) with rows and
 * redelivered duplicates in it, then this release's migrations, on both engines. Existing rows must move with
 * the schema: markers, match times and events_unique filled by the migration, seals by the sealer (the backfill),
 * every read equal to what the events imply before and after the backfill.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertEvents } from './events';
import { MIGRATIONS_DIR, runMigrations } from './migrations';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import {
  MATCHES,
  buildDeliveries,
  buildEvents,
  closeEngines,
  distinctEvents,
  openEngines,
  refMetrics,
  refTimeline,
  refTopPlayers,
  uniqueDatabase,
  type Engine,
} from './testing';

const PREVIOUS_RELEASE = ['001_events.sql', '002_match_aggregates.sql'];

describe('upgrade from the previous schema with data in it', () => {
  const database = uniqueDatabase('upgrade');
  const events = buildEvents();
  const { first, again } = buildDeliveries(events);
  const delivered = [...first, ...again];
  const ref = distinctEvents(delivered);
  let engines: Engine[];
  let previous: string;

  const tables = (e: Engine) =>
    selectRows<{ name: string }>(
      e.client,
      e.caps,
      sql`SELECT name FROM system.tables WHERE database = ${database} ORDER BY name`,
    ).then((rows) => rows.map((r) => r.name));

  const readsMatchTheEvents = async () => {
    for (const e of engines) {
      for (const { matchId } of MATCHES) {
        const answers = {
          metrics: (await e.store.metrics(matchId)).value,
          timeline: (await e.store.timeline(matchId, '5m')).value,
          players: (await e.store.topPlayers(matchId, { limit: 5 })).value,
        };
        expect({ engine: e.name, matchId, answers }).toEqual({
          engine: e.name,
          matchId,
          answers: {
            metrics: refMetrics(ref, delivered, matchId),
            timeline: refTimeline(ref, matchId, '5m'),
            players: refTopPlayers(ref, matchId, 5, 'events'),
          },
        });
      }
    }
  };

  beforeAll(async () => {
    previous = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-previous-'));
    for (const f of PREVIOUS_RELEASE) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(previous, f));
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
      expect(result.applied).toEqual(['003_sealed_figures', '004_drop_id_set_views']);
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
