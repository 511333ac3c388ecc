import type { MatchMetrics } from '@pitchpulse/contract';
import type { MatchExpectation } from '../truth/ground-truth';
import { topMinutes } from '../truth/metrics';

/** The figures of `GET /api/matches/{matchId}/metrics` that verification checks (the API's latencies aside). */
export type MetricsFigures = Omit<
  MatchMetrics,
  'responseTimePercentiles' | 'pipelineLatencyMs' | 'flaggedEvents'
>;

/** A peak and the top minutes as reported, each minute turned into the key of the expected counts. */
interface Peaks {
  peak: { at: number; eventCount: number };
  top: Array<{ at: number; eventCount: number }>;
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
export function compareMetrics(expected: MatchExpectation, actual: MetricsFigures | null): Comparison {
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
  const byType = (actual.eventsByType ?? {}) as Record<string, number>;
  const types = new Set([...Object.keys(exact.eventsByType), ...Object.keys(byType)]);
  for (const type of types) {
    count(
      `eventsByType.${type}`,
      byType[type] ?? 0,
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

  // Peaks by match minute and by wall-clock minute, each the busiest minutes with the earliest first on a tie.
  const matchPeaks: Peaks = {
    peak: { at: actual.peakMatchMinute?.minute, eventCount: actual.peakMatchMinute?.eventCount },
    top: (actual.peakMatchMinutes ?? []).map((p) => ({ at: p.minute, eventCount: p.eventCount })),
  } as Peaks;
  const clockPeaks: Peaks = {
    peak: { at: ms(actual.peakMinute?.minute), eventCount: actual.peakMinute?.eventCount },
    top: (actual.peakEngagementPeriods ?? []).map((p) => ({ at: ms(p.timestamp), eventCount: p.eventCount })),
  } as Peaks;
  const clock = (at: number) =>
    Number.isNaN(at) ? 'none' : new Date(at).toISOString().replace('.000Z', 'Z');
  const minute = (at: number) => `minute ${at}`;
  if (expected.unknown === 0) {
    checkPeaks(['peakMatchMinute', 'peakMatchMinutes'], matchPeaks, exact.minuteCounts, minute, problems);
    checkPeaks(['peakMinute', 'peakEngagementPeriods'], clockPeaks, exact.clockMinuteCounts, clock, problems);
  } else {
    const within = (name: string, got: number, lo: Map<number, number>, hi: Map<number, number>) =>
      count(name, got, highest(lo), highest(hi));
    within('peakMatchMinute.eventCount', matchPeaks.peak.eventCount, exact.minuteCounts, upper.minuteCounts);
    within(
      'peakMinute.eventCount',
      clockPeaks.peak.eventCount,
      exact.clockMinuteCounts,
      upper.clockMinuteCounts,
    );
  }

  return { matchId, pass: problems.length === 0, problems };
}

const highest = (counts: Map<number, number>): number => Math.max(0, ...counts.values());

/** The reported peak and top list are exactly the busiest minutes, most events first, the earliest on a tie. */
function checkPeaks(
  [peakName, topName]: [string, string],
  got: Peaks,
  counts: Map<number, number>,
  show: (at: number) => string,
  problems: string[],
): void {
  if (counts.size === 0) return;
  const want = topMinutes(counts);
  const [at, eventCount] = want[0]!;
  if (got.peak.at !== at || got.peak.eventCount !== eventCount) {
    problems.push(
      `${peakName}: expected ${show(at)} with ${eventCount} events, got ${show(got.peak.at)} with ${got.peak.eventCount}`,
    );
  }
  const listed = (list: Array<[number, number]>) => JSON.stringify(list.map(([m, n]) => [show(m), n]));
  const gotList = got.top.map((p): [number, number] => [p.at, p.eventCount]);
  if (listed(gotList) !== listed(want)) {
    problems.push(`${topName}: expected ${listed(want)}, got ${listed(gotList)}`);
  }
}
