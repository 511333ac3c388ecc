import type { ClickHouseClient } from '@clickhouse/client';
import { EVENT_TYPES } from '@pitchpulse/events';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import { checkMatchId, isoFromMs, matchStartMinuteSql, minuteSql, num, table } from './common';

export interface MinuteCount {
  minute: number;
  eventCount: number;
}

export interface TeamMetrics {
  events: number;
  goals: number;
  shots: number;
  /** yellow + red cards */
  cards: number;
}

export interface MatchMetrics {
  matchId: string;
  totalEvents: number;
  /** every v1 event type, 0 when none */
  eventsByType: Record<string, number>;
  goals: number;
  yellowCards: number;
  redCards: number;
  /** ISO 8601 UTC with milliseconds */
  firstEventAt: string;
  lastEventAt: string;
  /** the minute with most events (earliest on a tie) */
  peakMinute: MinuteCount;
  /** the 5 minutes with most events, most first (earlier first on a tie) */
  peakEngagementPeriods: MinuteCount[];
  byTeam: Record<'1' | '2', TeamMetrics>;
  /** API receipt → row in ClickHouse, over this match's stored rows (exact quantiles) */
  pipelineLatencyMs: { p50: number; p95: number; p99: number };
}

export interface MatchMetricsParams {
  matchId: string;
}

export const PEAK_PERIODS = 5;

interface CountRow {
  level: 'total' | 'type' | 'team' | 'type_team';
  event_type: string;
  team_id: number;
  events: number;
  first_ms: number;
  last_ms: number;
}

/** Per-match metrics, all from the aggregate tables (no raw-table scan). `null` for a match with no events. */
export async function getMatchMetrics(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: MatchMetricsParams,
): Promise<MatchMetrics | null> {
  const matchId = checkMatchId(params.matchId);
  const counts = table(caps, 'match_event_counts');
  const where = sql`FROM ${counts} WHERE match_id = ${matchId}`;
  const merged = sql`uniqExactMerge(event_ids) AS events, minMerge(first_event_ms) AS first_ms,
                     maxMerge(last_event_ms) AS last_ms`;
  const [countRows, minuteRows, latencyRows] = await Promise.all([
    selectRows<CountRow>(
      client,
      caps,
      sql`SELECT 'total' AS level, '' AS event_type, toUInt8(0) AS team_id, ${merged} ${where}
          UNION ALL SELECT 'type', event_type, toUInt8(0), ${merged} ${where} GROUP BY event_type
          UNION ALL SELECT 'team', '', team_id, ${merged} ${where} GROUP BY team_id
          UNION ALL SELECT 'type_team', event_type, team_id, ${merged} ${where} GROUP BY event_type, team_id`,
    ),
    selectRows<{ minute: number; events: number }>(
      client,
      caps,
      sql`SELECT minute, uniqExactMerge(event_ids) AS events
          FROM (
            SELECT ${minuteSql(sql`feed_minute`, sql`toUnixTimestamp(minute_start)`, matchStartMinuteSql(caps, matchId))}
                     AS minute,
                   event_ids
            FROM ${table(caps, 'match_minute_counts')} WHERE match_id = ${matchId}
          )
          GROUP BY minute
          ORDER BY events DESC, minute ASC
          LIMIT ${PEAK_PERIODS}`,
    ),
    selectRows<{ q: number[] }>(
      client,
      caps,
      sql`SELECT quantilesExactMerge(0.5, 0.95, 0.99)(latency_ms) AS q
          FROM ${table(caps, 'match_pipeline_latency')} WHERE match_id = ${matchId}`,
    ),
  ]);

  const total = countRows.find((r) => r.level === 'total');
  if (!total || num(total.events) === 0) return null;

  const eventsByType: Record<string, number> = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
  for (const r of countRows) if (r.level === 'type') eventsByType[r.event_type] = num(r.events);
  const typeTeam = (type: string, team: number) =>
    num(
      countRows.find((r) => r.level === 'type_team' && r.event_type === type && num(r.team_id) === team)
        ?.events ?? 0,
    );
  const team = (id: 1 | 2): TeamMetrics => ({
    events: num(countRows.find((r) => r.level === 'team' && num(r.team_id) === id)?.events ?? 0),
    goals: typeTeam('goal', id),
    shots: typeTeam('shot', id),
    cards: typeTeam('yellow_card', id) + typeTeam('red_card', id),
  });
  const periods = minuteRows.map((r) => ({ minute: num(r.minute), eventCount: num(r.events) }));
  const [p50 = 0, p95 = 0, p99 = 0] = (latencyRows[0]?.q ?? []).map(num);

  return {
    matchId,
    totalEvents: num(total.events),
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: isoFromMs(num(total.first_ms)),
    lastEventAt: isoFromMs(num(total.last_ms)),
    peakMinute: periods[0] ?? { minute: 0, eventCount: 0 },
    peakEngagementPeriods: periods,
    byTeam: { '1': team(1), '2': team(2) },
    pipelineLatencyMs: { p50, p95, p99 },
  };
}
