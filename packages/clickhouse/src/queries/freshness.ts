import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql } from '../sql';
import { checkMatchId, num, table } from './common';

export interface MatchLastInsert {
  matchId: string;
  /** epoch ms of the latest insert that stored rows of this match (a redelivery counts too) */
  lastInsertedMs: number;
  /** rows (deliveries, duplicates included) stored for this match so far: every insert touching it raises it */
  storedRows: number;
}

/** Match ids asked for at once by lastInserts, at most. */
export const MAX_MARKER_MATCHES = 500;

interface MarkerRow {
  match_id: string;
  stored_rows: number;
  last_ms: number;
}

const toMarker = (r: MarkerRow): MatchLastInsert => ({
  matchId: r.match_id,
  lastInsertedMs: num(r.last_ms),
  storedRows: num(r.stored_rows),
});

/**
 * Change markers (the marker and the times of each match's row of match_activity, no event-id sets): while a
 * match's `storedRows` and `lastInsertedMs` stay the same, no read query of it can answer differently, so a cache or a live-update poller may skip recomputing.
 * `storedRows` only grows (each insert touching the match adds rows), so it catches inserts whose `inserted_at`
 * clock is not ahead of the last one. The markers of several matches in one query (one poll for every match a cache or live stream watches).
 * Matches without events are absent from the map.
 */
export async function lastInserts(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { matchIds: readonly string[] },
): Promise<Map<string, MatchLastInsert>> {
  const ids = [...new Set(params.matchIds.map(checkMatchId))];
  if (ids.length > MAX_MARKER_MATCHES) {
    throw new RangeError(`matchIds must list at most ${MAX_MARKER_MATCHES} matches`);
  }
  if (ids.length === 0) return new Map();
  const rows = await selectRows<MarkerRow>(
    client,
    caps,
    sql`SELECT match_id, sumMerge(marker) AS stored_rows, maxMerge(last_inserted_ms) AS last_ms
        FROM ${table(caps, 'match_activity')} WHERE match_id IN ${inList(ids)} GROUP BY match_id`,
  );
  return new Map(rows.map((r) => [r.match_id, toMarker(r)]));
}
