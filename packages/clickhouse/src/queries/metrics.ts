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
  minute: number;
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
  const [countRows, latencyRows] = await Promise.all([
    // An event has one minute, one type and one team, so these groups partition the match's distinct events:
    // every total below is an exact sum of them, and the match's id sets are read and merged once.
    selectRows<CountRow>(
      client,
      caps,
      sql`SELECT ${minuteSql(sql`feed_minute`, sql`toUnixTimestamp(minute_start)`, matchStartMinuteSql(caps, matchId))}
                   AS minute,
                 event_type, team_id, uniqExactMerge(event_ids) AS events,
                 minMerge(first_event_ms) AS first_ms, maxMerge(last_event_ms) AS last_ms
          FROM ${table(caps, 'match_minute_counts')} WHERE match_id = ${matchId}
          GROUP BY minute, event_type, team_id`,
    ),
    selectRows<{ q: number[] }>(
      client,
      caps,
      sql`SELECT quantilesExactMerge(0.5, 0.95, 0.99)(latency_ms) AS q
          FROM ${table(caps, 'match_pipeline_latency')} WHERE match_id = ${matchId}`,
    ),
  ]);

  if (countRows.length === 0) return null;
  const sum = (keep: (r: CountRow) => boolean) =>
    countRows.filter(keep).reduce((a, r) => a + num(r.events), 0);
  const eventsByType: Record<string, number> = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
  for (const r of countRows) eventsByType[r.event_type] = (eventsByType[r.event_type] ?? 0) + num(r.events);
  const team = (id: number): TeamMetrics => {
    const of = (type?: string) =>
      sum((r) => num(r.team_id) === id && (type === undefined || r.event_type === type));
    return { events: of(), goals: of('goal'), shots: of('shot'), cards: of('yellow_card') + of('red_card') };
  };
  const perMinute = new Map<number, number>();
  for (const r of countRows)
    perMinute.set(num(r.minute), (perMinute.get(num(r.minute)) ?? 0) + num(r.events));
  const periods = [...perMinute.entries()]
    .map(([minute, eventCount]) => ({ minute, eventCount }))
    .sort((a, b) => b.eventCount - a.eventCount || a.minute - b.minute)
    .slice(0, PEAK_PERIODS);
  const [p50 = 0, p95 = 0, p99 = 0] = (latencyRows[0]?.q ?? []).map(num);

  return {
    matchId,
    totalEvents: sum(() => true),
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: isoFromMs(Math.min(...countRows.map((r) => num(r.first_ms)))),
    lastEventAt: isoFromMs(Math.max(...countRows.map((r) => num(r.last_ms)))),
    peakMinute: periods[0] ?? { minute: 0, eventCount: 0 },
    peakEngagementPeriods: periods,
    byTeam: { '1': team(1), '2': team(2) },
    pipelineLatencyMs: { p50, p95, p99 },
  };
}
