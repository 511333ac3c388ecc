/**
 * Data retention (RETENTION_DAYS, docs/retention.md). ClickHouse 18.16 has no TTL, so the raw tables `events` and
 * `events_unique` (both `PARTITION BY toYYYYMM(event_time)`) lose whole months: a partition goes once its newest
 * possible event (the end of its month) is older than the horizon, now − retentionDays.
 *
 * A match's figures outlive its raw rows. Before a partition is dropped, every match with rows in it gets a
 * current seal (sealed now when it has none) and a 'retired' row in match_figures, which keeps its latest seal
 * current whatever arrives later (a later event of a retired match is stored but not counted). So a match whose
 * rows straddle the month boundary keeps serving the seal of all its rows after the older half is gone.
 * match_figures, daily_figures and match_activity are never dropped.
 *
 * Several processes may run this at once: each seal is complete and the latest wins, a second 'retired' row only
 * adds to a sum that just has to be above 0, and dropping a partition that is already gone is a no-op.
 *
 * In cluster mode (a client created with `cluster`) the raw rows live in `<table>_local` on every shard: the
 * partitions are listed on one replica of each shard (`cluster(<name>, system.parts)`) and dropped `ON CLUSTER`
 * (on replicated tables ClickHouse runs it once per shard and the replicas follow).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from './capabilities';
import { clusterOf } from './client';
import { localTable } from './cluster';
import { execute, selectRows } from './query';
import { identifier, inList, sql } from './sql';
import { sealMatch, settleMarkers } from './seals';
import { checkCount, inListChunks, num, table } from './queries/common';
import { NO_HEAD, isCurrentSeal, readHeads } from './queries/figures';

/** The raw tables retention drops partitions of, in the order it drops them. */
export const RAW_TABLES = ['events', 'events_unique'] as const;
export type RawTable = (typeof RAW_TABLES)[number];

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  /** keep raw rows this many days (an integer ≥ 1); `undefined`: keep them forever, the run does nothing */
  retentionDays: number | undefined;
  /** epoch ms; default Date.now() */
  now?: number;
  /**
   * A partition waits for a later run while a match of it that is not retired yet had an insert within this many
   * ms (its events may still be arriving, e.g. an import of old matches); default 0.
   */
  quietMs?: number;
  /** seal attempts per match before its partition waits for a later run (it keeps changing); default 3 */
  sealAttempts?: number;
  /** called after each partition of a table is dropped */
  onDropped?: (dropped: DroppedPartition) => void;
  /** aborting stops the run between two seals or partitions; what is left is reported as skipped */
  signal?: AbortSignal;
}

export interface DroppedPartition {
  table: RawTable;
  /** the partition id as system.parts shows it: `YYYYMM` */
  partition: string;
  /** rows it held */
  rows: number;
}

export interface SkippedPartition {
  partition: string;
  reason: string;
}

export interface RetentionResult {
  /** events older than this (epoch ms) may be dropped; `null` when retention is off */
  horizonMs: number | null;
  dropped: DroppedPartition[];
  /** matches this run wrote a 'retired' row for */
  retired: string[];
  /** matches this run sealed because they had no current seal */
  sealed: string[];
  /** expired partitions left for a later run, and why */
  skipped: SkippedPartition[];
}

/** The instant before which raw rows may go: now − days. */
export function retentionHorizon(now: number, retentionDays: number): number {
  return now - checkCount('retentionDays', retentionDays, 1, 100_000) * DAY_MS;
}

/** The month of a `YYYYMM` partition id as [start, start of the next month) in epoch ms; undefined for others. */
export function partitionMonth(partition: string): { startMs: number; endMs: number } | undefined {
  const m = /^(\d{4})(\d{2})$/.exec(partition);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  return { startMs: Date.UTC(year, month - 1, 1), endMs: Date.UTC(year, month, 1) };
}

/** A partition expires once its newest possible event (the last millisecond of its month) is before the horizon. */
export function partitionExpired(partition: string, horizonMs: number): boolean {
  const month = partitionMonth(partition);
  return month !== undefined && month.endMs <= horizonMs;
}

