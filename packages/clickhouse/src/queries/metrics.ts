import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import {
  EVENT_TYPES,
  PEAK_PERIODS,
  type EventType,
  type MatchMetrics,
  type TeamMetrics,
} from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import {
  EVENT_MS,
  LATENCY_MS,
  checkMatchId,
  isoFromMs,
  isoMinute,
  minuteOf,
  num,
  rawRowsOf,
  table,
  type Versioned,
} from './common';
import {
  HEAD_COLUMNS,
  ONE_MATCH_READ,
  isCurrentSeal,
  readSealed,
  toHead,
  type FigureRow,
  type HeadRow,
} from './figures';

/**
 * The metrics as the figures hold them: the wire shape less the API instance's own response times and the
 * flagged events (read beside them from match_anomalies, queries/anomalies.ts).
 */
export type StoredMetrics = Omit<MatchMetrics, 'responseTimePercentiles' | 'flaggedEvents'>;

export interface MatchMetricsParams {
  matchId: string;
}

/**
 * One summary row, as a seal's figures hold it: kind 1 = distinct events of one (event type, team) with their
 * first/last event time; kind 2 = distinct events of one (feed minute, wall-clock minute). ~20 + ~100 rows for a
 * whole match.
 */
interface SummaryRow {
  kind: number;
  event_type: EventType;
  team_id: number;
  feed_minute: number;
  minute_start: number;
  events: number;
  first_ms: number;
  last_ms: number;
}

function metricsOf(matchId: string, rows: SummaryRow[], latency: number[] | undefined): StoredMetrics | null {
  const byTypeTeam = rows.filter((r) => num(r.kind) === 1);
  const byMinute = rows.filter((r) => num(r.kind) === 2);
  if (byTypeTeam.length === 0) return null;

  const eventsByType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as StoredMetrics['eventsByType'];
  const team = (): TeamMetrics => ({ events: 0, goals: 0, shots: 0, cards: 0 });
  const byTeam: Record<'1' | '2', TeamMetrics> = { '1': team(), '2': team() };
  let total = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const r of byTypeTeam) {
    const n = num(r.events);
    total += n;
    first = Math.min(first, num(r.first_ms));
    last = Math.max(last, num(r.last_ms));
    eventsByType[r.event_type] = (eventsByType[r.event_type] ?? 0) + n;
    const t = byTeam[String(num(r.team_id)) as '1' | '2'];
    if (!t) continue;
    t.events += n;
    if (r.event_type === 'goal') t.goals += n;
    if (r.event_type === 'shot') t.shots += n;
    if (r.event_type === 'yellow_card' || r.event_type === 'red_card') t.cards += n;
  }

  // The documented minute (docs/clickhouse.md): the feed's minute, else whole minutes since the minute of the
  // match's first event (= the earliest wall-clock minute of any group).
  const matchStart = Math.min(...byMinute.map((r) => num(r.minute_start)));
  const perMatchMinute = new Map<number, number>();
  const perClockMinute = new Map<number, number>();
  for (const r of byMinute) {
    const n = num(r.events);
    const minute = minuteOf(num(r.feed_minute), num(r.minute_start), matchStart);
    perMatchMinute.set(minute, (perMatchMinute.get(minute) ?? 0) + n);
    perClockMinute.set(num(r.minute_start), (perClockMinute.get(num(r.minute_start)) ?? 0) + n);
  }
  const matchMinutes = topMinutes(perMatchMinute).map(([minute, eventCount]) => ({ minute, eventCount }));
  const clockMinutes = topMinutes(perClockMinute).map(([start, eventCount]) => ({
    timestamp: isoMinute(start),
    eventCount,
  }));
  const [p50 = 0, p95 = 0, p99 = 0] = (latency ?? []).map(num);

  return {
    matchId,
    totalEvents: total,
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: isoFromMs(first),
    lastEventAt: isoFromMs(last),
    peakMinute: { minute: clockMinutes[0]!.timestamp, eventCount: clockMinutes[0]!.eventCount },
    peakEngagementPeriods: clockMinutes,
    peakMatchMinute: matchMinutes[0]!,
    peakMatchMinutes: matchMinutes,
    byTeam,
    pipelineLatencyMs: { p50, p95, p99 },
  };
}

