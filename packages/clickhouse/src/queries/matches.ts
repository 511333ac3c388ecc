import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql } from '../sql';
import { LIVE_WINDOW_MINUTES, type MatchSummary } from '@pitchpulse/contract';
import { checkCount, checkMatchId, isoFromMs, notRetracted, num, table } from './common';
import { readSealedMany } from './figures';

export const MAX_PAGE_SIZE = 1000;

export interface ListMatchesParams {
  limit: number;
  offset: number;
  /** default: the current time */
  now?: Date;
  /** default LIVE_WINDOW_MINUTES */
  liveWindowMinutes?: number;
}

/** A match on a page of the list, before its totals: times, live flag and change marker (see freshness). */
export interface MatchPageItem {
  matchId: string;
  firstEventAt: string;
  lastEventAt: string;
  live: boolean;
  /** rows stored for the match and the latest insert (epoch ms): while both stay the same, so do its totals */
  storedRows: number;
  lastInsertedMs: number;
}

export interface MatchPage {
  /** number of matches with at least one event */
  total: number;
  items: MatchPageItem[];
}

export interface MatchTotals {
  totalEvents: number;
  score: { '1': number; '2': number };
  /** stored rows these totals are complete up to (see Versioned) */
  storedRows: number;
}

interface PageRow {
  match_id: string;
  first_ms: number;
  last_ms: number;
  last_received_ms: number;
  last_inserted_ms: number;
  stored_rows: number;
}

/**
 * Which matches are on a page: live ones (an event received within the live window: receipt time, so an event
 * stamped in the future does not keep a match live) first, then by latest event time (newest first), then by id (byte
 * order). Reads `match_activity` (one small row per match: times and marker, no id sets).
 */
export async function matchPage(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: ListMatchesParams,
): Promise<MatchPage> {
  const limit = checkCount('limit', params.limit, 1, MAX_PAGE_SIZE);
  const offset = checkCount('offset', params.offset, 0, 1_000_000_000);
  const window = checkCount('liveWindowMinutes', params.liveWindowMinutes ?? LIVE_WINDOW_MINUTES, 0, 10_080);
  const now = params.now ?? new Date();
  const liveSinceMs = Math.max(0, now.getTime() - window * 60_000);
  const activity = table(caps, 'match_activity');
  const [rows, totals] = await Promise.all([
    selectRows<PageRow>(
      client,
      caps,
      sql`SELECT match_id, minMerge(first_event_ms) AS first_ms, maxMerge(last_event_ms) AS last_ms,
                 maxMerge(last_received_ms) AS last_received_ms,
                 maxMerge(last_inserted_ms) AS last_inserted_ms, sumMerge(marker) AS stored_rows
          FROM ${activity}
          GROUP BY match_id
          HAVING first_ms <= last_ms
          ORDER BY last_received_ms >= ${liveSinceMs} DESC, last_ms DESC, match_id ASC
          LIMIT ${offset}, ${limit}`,
    ),
    // A match with retractions and no events yet has a row of match_activity without times: not listed.
    selectRows<{ n: number }>(
      client,
      caps,
      sql`SELECT count() AS n FROM (SELECT match_id FROM ${activity} GROUP BY match_id
                                    HAVING minMerge(first_event_ms) <= maxMerge(last_event_ms))`,
    ),
  ]);
  return {
    total: num(totals[0]?.n ?? 0),
    items: rows.map((r) => ({
      matchId: r.match_id,
      firstEventAt: isoFromMs(num(r.first_ms)),
      lastEventAt: isoFromMs(num(r.last_ms)),
      live: num(r.last_received_ms) >= liveSinceMs,
      storedRows: num(r.stored_rows),
      lastInsertedMs: num(r.last_inserted_ms),
    })),
  };
}

interface TotalsRow {
  match_id: string;
  total_events: number;
  goals_1: number;
  goals_2: number;
}

/**
 * Distinct events and goals per team of the given matches: from each match's current seal (one read of their
 * rows of match_figures), the rest from their raw rows. Matches without events are absent from the map.
 */
export async function matchTotals(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { matchIds: readonly string[] },
): Promise<Map<string, MatchTotals>> {
  const ids = [...new Set(params.matchIds.map(checkMatchId))];
  if (ids.length > MAX_PAGE_SIZE) throw new RangeError(`matchIds must list at most ${MAX_PAGE_SIZE} matches`);
  if (ids.length === 0) return new Map();
  const reads = await readSealedMany(client, caps, ids, ['event_type_team']);
  const totals = new Map<string, MatchTotals>();
  const unsealed: string[] = [];
  for (const [matchId, read] of reads) {
    if (read.marker === 0) continue;
    if (!read.sealed) {
      unsealed.push(matchId);
      continue;
    }
    const goals = (team: number) =>
      read.figures
        .filter((f) => f.event_type === 'goal' && num(f.team_id) === team)
        .reduce((a, f) => a + num(f.events), 0);
    totals.set(matchId, {
      totalEvents: read.figures.reduce((a, f) => a + num(f.events), 0),
      score: { '1': goals(1), '2': goals(2) },
      storedRows: read.marker,
    });
  }
  if (unsealed.length === 0) return totals;
  const rows = await selectRows<TotalsRow>(
    client,
    caps,
    sql`SELECT match_id, uniqExact(event_id) AS total_events,
               uniqExactIf(event_id, event_type = 'goal' AND team_id = 1) AS goals_1,
               uniqExactIf(event_id, event_type = 'goal' AND team_id = 2) AS goals_2
        FROM ${table(caps, 'events')}
        WHERE match_id IN ${inList(unsealed)} AND ${notRetracted(caps, sql`match_id IN ${inList(unsealed)}`)}
        GROUP BY match_id`,
  );
  for (const r of rows) {
    totals.set(r.match_id, {
      totalEvents: num(r.total_events),
      score: { '1': num(r.goals_1), '2': num(r.goals_2) },
      storedRows: reads.get(r.match_id)!.marker,
    });
  }
  return totals;
}

/** A page item and its totals as the list shows it. */
export function summaryOf(item: MatchPageItem, totals: MatchTotals | undefined): MatchSummary {
  return {
    matchId: item.matchId,
    totalEvents: totals?.totalEvents ?? 0,
    score: totals?.score ?? { '1': 0, '2': 0 },
    firstEventAt: item.firstEventAt,
    lastEventAt: item.lastEventAt,
    live: item.live,
  };
}
