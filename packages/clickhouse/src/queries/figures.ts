/**
 * Reading a match's sealed figures (migration 003, docs/clickhouse.md): one read of the match's index range of
 * `match_figures` returns its markers, its seals and the figures of the kinds asked for; the rule below picks the
 * current seal. Without one the caller reads the raw rows, and the marker read here tells it how many rows that
 * answer is complete up to (an insert lands in `events` before its marker).
 */
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql, type Sql } from '../sql';
import { num, table } from './common';

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
  stored_rows: number;
  retired: number;
}

/** The columns that decide which seal is current. */
export type SealBookkeeping = Pick<
  FigureRow,
  'kind' | 'seal_id' | 'version' | 'sealed_ms' | 'stored_rows' | 'retired'
>;

export type SealedRead =
  /** the current seal's commit row and its figures of the kinds asked for */
  | { sealed: true; marker: number; head: FigureRow; figures: FigureRow[] }
  /** no current seal: read the raw rows; `marker` = 0 for a match without rows */
  | { sealed: false; marker: number };

/**
 * Settings of a read of one match's few rows of match_figures: one thread. ClickHouse would otherwise start a
 * reading thread per part; with many such reads at once the threads cost more than the reading (measured: about
 * a third more reads per second at 50 concurrent clients on 18.16).
 */
export const ONE_MATCH_READ: ClickHouseSettings = { max_threads: 1 };

const COLUMNS = sql`kind, seal_id, event_type, team_id, player_id, feed_minute,
                    toUnixTimestamp(minute_start) AS minute_start, events, first_event_ms, last_event_ms, version,
                    sealed_ms, latency_p50_ms, latency_p95_ms, latency_p99_ms, stored_rows, retired`;

/** `kind IN (…)` of the bookkeeping rows plus `kinds`. */
function kindsOf(kinds: readonly FigureKind[]): Sql {
  return inList(['marker', 'seal', 'retired', ...kinds]);
}

/**
 * The current seal of one match: the seal row with the latest sealed_ms, if its version equals the sum of the
 * match's marker rows or the match is retired.
 */
export function currentSeal<T extends SealBookkeeping>(
  rows: readonly T[],
): { marker: number; head: T | undefined } {
  let marker = 0;
  let retired = 0;
  let head: T | undefined;
  for (const r of rows) {
    if (r.kind === 'marker') marker += num(r.stored_rows);
    else if (r.kind === 'retired') retired += num(r.retired);
    else if (r.kind === 'seal' && (!head || num(r.sealed_ms) > num(head.sealed_ms))) head = r;
  }
  const current = head && (num(head.version) === marker || retired > 0) ? head : undefined;
  return { marker, head: current };
}

function sealedRead(rows: readonly FigureRow[]): SealedRead {
  const { marker, head } = currentSeal(rows);
  if (!head) return { sealed: false, marker };
  const figures = rows.filter((r) => r.seal_id === head.seal_id && r.kind !== 'seal');
  return { sealed: true, marker, head, figures };
}

/** One match's current seal and figures of `kinds`, or its marker when it has no current seal. */
export async function readSealed(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  kinds: readonly FigureKind[],
): Promise<SealedRead> {
  const rows = await selectRows<FigureRow>(
    client,
    caps,
    sql`SELECT ${COLUMNS} FROM ${table(caps, 'match_figures')}
        WHERE match_id = ${matchId} AND kind IN ${kindsOf(kinds)}`,
    ONE_MATCH_READ,
  );
  return sealedRead(rows);
}

/** readSealed for several matches in one read; every id asked for is in the map (marker 0: no rows). */
export async function readSealedMany(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  kinds: readonly FigureKind[],
): Promise<Map<string, SealedRead>> {
  const rows = await selectRows<FigureRow & { match_id: string }>(
    client,
    caps,
    sql`SELECT match_id, ${COLUMNS} FROM ${table(caps, 'match_figures')}
        WHERE match_id IN ${inList(matchIds)} AND kind IN ${kindsOf(kinds)}`,
  );
  const byMatch = new Map<string, FigureRow[]>(matchIds.map((id) => [id, []]));
  for (const r of rows) byMatch.get(r.match_id)?.push(r);
  return new Map([...byMatch].map(([id, matchRows]) => [id, sealedRead(matchRows)]));
}

/**
 * One row per match with what decides whether its latest seal is current (the rule of currentSeal, in SQL):
 * `match_id, latest_version, seals, marker, retirements`. The view match_current_seals applies the same rule.
 */
export function sealStatesSql(caps: ClickHouseCapabilities): Sql {
  return sql`SELECT match_id,
                    argMaxIf(version, sealed_ms, kind = 'seal') AS latest_version,
                    countIf(kind = 'seal') AS seals,
                    sumIf(stored_rows, kind = 'marker') AS marker,
                    sumIf(retired, kind = 'retired') AS retirements
             FROM ${table(caps, 'match_figures')}
             WHERE kind IN ('marker', 'seal', 'retired')
             GROUP BY match_id`;
}

/** On sealStatesSql's columns: the match has rows and no current seal (its figures come from the raw rows). */
export const NO_CURRENT_SEAL = sql`marker > 0 AND NOT (seals > 0 AND (latest_version = marker OR retirements > 0))`;
