/**
 * Reading a match's sealed figures (migrations 003 and 005, docs/clickhouse.md). Each match's head — its marker,
 * retirements and latest seal — is one row of match_activity; the latest seal is current while its version equals
 * the marker or once the match is retired. A current seal's figures are then read by seal id from match_figures
 * (a committed seal's rows never change). Without one the caller reads the raw rows, and the head's marker tells
 * it how many rows that answer is complete up to (an insert lands in `events` before its views).
 */
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql, type Sql } from '../sql';
import { inListChunks, num, table } from './common';

/** The kinds of figure a seal writes (the `kind` column of match_figures, beside marker, seal and retired). */
export type FigureKind = 'event_type_team' | 'minute' | 'minute_type' | 'player';

export interface FigureRow {
  kind: string;
  seal_id: string;
  event_type: string;
  team_id: number;
  player_id: string;
  feed_minute: number;
  /** epoch seconds */
  minute_start: number;
  events: number;
  first_event_ms: number;
  last_event_ms: number;
  version: number;
  sealed_ms: number;
  latency_p50_ms: number;
  latency_p95_ms: number;
  latency_p99_ms: number;
}

/** What decides which of a match's figures are current. */
export interface MatchHead {
  /** rows stored for the match so far, duplicates included: every insert raises it; 0 = no rows */
  marker: number;
  /** retention dropped raw rows of the match: its latest seal stays current from then on */
  retired: boolean;
  /** the match's latest seal ('' = none) and the marker it was computed at */
  sealId: string;
  sealVersion: number;
}

export type SealedRead =
  /** the current seal's commit row and its figures of the kinds asked for */
  | { sealed: true; marker: number; head: FigureRow; figures: FigureRow[] }
  /** no current seal: read the raw rows; `marker` = 0 for a match without rows */
  | { sealed: false; marker: number };

/**
 * Settings of a read of one match's few rows: one thread. ClickHouse would otherwise start a reading thread per
 * part; with many such reads at once the threads cost more than the reading (measured: about a third more reads
 * per second at 50 concurrent clients on 18.16).
 */
export const ONE_MATCH_READ: ClickHouseSettings = { max_threads: 1 };

/** A match's head, merged from match_activity's states (aliases differ from the column names: 18.16 needs it). */
export const HEAD_COLUMNS = sql`sumMerge(marker) AS head_marker, sumMerge(retirements) AS head_retired,
                                argMaxMerge(latest_seal_id) AS head_seal_id,
                                argMaxMerge(latest_seal_version) AS head_seal_version`;

/** On HEAD_COLUMNS: the match's latest seal is current. */
export const CURRENT_SEAL = sql`(head_seal_id != '' AND (head_seal_version = head_marker OR head_retired > 0))`;

/** On HEAD_COLUMNS: the match has rows and no current seal (its figures come from the raw rows). */
export const NO_CURRENT_SEAL = sql`(head_marker > 0 AND NOT ${CURRENT_SEAL})`;

export interface HeadRow {
  head_marker: number;
  head_retired: number;
  head_seal_id: string;
  head_seal_version: number;
}

export function toHead(r: HeadRow | undefined): MatchHead {
  return {
    marker: num(r?.head_marker ?? 0),
    retired: num(r?.head_retired ?? 0) > 0,
    sealId: r?.head_seal_id ?? '',
    sealVersion: num(r?.head_seal_version ?? 0),
  };
}

/** The head of a match without rows. */
export const NO_HEAD: MatchHead = { marker: 0, retired: false, sealId: '', sealVersion: 0 };

/** CURRENT_SEAL in TypeScript. */
export function isCurrentSeal(head: MatchHead): boolean {
  return head.sealId !== '' && (head.sealVersion === head.marker || head.retired);
}

/** One row per match of match_activity (`where` on its columns) with HEAD_COLUMNS and `more` columns. */
export function headsSql(caps: ClickHouseCapabilities, where: Sql, more: Sql = sql``): Sql {
  return sql`SELECT match_id, ${HEAD_COLUMNS} ${more}
             FROM ${table(caps, 'match_activity')} WHERE ${where} GROUP BY match_id`;
}

/** The heads of the given matches; a match without rows is absent. */
export async function readHeads(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  settings?: ClickHouseSettings,
): Promise<Map<string, MatchHead>> {
  const heads = new Map<string, MatchHead>();
  for (const chunk of inListChunks(matchIds)) {
    const rows = await selectRows<HeadRow & { match_id: string }>(
      client,
      caps,
      headsSql(caps, sql`match_id IN ${inList(chunk)}`),
      { ...(chunk.length === 1 ? ONE_MATCH_READ : {}), ...settings },
    );
    for (const r of rows) heads.set(r.match_id, toHead(r));
  }
  return heads;
}

const COLUMNS = sql`match_id, kind, seal_id, event_type, team_id, player_id, feed_minute,
                    toUnixTimestamp(minute_start) AS minute_start, events, first_event_ms, last_event_ms, version,
                    sealed_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms`;

/** readSealed for several matches: one read of their heads, one of their current seals' rows; every id is in the map. */
export async function readSealedMany(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  kinds: readonly FigureKind[],
): Promise<Map<string, SealedRead>> {
  const heads = await readHeads(client, caps, matchIds);
  const current = [...heads].filter(([, h]) => isCurrentSeal(h));
  const rows =
    current.length === 0
      ? []
      : await selectRows<FigureRow & { match_id: string }>(
          client,
          caps,
          sql`SELECT ${COLUMNS} FROM ${table(caps, 'match_figures')}
              WHERE match_id IN ${inList(current.map(([id]) => id))}
                AND seal_id IN ${inList(current.map(([, h]) => h.sealId))}
                AND kind IN ${inList(['seal', ...kinds])}`,
          matchIds.length === 1 ? ONE_MATCH_READ : undefined,
        );
  const reads = new Map<string, SealedRead>();
  for (const id of matchIds) {
    const head = heads.get(id) ?? NO_HEAD;
    const own = isCurrentSeal(head) ? rows.filter((r) => r.seal_id === head.sealId) : [];
    const commit = own.find((r) => r.kind === 'seal');
    reads.set(
      id,
      commit
        ? { sealed: true, marker: head.marker, head: commit, figures: own.filter((r) => r !== commit) }
        : { sealed: false, marker: head.marker },
    );
  }
  return reads;
}

/** One match's current seal and its figures of `kinds`, or its marker when it has no current seal. */
export async function readSealed(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  kinds: readonly FigureKind[],
): Promise<SealedRead> {
  return (await readSealedMany(client, caps, [matchId], kinds)).get(matchId)!;
}
