import { forCluster, shardedTables } from './cluster';
import { loadMigrations } from './migrations';

const statements = loadMigrations().flatMap((m) => m.statements);
const sharded = shardedTables(statements);
const schema = { cluster: 'pitchpulse', sharded };
const translate = (text: string) => forCluster(text, schema, 'pp').map((s) => s.replace(/\s+/g, ' '));

describe('cluster schema', () => {
  it('shards every table with a match_id by match, and replicates the others everywhere', () => {
    expect([...sharded].sort()).toEqual(
      expect.arrayContaining([
        'events',
        'events_unique',
        'highlights',
        'match_activity',
        'match_figures',
        'retractions',
      ]),
    );
    for (const global of ['highlight_types', 'season_days']) expect(sharded.has(global)).toBe(false);
  });

  it('a sharded table: a Replicated table per shard and a Distributed table under its own name', () => {
    const [local, distributed, ...rest] = translate(
      statements.find((s) => /TABLE IF NOT EXISTS \{\{database\}\}\.events\s*\(/.test(s))!,
    );
    expect(rest).toEqual([]);
    expect(local).toMatch(
      /^CREATE TABLE IF NOT EXISTS \{\{database\}\}\.events_local ON CLUSTER pitchpulse \( event_id String,/,
    );
    expect(local).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/pp/events', '{replica}') PARTITION BY toYYYYMM(event_time)",
    );
    expect(distributed).toBe(
      'CREATE TABLE IF NOT EXISTS {{database}}.events ON CLUSTER pitchpulse AS {{database}}.events_local ' +
        'ENGINE = Distributed(pitchpulse, {{database}}, events_local, cityHash64(match_id))',
    );
  });

  it('keeps engine arguments, nested ones included, after the replication path', () => {
    const [figures] = translate(
      statements.find((s) => /\.match_figures\s*\(/.test(s) && /^CREATE TABLE/.test(s))!,
    );
    expect(figures).toContain(
      "ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/pp/match_figures', '{replica}', (events, stored_rows, retired))",
    );
    const [types, ...none] = translate(
      statements.find((s) => /\.highlight_types\s*\(/.test(s) && /^CREATE TABLE/.test(s))!,
    );
    expect(none).toEqual([]);
    expect(types).toMatch(
      /^CREATE TABLE IF NOT EXISTS \{\{database\}\}\.highlight_types ON CLUSTER pitchpulse \(/,
    );
    expect(types).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/pp/highlight_types', '{shard}-{replica}', version)",
    );
  });

  it('materialized views read and write the per-shard tables; the highlight types stay global', () => {
    const [view] = translate(
      statements.find((s) => /VIEW IF NOT EXISTS \{\{database\}\}\.highlights_mv/.test(s))!,
    );
    expect(view).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS \{\{database\}\}\.highlights_mv ON CLUSTER pitchpulse TO \{\{database\}\}\.highlights_local AS SELECT/,
    );
    expect(view).toContain('FROM {{database}}.events_local');
    expect(view).toContain('FROM {{database}}.highlight_types FINAL');
  });

  it('plain views read the Distributed tables; DROP and ALTER reach both layers (ALTER re-creates the Distributed table); backfills run once', () => {
    const [current] = translate(statements.find((s) => /^CREATE VIEW/.test(s))!);
    expect(current).toMatch(
      /^CREATE VIEW IF NOT EXISTS \{\{database\}\}\.match_current_seals ON CLUSTER pitchpulse AS SELECT/,
    );
    expect(current).not.toContain('_local');
    expect(translate('ALTER TABLE {{database}}.events ADD COLUMN anomalies Array(String)')).toEqual([
      'ALTER TABLE {{database}}.events_local ON CLUSTER pitchpulse ADD COLUMN anomalies Array(String)',
      'DROP TABLE IF EXISTS {{database}}.events ON CLUSTER pitchpulse',
      'CREATE TABLE IF NOT EXISTS {{database}}.events ON CLUSTER pitchpulse AS {{database}}.events_local ' +
        'ENGINE = Distributed(pitchpulse, {{database}}, events_local, cityHash64(match_id))',
    ]);
    expect(translate('DROP TABLE IF EXISTS {{database}}.match_event_counts')).toEqual([
      'DROP TABLE IF EXISTS {{database}}.match_event_counts ON CLUSTER pitchpulse',
      'DROP TABLE IF EXISTS {{database}}.match_event_counts_local ON CLUSTER pitchpulse',
    ]);
    expect(translate('DROP TABLE IF EXISTS {{database}}.match_activity_mv')).toEqual([
      'DROP TABLE IF EXISTS {{database}}.match_activity_mv ON CLUSTER pitchpulse',
    ]);
    const backfill = 'INSERT INTO {{database}}.events_unique SELECT event_id FROM {{database}}.events';
    expect(translate(backfill)).toEqual([backfill]);
    expect(translate('CREATE DATABASE IF NOT EXISTS {{database}}')).toEqual([
      'CREATE DATABASE IF NOT EXISTS {{database}} ON CLUSTER pitchpulse',
    ]);
  });

  it('translates every statement of every migration, and refuses what it does not know', () => {
    for (const statement of statements) expect(forCluster(statement, schema, 'pp').length).toBeGreaterThan(0);
    expect(() => translate('OPTIMIZE TABLE {{database}}.events FINAL')).toThrow(/cannot translate/);
    expect(() => forCluster('CREATE DATABASE x', { cluster: 'bad-name', sharded }, 'pp')).toThrow();
  });
});
