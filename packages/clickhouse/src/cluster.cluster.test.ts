/**
 * Cluster mode's schema on the test stack's cluster (`pnpm test:cluster` only): what the migrations build on every
 * node, that they are recorded once, where the rows of each match go, and that a seal reads no lagging replica.
 */
import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '@pitchpulse/contract';
import { createClickHouseClient } from './client';
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { applyRetention } from './retention';
import { execute, selectRows } from './query';
import { identifier, sql } from './sql';
import {
  clickhouseCluster,
  clusterNodes,
  matchOnFirstShard,
  testClickHouseClient,
  uniqueDatabase,
  withLaggingFirstReplica,
} from './testing';
import { detectCapabilities } from './capabilities';
import { sealMatch } from './seals';
import { ClickHouseStore } from './store';

const nodes = clusterNodes();
const caps = { nativeParams: false };
const MATCHES = 24;
const EVENTS_PER_MATCH = 50;

describe('cluster schema (test:cluster)', () => {
  const database = uniqueDatabase('cluster');
  const client = testClickHouseClient(database);
  const perNode = nodes.map((url) => createClickHouseClient({ url, database }));

  beforeAll(() => {
    if (!clickhouseCluster() || nodes.length !== 4) {
      throw new Error('run through `pnpm test:cluster`: it starts the 2 × 2 cluster these tests need');
    }
  });
  afterAll(async () => {
    await execute(
      client,
      caps,
      sql`DROP DATABASE IF EXISTS ${identifier(database)} ON CLUSTER ${identifier(clickhouseCluster()!)}`,
    );
    await Promise.all([client, ...perNode].map((c) => c.close()));
  });

  it('migrations build the same tables on every node: Replicated per shard, Distributed over them, views on the shards', async () => {
    const result = await runMigrations(client);
    expect(result.applied).toHaveLength(10);
    for (const node of perNode) {
      const tables = await selectRows<{ name: string; engine: string }>(
        node,
        caps,
        sql`SELECT name, engine FROM system.tables WHERE database = ${database} ORDER BY name`,
      );
      const engine = Object.fromEntries(tables.map((t) => [t.name, t.engine]));
      expect(engine).toMatchObject({
        events: 'Distributed',
        events_local: 'ReplicatedMergeTree',
        match_figures: 'Distributed',
        match_figures_local: 'ReplicatedSummingMergeTree',
        match_activity_local: 'ReplicatedAggregatingMergeTree',
        highlights_local: 'ReplicatedReplacingMergeTree',
        highlight_types: 'ReplicatedReplacingMergeTree',
        season_days: 'ReplicatedReplacingMergeTree',
        schema_migrations: 'ReplicatedReplacingMergeTree',
        highlights_mv: 'MaterializedView',
        match_current_seals: 'View',
      });
      expect(engine).not.toHaveProperty('highlight_types_local');
    }
  });

  it('records each migration once, visible on every node; a second run applies nothing', async () => {
    for (const node of perNode) {
      await execute(node, caps, sql`SYSTEM SYNC REPLICA ${identifier(database, 'schema_migrations')}`);
      const [row] = await selectRows<{ n: number; versions: number }>(
        node,
        caps,
        sql`SELECT count() AS n, uniqExact(version) AS versions FROM ${identifier(database, 'schema_migrations')}`,
      );
      expect({ n: Number(row!.n), versions: Number(row!.versions) }).toEqual({ n: 10, versions: 10 });
    }
    const again = await runMigrations(client);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(10);
  });

  it('every row of a match lands on one shard, both shards get matches, and the two replicas of a shard agree', async () => {
    const events: StoredEvent[] = [];
    const start = Date.parse('2025-03-01T15:00:00Z');
    for (let m = 0; m < MATCHES; m++) {
      for (let i = 0; i < EVENTS_PER_MATCH; i++) {
        events.push({
          eventId: randomUUID(),
          matchId: `cl-${m}`,
          eventType: 'pass',
          timestamp: new Date(start + i * 1000).toISOString(),
          teamId: i % 2 === 0 ? 1 : 2,
          receivedAt: start + i * 1000 + 50,
        });
      }
    }
    await insertEvents(client, events);
    const events_local = identifier(database, 'events_local');
    const shardOf = new Map<string, Set<number>>();
    const rowsOn: number[] = [];
    for (const [i, node] of perNode.entries()) {
      await execute(node, caps, sql`SYSTEM SYNC REPLICA ${events_local}`);
      const rows = await selectRows<{ match_id: string; n: number }>(
        node,
        caps,
        sql`SELECT match_id, count() AS n FROM ${events_local} GROUP BY match_id`,
      );
      const shard = Math.floor(i / 2);
      for (const r of rows) {
        expect(Number(r.n)).toBe(EVENTS_PER_MATCH);
        shardOf.set(r.match_id, (shardOf.get(r.match_id) ?? new Set()).add(shard));
      }
      rowsOn.push(rows.reduce((a, r) => a + Number(r.n), 0));
    }
    expect(shardOf.size).toBe(MATCHES);
    for (const shards of shardOf.values()) expect(shards.size).toBe(1);
    // nodes are listed s1r1, s1r2, s2r1, s2r2: replicas of a shard hold the same rows
    expect(rowsOn[0]).toBe(rowsOn[1]);
    expect(rowsOn[2]).toBe(rowsOn[3]);
    expect(rowsOn[0]).toBeGreaterThan(0);
    expect(rowsOn[2]).toBeGreaterThan(0);
    expect(rowsOn[0]! + rowsOn[2]!).toBe(events.length);
    const [total] = await selectRows<{ n: number }>(
      client,
      caps,
      sql`SELECT count() AS n FROM ${identifier(database, 'events')}`,
    );
    expect(Number(total!.n)).toBe(events.length);
  });

  it('retention drops an expired month on every replica of both shards, and keeps the rest', async () => {
    const january = Date.parse('2025-01-10T15:00:00Z');
    const old: StoredEvent[] = Array.from({ length: MATCHES * 10 }, (_, i) => ({
      eventId: randomUUID(),
      matchId: `cl-old-${i % MATCHES}`,
      eventType: 'pass',
      timestamp: new Date(january + i * 1000).toISOString(),
      teamId: 1,
      receivedAt: january + i * 1000 + 50,
    }));
    await insertEvents(client, old);
    const result = await applyRetention(client, await detectCapabilities(client), {
      retentionDays: 30,
      now: Date.parse('2025-03-20T00:00:00Z'),
    });
    expect(result.dropped.map((p) => `${p.table}:${p.partition}`).sort()).toEqual([
      'events:202501',
      'events_unique:202501',
    ]);
    // the rows of both shards: each listed per shard
    expect(result.dropped.find((p) => p.table === 'events')!.rows).toBe(old.length);
    expect(result.retired).toHaveLength(MATCHES);
    for (const node of perNode) {
      const partitions: string[] = [];
      for (const name of ['events_local', 'events_unique_local']) {
        await execute(node, caps, sql`SYSTEM SYNC REPLICA ${identifier(database, name)}`);
        const rows = await selectRows<{ p: string }>(
          node,
          caps,
          sql`SELECT DISTINCT partition_id AS p FROM system.parts
              WHERE database = ${database} AND table = ${name} AND active ORDER BY p`,
        );
        partitions.push(...rows.map((r) => `${name}:${r.p}`));
      }
      expect(partitions).toEqual(['events_local:202503', 'events_unique_local:202503']);
    }
  });

  it('a seal reads no replica that lags: the first replica stops fetching new rows of a match, the seal counts them all', async () => {
    const matchId = await matchOnFirstShard(client, 'cl-lag');
    const event = (i: number): StoredEvent => ({
      eventId: randomUUID(),
      matchId,
      eventType: 'shot',
      timestamp: new Date(Date.parse('2025-03-02T15:00:00Z') + i * 1000).toISOString(),
      teamId: 1,
      receivedAt: Date.parse('2025-03-02T15:00:00Z') + i * 1000 + 50,
    });
    await insertEvents(
      client,
      Array.from({ length: 50 }, (_, i) => event(i)),
    );
    const later = Array.from({ length: 30 }, (_, i) => event(50 + i));
    // the first replica gets the match's new marker (match_activity) but not its 30 new rows
    await withLaggingFirstReplica(database, later, ['match_activity_local'], async () => {
      const [stale] = await selectRows<{ n: number }>(
        client,
        caps,
        sql`SELECT count() AS n FROM ${identifier(database, 'events')} WHERE match_id = ${matchId}`,
      );
      expect(Number(stale!.n)).toBe(50); // a plain read still takes the first replica: the lag is real

      const seal = await sealMatch(client, await detectCapabilities(client), matchId);
      expect(seal).toMatchObject({ matchId, totalEvents: 80 });
      const read = await new ClickHouseStore(client).metrics(matchId);
      expect(read.value?.totalEvents).toBe(80);
    });
    const [caughtUp] = await selectRows<{ n: number }>(
      perNode[0]!,
      caps,
      sql`SELECT count() AS n FROM ${identifier(database, 'events_local')} WHERE match_id = ${matchId}`,
    );
    expect(Number(caughtUp!.n)).toBe(80);
  });
});
