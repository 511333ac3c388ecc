import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StoredEvent } from '@pitchpulse/contract';
import { createClickHouseClient } from './client';
import { EVENT_COLUMNS, insertEvents, toEventRow } from './events';
import { MIGRATIONS_DIR, MigrationChecksumError, loadMigrations, runMigrations } from './migrations';
import { selectRows } from './query';
import { identifier, sql } from './sql';
import { clickhouseUrl, closeEngines, openEngines, uniqueDatabase, type Engine } from './testing/engines';

const SCHEMA_TABLES = [
  'daily_figures',
  'daily_match_figures',
  'events',
  'events_unique',
  'events_unique_mv',
  'highlight_types',
  'highlights',
  'highlights_mv',
  'match_activity',
  'match_activity_retractions_mv',
  'match_activity_rows_mv',
  'match_activity_seals_mv',
  'match_anomalies',
  'match_anomalies_mv',
  'match_current_seals',
  'match_figures',
  'match_figures_marker_mv',
  'retractions',
  'schema_migrations',
  'season_days',
];

async function tables(e: Engine, database: string): Promise<string[]> {
  const rows = await selectRows<{ name: string }>(
    e.client,
    e.caps,
    sql`SELECT name FROM system.tables WHERE database = ${database} ORDER BY name`,
  );
  return rows.map((r) => r.name);
}

async function records(e: Engine, database: string) {
  const rows = await selectRows<{ version: number; name: string; n: number }>(
    e.client,
    e.caps,
    sql`SELECT version, name, count() AS n FROM ${identifier(database, 'schema_migrations')}
        GROUP BY version, name ORDER BY version`,
  );
  return rows.map((r) => ({ version: Number(r.version), name: r.name, n: Number(r.n) }));
}

describe('runMigrations on both engines', () => {
  const database = uniqueDatabase('migrations');
  let engines: Engine[];
  const files = loadMigrations();
  const labels = files.map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);

  beforeAll(async () => {
    engines = await openEngines(database);
  });
  afterAll(() => closeEngines(engines));

  it('reads NNN_name.sql files from the package folder, in order', () => {
    expect(MIGRATIONS_DIR).toBe(path.resolve(__dirname, '..', 'migrations'));
    expect(labels).toEqual([
      '001_events',
      '002_match_aggregates',
      '003_sealed_figures',
      '004_drop_id_set_views',
      '005_match_heads',
      '006_highlights',
      '007_season_days',
      '008_retractions',
      '009_retractions_utc',
      '010_feed_anomalies',
    ]);
    expect(files.every((m) => /^[0-9a-f]{64}$/.test(m.checksum))).toBe(true);
  });

  it('creates the database, applies each migration once and records it', async () => {
    for (const e of engines) {
      const result = await runMigrations(e.client);
      expect(result).toEqual({ database, applied: labels, alreadyApplied: [], unknownVersions: [] });
      expect(await tables(e, database)).toEqual(SCHEMA_TABLES);
      expect(await records(e, database)).toEqual(
        files.map((m) => ({ version: m.version, name: m.name, n: 1 })),
      );
    }
  });

  it('a second run is a no-op', async () => {
    for (const e of engines) {
      const result = await runMigrations(e.client);
      expect(result).toEqual({ database, applied: [], alreadyApplied: labels, unknownVersions: [] });
      expect(await records(e, database)).toEqual(
        files.map((m) => ({ version: m.version, name: m.name, n: 1 })),
      );
    }
  });

  it('stores inserted events exactly as the row mapper built them', async () => {
    const events: StoredEvent[] = [
      {
        eventId: '6f1c7c1e-2f7a-4c1b-9a5e-000000000001',
        matchId: 'mig-1',
        eventType: 'goal',
        timestamp: '2024-01-15T15:30:00.042+01:00',
        teamId: 2,
        playerId: "o'neil\\\t\n\r\\N",
        metadata: { minute: 45, note: 'a\nb\0c — ⚽' },
        receivedAt: Date.parse('2024-01-15T14:30:00.500Z'),
      },
      {
        eventId: '6f1c7c1e-2f7a-4c1b-9a5e-000000000002',
        matchId: 'mig-1',
        eventType: 'pass',
        timestamp: '2024-01-15T14:31:00Z',
        teamId: 1,
        receivedAt: Date.parse('2024-01-15T14:31:00.001Z'),
      },
    ];
    const insertedAt = new Date('2024-01-15T14:31:02.999Z');
    const expected = events.map((ev) => toEventRow(ev, insertedAt));
    const columns = EVENT_COLUMNS.map((c) =>
      /_at$|_time$/.test(c) ? sql`toString(${identifier(c)}) AS ${identifier(c)}` : sql`${identifier(c)}`,
    );
    for (const e of engines) {
      expect(await insertEvents(e.client, events, insertedAt)).toBe(2);
      expect(await insertEvents(e.client, [], insertedAt)).toBe(0);
      const rows = await selectRows<Record<string, unknown>>(
        e.client,
        e.caps,
        sql`SELECT ${columns.reduce((acc, c, i) => (i === 0 ? c : sql`${acc}, ${c}`))}
            FROM ${identifier(database, 'events')} WHERE match_id = ${'mig-1'} ORDER BY event_id`,
      );
      expect({ engine: e.name, rows }).toEqual({ engine: e.name, rows: expected });
    }
  });
});

