import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql } from '../sql';
import { LIVE_WINDOW_MINUTES, type MatchSummary } from '@pitchpulse/contract';
import { checkCount, checkMatchId, isoFromMs, num, table } from './common';

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
  stored_rows: number;
  last_inserted_ms: number;
}

/**
 * Which matches are on a page: live ones first, then by latest event time (newest first), then by id (byte
 * order). Reads the small states of `match_event_counts` only (times and change markers, no id sets), so it
 * costs in proportion to the number of matches, not of events.
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
  const counts = table(caps, 'match_event_counts');
  const [rows, totals] = await Promise.all([
    selectRows<PageRow>(
      client,
      caps,
      sql`SELECT match_id, minMerge(first_event_ms) AS first_ms, maxMerge(last_event_ms) AS last_ms,
                 countMerge(stored_rows) AS stored_rows, maxMerge(last_inserted_ms) AS last_inserted_ms
          FROM ${counts}
          GROUP BY match_id
          ORDER BY last_ms >= ${liveSinceMs} DESC, last_ms DESC, match_id ASC
          LIMIT ${offset}, ${limit}`,
    ),
    selectRows<{ n: number }>(client, caps, sql`SELECT uniqExact(match_id) AS n FROM ${counts}`),
  ]);
  return {
    total: num(totals[0]?.n ?? 0),
    items: rows.map((r) => ({
      matchId: r.match_id,
      firstEventAt: isoFromMs(num(r.first_ms)),
      lastEventAt: isoFromMs(num(r.last_ms)),
      live: num(r.last_ms) >= liveSinceMs,
      storedRows: num(r.stored_rows),
      lastInsertedMs: num(r.last_inserted_ms),
    })),
  };
}

/**
 * Distinct events and goals per team of the given matches (merges their id sets: costs in proportion to their
 * events). Matches without events are absent from the map.
 */
export async function matchTotals(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { matchIds: readonly string[] },
): Promise<Map<string, MatchTotals>> {
  const ids = [...new Set(params.matchIds.map(checkMatchId))];
  if (ids.length > MAX_PAGE_SIZE) throw new RangeError(`matchIds must list at most ${MAX_PAGE_SIZE} matches`);
  if (ids.length === 0) return new Map();
  const rows = await selectRows<{
    match_id: string;
    total_events: number;
    goals_1: number;
    goals_2: number;
    stored_rows: number;
  }>(
    client,
    caps,
    sql`SELECT match_id,
               uniqExactMerge(event_ids) AS total_events,
               uniqExactMergeIf(event_ids, event_type = 'goal' AND team_id = 1) AS goals_1,
               uniqExactMergeIf(event_ids, event_type = 'goal' AND team_id = 2) AS goals_2,
               countMerge(stored_rows) AS stored_rows
        FROM ${table(caps, 'match_event_counts')}
        WHERE match_id IN ${inList(ids)}
        GROUP BY match_id`,
  );
  return new Map(
    rows.map((r) => [
      r.match_id,
      {
        totalEvents: num(r.total_events),
        score: { '1': num(r.goals_1), '2': num(r.goals_2) },
        storedRows: num(r.stored_rows),
      },
    ]),
  );
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
