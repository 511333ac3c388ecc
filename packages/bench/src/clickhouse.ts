/**
 * Everything the benchmarks use from @pitchpulse/clickhouse, in one place: a change of its query API (names,
 * answer shapes) is adapted here and nowhere else in this package.
 */
import { randomUUID } from 'node:crypto';
import {
  ClickHouseStore,
  EVENT_COLUMNS,
  createClickHouseClient,
  detectCapabilities,
  execute,
  identifier,
  insertEvents,
  insertRetractions,
  render,
  runMigrations,
  selectRows,
  sql,
  toEventRow,
  type ClickHouseCapabilities,
  type StatsSnapshot,
  type StoredMetrics,
} from '@pitchpulse/clickhouse';
import type { StoredEvent } from '@pitchpulse/contract';

export {
  createClickHouseClient,
  detectCapabilities,
  insertEvents,
  insertRetractions,
  runMigrations,
  type ClickHouseCapabilities,
};

export type Client = ReturnType<typeof createClickHouseClient>;
export type Metrics = StoredMetrics;

/** Names the tables print for the ways of computing a match's metrics, and the floor they are compared with. */
export const SEAL_QUERY = 'ClickHouseStore.metricsFromSeal (seal figures)';
export const RAW_QUERY = 'ClickHouseStore.metricsFromEvents (raw scan)';
export const FLOOR_QUERY = 'SELECT 1 (floor)';
export const STORAGE_FLOOR_QUERY = 'one stored row by key (storage floor)';

/** The read queries the benchmarks time, bound to one client. */
export interface ReadQueries {
  /** `SELECT 1` through the same client: the cost of any query on this machine. */
  floor(): Promise<unknown>;
  /** One row of a tiny MergeTree table by its key: the cost of reading anything stored. */
  storageFloor(matchId: string): Promise<unknown>;
  /** A match's metrics from its current seal (what the API serves for a sealed match); throws without one. */
  metricsFromSeal(matchId: string): Promise<Metrics>;
  /** The same metrics by scanning the match's raw rows (the baseline, and what a live match is served from). */
  metricsFromEvents(matchId: string): Promise<Metrics | null>;
  /** Seals every match that has no current seal and stores the season's days; answers how many seals (call it
   * again after a change: it seals only the matches whose marker moved). */
  sealAll(): Promise<number>;
  /** The stats snapshot: the stats version and the matches without a current seal (one query). */
  statsSnapshot(): Promise<StatsSnapshot>;
  /**
   * Daily stats of a date range across matches: against `snapshot` one query (what the API runs, its poll having
   * read the snapshot), from season_days when it holds the snapshot's version; without one two (the snapshot first).
   */
  dailyStats(from: string, to: string, snapshot?: StatsSnapshot): Promise<unknown>;
  /** The same from every match's raw rows (the baseline). */
  dailyStatsFromEvents(from: string, to: string): Promise<unknown>;
  /** The same computed from the seals (as without season_days), against `snapshot`. */
  dailyStatsComputed(from: string, to: string, snapshot: StatsSnapshot): Promise<unknown>;
  /** Further read queries by the name the read-latency table prints. */
  others: Record<string, (matchId: string) => Promise<unknown>>;
}

export function readQueries(client: Client, caps: ClickHouseCapabilities): ReadQueries {
  const store = new ClickHouseStore(client, caps);
  return {
    floor: () => selectRows(client, caps, sql`SELECT 1 AS one`),
    storageFloor: (matchId) =>
      selectRows(
        client,
        caps,
        sql`SELECT match_id FROM ${identifier(caps.database, 'match_activity')} WHERE match_id = ${matchId} LIMIT 1`,
        { max_threads: 1 }, // as the per-match reads: the cheapest read of anything stored
      ),
    metricsFromSeal: async (matchId) => {
      const metrics = await store.metricsFromSeal(matchId);
      if (!metrics) throw new Error(`${matchId} has no current seal`);
      return metrics;
    },
    metricsFromEvents: (matchId) => store.metricsFromEvents(matchId),
    statsSnapshot: () => store.statsSnapshot(),
    dailyStats: async (from, to, snapshot) => (await store.dailyStats({ from, to }, snapshot)).value,
    dailyStatsFromEvents: async (from, to) => (await store.dailyStatsFromEvents({ from, to })).value,
    dailyStatsComputed: async (from, to, snapshot) =>
      (await store.dailyStatsComputed({ from, to }, snapshot)).value,
    sealAll: async () => {
      let sealed = 0;
      for (;;) {
        const batch = await store.sealPending({ quietMs: 0, limit: 100 });
        if (batch.length === 0) {
          // As the consumer's sealer does once every match is sealed: a fresh database, or one whose stats version
          // moved since (new rows, retractions), has no days stored for the current version yet.
          if (!(await store.writeSeasonDays()))
            throw new Error("every match sealed, yet the season's days not stored");
          return sealed;
        }
        sealed += batch.length;
      }
    },
    others: {
      'matchPage + matchTotals (20)': async () => {
        const page = await store.matchPage({ limit: 20, offset: 0 });
        return store.matchTotals(page.items.map((m) => m.matchId));
      },
      "timeline('5m')": (matchId) => store.timeline(matchId, '5m'),
      'highlights(limit 20)': (matchId) => store.highlights({ matchId, limit: 20, offset: 0 }),
      'topPlayers(limit 10)': (matchId) => store.topPlayers(matchId, { limit: 10 }),
      'lastInserts(1 match)': (matchId) => store.lastInserts([matchId]),
    },
  };
}