/** The PEAK_PERIODS minutes with the most events, most first, the earlier minute first on a tie. */
function topMinutes(counts: Map<number, number>): Array<[number, number]> {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, PEAK_PERIODS);
}

/**
 * A seal's metrics from its figure rows (kinds event_type_team and minute) and its latency percentiles: what a
 * reader computes for a seal whose `metrics` column is missing or in another format (they equal what the sealer
 * stored there: metricsFromRawRows groups the raw rows as the figures do).
 */
export function metricsFromFigures(
  matchId: string,
  figures: ReadonlyArray<
    Pick<
      FigureRow,
      | 'kind'
      | 'event_type'
      | 'team_id'
      | 'feed_minute'
      | 'minute_start'
      | 'events'
      | 'first_event_ms'
      | 'last_event_ms'
    >
  >,
  latency: readonly number[],
): StoredMetrics | null {
  const rows: SummaryRow[] = figures
    .filter((f) => f.kind === 'event_type_team' || f.kind === 'minute')
    .map((f) => ({
      kind: f.kind === 'event_type_team' ? 1 : 2,
      event_type: f.event_type as EventType,
      team_id: num(f.team_id),
      feed_minute: num(f.feed_minute),
      minute_start: num(f.minute_start),
      events: num(f.events),
      first_ms: num(f.first_event_ms),
      last_ms: num(f.last_event_ms),
    }));
  return metricsOf(matchId, rows, [...latency]);
}

/** The format of the seal row's `metrics` column; a seal written in another format is read from its figure rows. */
export const SEALED_METRICS_FORMAT = 1;

/** `null`: a seal of a match whose every stored event is retracted (it counts nothing). */
export function encodeSealedMetrics(metrics: StoredMetrics | null): string {
  return JSON.stringify({ v: SEALED_METRICS_FORMAT, metrics });
}

function decodeSealedMetrics(text: string): StoredMetrics | null | undefined {
  if (!text) return undefined;
  const parsed = JSON.parse(text) as { v?: unknown; metrics?: StoredMetrics | null };
  return parsed.v === SEALED_METRICS_FORMAT ? (parsed.metrics ?? null) : undefined;
}

/**
 * The metrics of the match's current seal: one read of the match's head (one row of match_activity), which
 * carries the latest seal's metrics; `marker` says what the answer is complete up to. `undefined` metrics: no
 * current seal.
 */
