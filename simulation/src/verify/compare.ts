import type { MatchExpectation } from '../truth/ground-truth';
import { topMinuteCounts, type MatchTotals, type MinuteCount, type TeamMetrics } from '../truth/metrics';

/** The body of `GET /api/matches/{matchId}/metrics`, as far as verification reads it. */
export interface ApiMetrics extends MatchTotals {
  peakMinute: MinuteCount | null;
  peakEngagementPeriods?: MinuteCount[];
  byTeam: Record<string, Partial<TeamMetrics>>;
}

export interface Comparison {
  matchId: string;
  pass: boolean;
  /** One line per disagreement, e.g. `eventsByType.goal: expected 3, got 2`. */
  problems: string[];
}

const range = (lo: number, hi: number): string => (lo === hi ? String(lo) : `${lo}–${hi}`);
const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : NaN);

/**
 * Compares what the API reports for one match with what the simulator knows it delivered.
 * With no unknown deliveries every figure must be exact; otherwise each count must lie between the accepted
 * events alone and accepted plus unknown, and first/last/peak must be consistent with that range.
 * `actual` null means the API answered 404: right only if no event of the match was accepted.
 */
export function compareMetrics(expected: MatchExpectation, actual: ApiMetrics | null): Comparison {
  const { exact, upper, matchId } = expected;
  const problems: string[] = [];
  if (actual === null) {
    if (expected.accepted > 0)
      problems.push(`API answered 404, but ${expected.accepted} events were accepted`);
    return { matchId, pass: problems.length === 0, problems };
  }

  const count = (name: string, got: unknown, lo: number, hi: number): void => {
    if (typeof got !== 'number' || !Number.isInteger(got))
      problems.push(`${name}: expected ${range(lo, hi)}, got ${String(got)}`);
    else if (got < lo || got > hi) problems.push(`${name}: expected ${range(lo, hi)}, got ${got}`);
  };

  count('totalEvents', actual.totalEvents, exact.totalEvents, upper.totalEvents);
  const types = new Set([...Object.keys(exact.eventsByType), ...Object.keys(actual.eventsByType ?? {})]);
  for (const type of types) {
    count(
      `eventsByType.${type}`,
      actual.eventsByType?.[type] ?? 0,
      exact.eventsByType[type] ?? 0,
      upper.eventsByType[type] ?? 0,
    );
  }
  count('goals', actual.goals, exact.goals, upper.goals);
  count('yellowCards', actual.yellowCards, exact.yellowCards, upper.yellowCards);
  count('redCards', actual.redCards, exact.redCards, upper.redCards);
  for (const team of ['1', '2'] as const) {
    for (const field of ['events', 'goals', 'shots', 'cards'] as const) {
      count(
        `byTeam.${team}.${field}`,
        actual.byTeam?.[team]?.[field] ?? 0,
        exact.byTeam[team][field],
        upper.byTeam[team][field],
      );
    }
  }

  // First/last: exact when nothing is unknown; otherwise between the extremes of accepted+unknown and accepted.
  const checkTime = (name: 'firstEventAt' | 'lastEventAt'): void => {
    const got = ms(actual[name]);
    const want = ms(exact[name]);
    let ok: boolean;
    if (expected.unknown === 0) ok = got === want || (Number.isNaN(got) && Number.isNaN(want));
    else if (Number.isNaN(want))
      ok = Number.isNaN(got) || (got >= ms(upper.firstEventAt) && got <= ms(upper.lastEventAt));
    else if (name === 'firstEventAt') ok = got >= ms(upper.firstEventAt) && got <= want;
    else ok = got >= want && got <= ms(upper.lastEventAt);
    if (!ok) {
      const shown = expected.unknown === 0 ? String(exact[name]) : `${upper[name]} … ${exact[name]}`;
      problems.push(`${name}: expected ${shown}, got ${String(actual[name])}`);
    }
  };
  checkTime('firstEventAt');
  checkTime('lastEventAt');

  // Peak minute: any of the tied minutes is right; its count must be the highest count.
  const peak = actual.peakMinute;
  if (expected.unknown === 0) {
    if (exact.totalEvents > 0 && exact.minuteCounts.size > 0) {
      if (!peak || !exact.peakMinutes.includes(peak.minute) || peak.eventCount !== exact.peakCount) {
        problems.push(
          `peakMinute: expected minute ${exact.peakMinutes.join(' or ')} with ${exact.peakCount} events, got ${
            peak ? `minute ${peak.minute} with ${peak.eventCount}` : String(peak)
          }`,
        );
      }
    }
    const periods = actual.peakEngagementPeriods;
    if (Array.isArray(periods) && exact.minuteCounts.size > 0) {
      const want = topMinuteCounts(exact, periods.length > 0 ? Math.min(5, periods.length) : 5);
      const got = periods.map((p) => p.eventCount);
      const wrongMinute = periods.find((p) => exact.minuteCounts.get(p.minute) !== p.eventCount);
      if (
        got.join(',') !== want.join(',') ||
        wrongMinute ||
        periods.length !== Math.min(5, exact.minuteCounts.size)
      ) {
        problems.push(
          `peakEngagementPeriods: expected counts ${want.join(',')}, got ${JSON.stringify(periods)}`,
        );
      }
    }
  } else if (peak && (peak.eventCount < exact.peakCount || peak.eventCount > upper.peakCount)) {
    problems.push(
      `peakMinute.eventCount: expected ${range(exact.peakCount, upper.peakCount)}, got ${peak.eventCount}`,
    );
  }

  return { matchId, pass: problems.length === 0, problems };
}