const NO_NATIVE_PARAMS = { nativeParams: false };

async function oneNumber(client: Client, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await selectRows<{ n: number | string }>(client, NO_NATIVE_PARAMS, query);
  return Number(row?.n ?? 0);
}

/** Distinct events stored in `<database>.events`: `uniqExact(event_id)` (a redelivered event counts once). */
export function distinctEvents(client: Client, database: string): Promise<number> {
  return oneNumber(
    client,
    sql`SELECT toUInt64(uniqExact(event_id)) AS n FROM ${identifier(database, 'events')}`,
  );
}

/** Distinct (match, event) pairs in `<database>.retractions`: a retraction stored twice counts once. */
export function distinctRetractions(client: Client, database: string): Promise<number> {
  return oneNumber(
    client,
    sql`SELECT toUInt64(uniqExact(match_id, event_id)) AS n FROM ${identifier(database, 'retractions')}`,
  );
}

/** Rows in `<database>.events`, redeliveries included (cheap: from the parts' row counts). */
export function storedRows(client: Client, database: string): Promise<number> {
  return oneNumber(client, sql`SELECT toUInt64(count()) AS n FROM ${identifier(database, 'events')}`);
}

/** Merges ClickHouse is running, in `database` or (without one) anywhere. */
export function runningMerges(client: Client, database?: string): Promise<number> {
  return oneNumber(
    client,
    database === undefined
      ? sql`SELECT toUInt64(count()) AS n FROM system.merges`
      : sql`SELECT toUInt64(count()) AS n FROM system.merges WHERE database = ${database}`,
  );
}

/** Active parts, rows and bytes per table of `database`. */
export async function activeParts(
  client: Client,
  database: string,
): Promise<Array<{ table: string; parts: number; rows: number; bytes: number }>> {
  const rows = await selectRows<{ table: string; parts: number; rows: number; bytes: number }>(
    client,
    NO_NATIVE_PARAMS,
    sql`SELECT table, count() AS parts, sum(rows) AS rows, sum(bytes_on_disk) AS bytes
        FROM system.parts WHERE database = ${database} AND active GROUP BY table ORDER BY table`,
  );
  return rows.map((r) => ({
    table: r.table,
    parts: Number(r.parts),
    rows: Number(r.rows),
    bytes: Number(r.bytes),
  }));
}

export async function dropDatabase(client: Client, database: string): Promise<void> {
  await execute(client, NO_NATIVE_PARAMS, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
}

export interface BenchDatabase {
  database: string;
  client: Client;
  caps: ClickHouseCapabilities;
  queries: ReadQueries;
}

/**
 * A fresh, migrated database `<prefix>_<random>` on `url` for one bench run, dropped when the run ends (`defer`),
 * with the read queries bound to it.
 */
export async function openBenchDatabase(
  url: string,
  prefix: string,
  defer: (cleanup: () => Promise<void>) => void,
): Promise<BenchDatabase> {
  const database = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const client = createClickHouseClient({ url, database, requestTimeoutMs: 300_000 });
  defer(async () => {
    await dropDatabase(client, database);
    await client.close();
  });
  await runMigrations(client);
  const caps = await detectCapabilities(client);
  return { database, client, caps, queries: readQueries(client, caps) };
}

/**
 * The plain path the consumer is compared with: @clickhouse/client JSONEachRow inserts of rows built before the
 * clock starts, `batch` rows per insert, into `<database>.events`. Answers the milliseconds the inserts took.
 */
export async function insertJsonEachRow(
  client: Client,
  database: string,
  events: readonly StoredEvent[],
  batch: number,
): Promise<number> {
  const insertedAt = new Date();
  const rows = events.map((e) => toEventRow(e, insertedAt));
  const table = render(sql`${identifier(database, 'events')}`, NO_NATIVE_PARAMS).query;
  const started = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    await client.insert({
      table,
      values: rows.slice(i, i + batch),
      format: 'JSONEachRow',
      columns: [...EVENT_COLUMNS],
    });
  }
  return performance.now() - started;
}