async function sealedMetrics(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<{ marker: number; metrics: StoredMetrics | null | undefined }> {
  const [row] = await selectRows<HeadRow & { head_metrics: string }>(
    client,
    caps,
    sql`SELECT ${HEAD_COLUMNS}, argMaxMerge(latest_seal_metrics) AS head_metrics
        FROM ${table(caps, 'match_activity')} WHERE match_id = ${matchId}`,
    ONE_MATCH_READ,
  );
  const head = toHead(row);
  if (!isCurrentSeal(head)) return { marker: head.marker, metrics: undefined };
  const stored = decodeSealedMetrics(row!.head_metrics);
  if (stored !== undefined) return { marker: head.marker, metrics: stored };
  // A seal from another format: its figure rows hold the same numbers.
  const read = await readSealed(client, caps, matchId, ['event_type_team', 'minute']);
  if (!read.sealed) return { marker: read.marker, metrics: undefined };
  const latency = [read.head.latency_p50_ms, read.head.latency_p95_ms, read.head.latency_p99_ms].map(num);
  return { marker: read.marker, metrics: metricsFromFigures(matchId, read.figures, latency) };
}

/**
 * Per-match metrics: from the match's current seal when it has one (one small read of match_figures), else from
 * its raw rows; complete up to the marker read before them (see Versioned). `null` for a match with no events.
 */
export async function matchMetrics(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: MatchMetricsParams,
): Promise<Versioned<StoredMetrics | null>> {
  const matchId = checkMatchId(params.matchId);
  const sealed = await sealedMetrics(client, caps, matchId);
  if (sealed.metrics !== undefined) return { value: sealed.metrics, storedRows: sealed.marker };
  if (sealed.marker === 0) return { value: null, storedRows: 0 };
  return { value: await matchMetricsFromEvents(client, caps, { matchId }), storedRows: sealed.marker };
}

/** The metrics from the match's current seal only: `null` when it has none (a live or changed match). */
export async function matchMetricsFromSeal(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: MatchMetricsParams,
): Promise<StoredMetrics | null> {
  const matchId = checkMatchId(params.matchId);
  return (await sealedMetrics(client, caps, matchId)).metrics ?? null;
}

/**
 * Exact p50/p95/p99 of the pipeline latency (ms, API receipt to row in ClickHouse) over every stored row of the
 * match, redeliveries included; zeros for a match without rows.
 */
export async function latencyPercentiles(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  settings?: ClickHouseSettings,
): Promise<number[]> {
  const [row] = await selectRows<{ q: number[] }>(
    client,
    caps,
    sql`SELECT quantilesExact(0.5, 0.95, 0.99)(${LATENCY_MS}) AS q ${rawRowsOf(caps, matchId)}`,
    settings,
  );
  return (row?.q ?? [0, 0, 0]).map(num);
}

/** The columns a summary row of the other kind leaves empty. */
const NO_MINUTE = { feed_minute: 0, minute_start: 0 };
const NO_TYPE = { event_type: '' as EventType, team_id: 0, first_ms: 0, last_ms: 0 };

/**
 * The metrics computed by scanning the match's raw rows in `events`, grouped as a seal's `event_type_team` and
 * `minute` figures group them (distinct `event_id`s per group), and the latency over every stored row: what a
 * match without a current seal is served from, what a seal stores, and the baseline the read benchmark compares
 * seals with. An `eventId` re-sent with only a different timestamp (a conflicting event) counts once in every total,
 * live or sealed, and in each minute one of its copies falls in (re-sent with another type or team, it counts in
 * each of its (type, team) groups).
 */
export async function metricsFromRawRows(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  settings?: ClickHouseSettings,
): Promise<{ metrics: StoredMetrics | null; latency: number[] }> {
  const match = checkMatchId(matchId);
  const of = rawRowsOf(caps, match);
  const [byTypeTeam, byMinute, latency] = await Promise.all([
    selectRows<{ event_type: EventType; team_id: number; n: number; f: number; l: number }>(
      client,
      caps,
      sql`SELECT event_type, team_id, uniqExact(event_id) AS n, min(${EVENT_MS}) AS f, max(${EVENT_MS}) AS l
          ${of} GROUP BY event_type, team_id`,
      settings,
    ),
    selectRows<{ feed_minute: number; m: number; n: number }>(
      client,
      caps,
      sql`SELECT feed_minute, toUnixTimestamp(toStartOfMinute(event_time)) AS m, uniqExact(event_id) AS n
          ${of} GROUP BY feed_minute, m`,
      settings,
    ),
    latencyPercentiles(client, caps, match, settings),
  ]);
  const summary: SummaryRow[] = [
    ...byTypeTeam.map((r) => ({
      ...NO_MINUTE,
      kind: 1,
      event_type: r.event_type,
      team_id: num(r.team_id),
      events: num(r.n),
      first_ms: num(r.f),
      last_ms: num(r.l),
    })),
    ...byMinute.map((r) => ({
      ...NO_TYPE,
      kind: 2,
      feed_minute: num(r.feed_minute),
      minute_start: num(r.m),
      events: num(r.n),
    })),
  ];
  return { metrics: metricsOf(match, summary, latency), latency };
}

/** The metrics from the match's raw rows alone (metricsFromRawRows), ignoring any seal. */
export async function matchMetricsFromEvents(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: MatchMetricsParams,
): Promise<StoredMetrics | null> {
  return (await metricsFromRawRows(client, caps, params.matchId)).metrics;
}