/** The active partitions of the raw tables with their rows, oldest first, `events` before `events_unique`. */
export async function rawPartitions(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
): Promise<DroppedPartition[]> {
  const cluster = clusterOf(client);
  const parts = cluster ? sql`cluster(${identifier(cluster)}, system.parts)` : sql`system.parts`;
  const tables = RAW_TABLES.map((name) => (cluster ? localTable(name) : name));
  const rows = await selectRows<{ table: string; partition_id: string; part_rows: number }>(
    client,
    caps,
    sql`SELECT table, partition_id, sum(rows) AS part_rows FROM ${parts}
        WHERE database = ${caps.database} AND table IN ${inList(tables)} AND active
        GROUP BY table, partition_id
        ORDER BY partition_id, table`,
  );
  return rows.map((r) => ({
    table: RAW_TABLES[tables.indexOf(r.table)]!,
    partition: r.partition_id,
    rows: num(r.part_rows),
  }));
}

/** Drops one partition of a raw table: on the one server, or of its per-shard table on every shard. */
async function dropPartition(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  p: DroppedPartition,
): Promise<void> {
  const cluster = clusterOf(client);
  const target = cluster
    ? sql`${identifier(caps.database, localTable(p.table))} ON CLUSTER ${identifier(cluster)}`
    : table(caps, p.table);
  await execute(client, caps, sql`ALTER TABLE ${target} DROP PARTITION ID ${p.partition}`);
}

/** Runs `query` over `ids` in chunks and concatenates the answers. */
async function perChunk<T>(ids: readonly string[], query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const chunk of inListChunks(ids)) out.push(...(await query(chunk)));
  return out;
}

/** Matches with rows of the month in either raw table (a range of event_time: both engines prune by it). */
async function matchesOfMonth(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  month: { startMs: number; endMs: number },
): Promise<string[]> {
  const from = new Date(month.startMs);
  const to = new Date(month.endMs);
  const of = (name: RawTable) =>
    sql`SELECT match_id FROM ${table(caps, name)} WHERE event_time >= ${from} AND event_time < ${to}`;
  const rows = await selectRows<{ match_id: string }>(
    client,
    caps,
    sql`SELECT DISTINCT match_id FROM (${of('events')} UNION ALL ${of('events_unique')}) ORDER BY match_id`,
  );
  return rows.map((r) => r.match_id);
}

/** Of `matchIds`, those retired before. */
async function retiredAmong(client: ClickHouseClient, caps: ClickHouseCapabilities, matchIds: string[]) {
  const retired = new Set<string>();
  for (const chunk of inListChunks(matchIds)) {
    for (const [id, head] of await readHeads(client, caps, chunk)) if (head.retired) retired.add(id);
  }
  return retired;
}

/** Of `matchIds`, those with an insert after `sinceMs`. */
async function activeSince(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: string[],
  sinceMs: number,
) {
  const rows = await perChunk(matchIds, (chunk) =>
    selectRows<{ match_id: string }>(
      client,
      caps,
      sql`SELECT match_id FROM ${table(caps, 'match_activity')} WHERE match_id IN ${inList(chunk)}
          GROUP BY match_id HAVING maxMerge(last_inserted_ms) > ${sinceMs}`,
    ),
  );
  return rows.map((r) => r.match_id);
}

/** Of `matchIds`, those without a current seal (the rule of queries/figures.ts). */
async function withoutCurrentSeal(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: string[],
) {
  const missing: string[] = [];
  for (const chunk of inListChunks(matchIds)) {
    const heads = await readHeads(client, caps, chunk);
    missing.push(...chunk.filter((id) => !isCurrentSeal(heads.get(id) ?? NO_HEAD)));
  }
  return missing;
}

/**
 * Seals the matches without a current seal and checks again, up to `attempts` times; answers the matches that
 * still have none (they kept changing) and adds those it sealed to `sealed`.
 */
async function ensureSealed(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: string[],
  state: RunState,
): Promise<string[]> {
  let pending = await withoutCurrentSeal(client, caps, matchIds);
  for (let attempt = 0; attempt < state.attempts && pending.length > 0; attempt++) {
    const settled = await settleMarkers(client, caps, pending, state.signal);
    for (const id of pending) {
      if (state.signal?.aborted) return pending;
      if (typeof (await sealMatch(client, caps, id, settled)) !== 'string') state.sealed.add(id);
    }
    pending = await withoutCurrentSeal(client, caps, pending);
  }
  return pending;
}

