import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import { checkCount, isoFromMs, num, table } from './common';

/** A match is live while its latest event (by event time) is at most this many minutes before now. */
export const LIVE_WINDOW_MINUTES = 5;
export const MAX_PAGE_SIZE = 1000;

export interface MatchSummary {
  matchId: string;
  totalEvents: number;
  /** goals per team */
  score: { '1': number; '2': number };
  firstEventAt: string;
  lastEventAt: string;
  live: boolean;
}

export interface MatchList {
  /** number of matches with at least one event */
  total: number;
  items: MatchSummary[];
}

export interface ListMatchesParams {
  limit: number;
  offset: number;
  /** default: the current time */
  now?: Date;
  /** default LIVE_WINDOW_MINUTES */
  liveWindowMinutes?: number;
}

interface SummaryRow {
  match_id: string;
  total_events: number;
  goals_1: number;
  goals_2: number;
  first_ms: number;
  last_ms: number;
}

/**
 * Matches with events: live ones first, then by latest event time (newest first), then by id. Paginated in
 * SQL: the page's match ids are chosen on first/last time only, then only those matches' counts are merged.
 */
export async function listMatches(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: ListMatchesParams,
): Promise<MatchList> {
  const limit = checkCount('limit', params.limit, 1, MAX_PAGE_SIZE);
  const offset = checkCount('offset', params.offset, 0, 1_000_000_000);
  const window = checkCount('liveWindowMinutes', params.liveWindowMinutes ?? LIVE_WINDOW_MINUTES, 0, 10_080);
  const now = params.now ?? new Date();
  const liveSinceMs = Math.max(0, now.getTime() - window * 60_000);
  const counts = table(caps, 'match_event_counts');
  const [rows, totals] = await Promise.all([
    selectRows<SummaryRow>(
      client,
      caps,
      sql`SELECT match_id,
                 uniqExactMerge(event_ids) AS total_events,
                 uniqExactMergeIf(event_ids, event_type = 'goal' AND team_id = 1) AS goals_1,
                 uniqExactMergeIf(event_ids, event_type = 'goal' AND team_id = 2) AS goals_2,
                 minMerge(first_event_ms) AS first_ms,
                 maxMerge(last_event_ms) AS last_ms
          FROM ${counts}
          WHERE match_id IN (
            SELECT match_id FROM ${counts}
            GROUP BY match_id
            ORDER BY maxMerge(last_event_ms) >= ${liveSinceMs} DESC, maxMerge(last_event_ms) DESC, match_id ASC
            LIMIT ${offset}, ${limit}
          )
          GROUP BY match_id`,
    ),
    selectRows<{ n: number }>(client, caps, sql`SELECT uniqExact(match_id) AS n FROM ${counts}`),
  ]);
  const items = rows.map((r): MatchSummary => ({
    matchId: r.match_id,
    totalEvents: num(r.total_events),
    score: { '1': num(r.goals_1), '2': num(r.goals_2) },
    firstEventAt: isoFromMs(num(r.first_ms)),
    lastEventAt: isoFromMs(num(r.last_ms)),
    live: num(r.last_ms) >= liveSinceMs,
  }));
  // Same order as the page was chosen in (byte order of ids, as ClickHouse compares strings).
  items.sort(
    (a, b) =>
      Number(b.live) - Number(a.live) ||
      Date.parse(b.lastEventAt) - Date.parse(a.lastEventAt) ||
      Buffer.compare(Buffer.from(a.matchId), Buffer.from(b.matchId)),
  );
  return { total: num(totals[0]?.n ?? 0), items };
}