describe('runMigrations from several processes at once', () => {
  it('four concurrent runners on a fresh database all succeed and record each version', async () => {
    const database = uniqueDatabase('migrace');
    const clients = Array.from({ length: 4 }, () =>
      createClickHouseClient({ url: clickhouseUrl(), database }),
    );
    try {
      const results = await Promise.all(clients.map((c) => runMigrations(c)));
      const labels = loadMigrations().map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`);
      for (const r of results) expect([...r.applied, ...r.alreadyApplied].sort()).toEqual(labels);
      const [again] = await Promise.all([runMigrations(clients[0]!)]);
      expect(again!.applied).toEqual([]);
      const engine = {
        name: 'clickhouse-18',
        client: clients[0]!,
        caps: { version: '', nativeParams: false, database },
      } as Engine;
      expect(await tables(engine, database)).toEqual(SCHEMA_TABLES);
      // A version recorded by two racing runners is read once (GROUP BY version); each is recorded at least once.
      const recorded = await records(engine, database);
      expect(recorded.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    } finally {
      await clients[0]!.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

describe('runMigrations guards applied files', () => {
  const database = uniqueDatabase('migsum');
  let engines: Engine[];
  let dir: string;

  beforeAll(async () => {
    engines = await openEngines(database);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-migrations-'));
    for (const f of fs.readdirSync(MIGRATIONS_DIR))
      fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  });
  afterAll(async () => {
    await closeEngines(engines);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies a new file alone and refuses a changed applied one', async () => {
    for (const e of engines) await runMigrations(e.client, { dir });
    fs.writeFileSync(
      path.join(dir, '099_extra.sql'),
      'CREATE TABLE IF NOT EXISTS {{database}}.extra (id UInt32) ENGINE = MergeTree ORDER BY id;\n',
    );
    for (const e of engines) {
      const result = await runMigrations(e.client, { dir });
      expect(result.applied).toEqual(['099_extra']);
    }
    fs.appendFileSync(path.join(dir, '001_events.sql'), '\n-- an innocent-looking edit\n');
    for (const e of engines) {
      await expect(runMigrations(e.client, { dir })).rejects.toThrow(MigrationChecksumError);
      await expect(runMigrations(e.client, { dir })).rejects.toThrow(
        /001_events\.sql was changed after it was applied/,
      );
    }
  });

  it('reports versions recorded by a newer release without failing', async () => {
    fs.rmSync(path.join(dir, '099_extra.sql'));
    for (const e of engines) {
      const result = await runMigrations(e.client); // the package's own files, unchanged
      expect(result.unknownVersions).toEqual([99]);
    }
  });
});