/** One 'retired' row per match (retired = 1, the other columns at their defaults). */
async function writeRetired(client: ClickHouseClient, caps: ClickHouseCapabilities, matchIds: string[]) {
  for (const chunk of inListChunks(matchIds)) {
    await execute(
      client,
      caps,
      sql`INSERT INTO ${table(caps, 'match_figures')} (match_id, kind, retired)
          SELECT arrayJoin(${chunk}) AS match_id, 'retired', toUInt8(1)`,
    );
  }
}

interface RunState {
  now: number;
  quietMs: number;
  attempts: number;
  retired: Set<string>;
  sealed: Set<string>;
  signal?: AbortSignal;
}

const STOPPED = 'the run was stopped';

/**
 * Makes every match with rows in the month sealed and retired; answers why not when it cannot this run. Lists
 * the matches again afterwards, so a match whose first rows of the month arrived meanwhile is handled too (an
 * event that lands between the last listing and the drop, for a match not seen, goes with the partition).
 */
async function retireMonth(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  month: { startMs: number; endMs: number },
  state: RunState,
): Promise<string | undefined> {
  const done = new Set<string>();
  for (let round = 0; round <= state.attempts; round++) {
    if (state.signal?.aborted) return STOPPED;
    const matches = (await matchesOfMonth(client, caps, month)).filter((id) => !done.has(id));
    if (matches.length === 0) return undefined;
    const alreadyRetired = await retiredAmong(client, caps, matches);
    const toRetire = matches.filter((id) => !alreadyRetired.has(id));
    if (state.quietMs > 0 && toRetire.length > 0) {
      const busy = await activeSince(client, caps, toRetire, state.now - state.quietMs);
      if (busy.length > 0)
        return `${busy.length} match(es) had an insert in the last ${state.quietMs} ms (${busy[0]} …)`;
    }
    const unsealed = await ensureSealed(client, caps, matches, state);
    if (state.signal?.aborted) return STOPPED;
    if (unsealed.length > 0)
      return `${unsealed.length} match(es) could not be sealed: they kept changing (${unsealed[0]} …)`;
    await writeRetired(client, caps, toRetire);
    for (const id of toRetire) state.retired.add(id);
    for (const id of matches) done.add(id);
  }
  return 'new matches kept arriving in the partition';
}

/**
 * Drops the expired partitions of `events` and `events_unique`, oldest first, after sealing and retiring every
 * match with rows in them. A partition that cannot be made safe this run (see RetentionOptions) is skipped and
 * reported; the next run tries again. Nothing happens when `retentionDays` is undefined.
 */
export async function applyRetention(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  options: RetentionOptions,
): Promise<RetentionResult> {
  const result: RetentionResult = { horizonMs: null, dropped: [], retired: [], sealed: [], skipped: [] };
  if (options.retentionDays === undefined) return result;
  const now = options.now ?? Date.now();
  const horizonMs = retentionHorizon(now, options.retentionDays);
  const state: RunState = {
    now,
    quietMs: checkCount('quietMs', options.quietMs ?? 0, 0, 365 * DAY_MS),
    attempts: checkCount('sealAttempts', options.sealAttempts ?? 3, 1, 100),
    retired: new Set(),
    sealed: new Set(),
    signal: options.signal,
  };
  const expired = (await rawPartitions(client, caps)).filter((p) => partitionExpired(p.partition, horizonMs));
  for (const partition of [...new Set(expired.map((p) => p.partition))]) {
    const skipped = await retireMonth(client, caps, partitionMonth(partition)!, state);
    if (skipped) {
      result.skipped.push({ partition, reason: skipped });
      continue;
    }
    for (const p of expired.filter((e) => e.partition === partition)) {
      await dropPartition(client, caps, p);
      result.dropped.push(p);
      options.onDropped?.(p);
    }
  }
  return {
    ...result,
    horizonMs,
    retired: [...state.retired].sort(),
    sealed: [...state.sealed].sort(),
  };
}
