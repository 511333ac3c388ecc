import { EVENT_TYPES, PEAK_PERIODS, type MatchEvent, type TeamMetrics } from '@pitchpulse/contract';

/** What the read API's metrics endpoint should report for a set of stored events, computed the obvious way. */
export interface ExpectedMetrics {
  matchId: string;
  totalEvents: number;
  eventsByType: Record<string, number>;
  goals: number;
  yellowCards: number;
  redCards: number;
  /** ISO 8601 UTC with milliseconds; null when there are no events. */
  firstEventAt: string | null;
  lastEventAt: string | null;
  /** Events per match minute: `metadata.minute`, else whole minutes since the minute of the first event. */
  minuteCounts: Map<number, number>;
  /** Events per wall-clock UTC minute, keyed by the minute's start (epoch ms). */
  clockMinuteCounts: Map<number, number>;
  byTeam: Record<'1' | '2', TeamMetrics>;
}

/** The match minute of an event: `metadata.minute` when the feed sent a whole number ≥ 0. */
export function minuteOf(event: MatchEvent): number | undefined {
  const minute = (event.metadata as Record<string, unknown> | undefined)?.minute;
  return typeof minute === 'number' && Number.isInteger(minute) && minute >= 0 ? minute : undefined;
}

const emptyTeam = (): TeamMetrics => ({ events: 0, goals: 0, shots: 0, cards: 0 });

/** Metrics of distinct events (the caller deduplicates by eventId). */
export function computeMetrics(matchId: string, distinct: Iterable<MatchEvent>): ExpectedMetrics {
  const events = [...distinct]; // read twice: the match minute needs the first event's time
  const eventsByType: Record<string, number> = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
  const byTeam: Record<'1' | '2', TeamMetrics> = { '1': emptyTeam(), '2': emptyTeam() };
  const minuteCounts = new Map<number, number>();
  const clockMinuteCounts = new Map<number, number>();
  let total = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const event of events) {
    total++;
    eventsByType[event.eventType] = (eventsByType[event.eventType] ?? 0) + 1;
    const team = byTeam[String(event.teamId) as '1' | '2'];
    team.events++;
    if (event.eventType === 'goal') team.goals++;
    if (event.eventType === 'shot') team.shots++;
    if (event.eventType === 'yellow_card' || event.eventType === 'red_card') team.cards++;
    const at = Date.parse(event.timestamp);
    if (at < first) first = at;
    if (at > last) last = at;
    const clockMinute = Math.floor(at / 60_000) * 60_000;
    clockMinuteCounts.set(clockMinute, (clockMinuteCounts.get(clockMinute) ?? 0) + 1);
  }
  // The match minute of an event without a feed minute counts from the minute of the match's first event.
  const firstMinute = Math.floor(first / 60_000);
  for (const event of events) {
    const minute =
      minuteOf(event) ?? Math.max(0, Math.floor(Date.parse(event.timestamp) / 60_000) - firstMinute);
    minuteCounts.set(minute, (minuteCounts.get(minute) ?? 0) + 1);
  }
  return {
    matchId,
    totalEvents: total,
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: total > 0 ? new Date(first).toISOString() : null,
    lastEventAt: total > 0 ? new Date(last).toISOString() : null,
    minuteCounts,
    clockMinuteCounts,
    byTeam,
  };
}

/**
 * The PEAK_PERIODS busiest minutes as [minute, events], most events first and the earlier minute first on a tie:
 * what `peakMatchMinutes` (keys: match minutes) and `peakEngagementPeriods` (keys: epoch ms of UTC minutes) hold.
 */
export function topMinutes(counts: Map<number, number>): Array<[number, number]> {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, PEAK_PERIODS);
}
