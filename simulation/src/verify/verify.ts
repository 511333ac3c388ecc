import Table from 'cli-table3';
import type { IngestClient } from '../http/ingest-client';
import type { ExpectedRetraction, GroundTruth, MatchExpectation } from '../truth/ground-truth';
import { topMinutes, type ExpectedMetrics } from '../truth/metrics';
import type {
  FeedRule,
  HighlightList,
  MatchAnomalies,
  MatchMetrics,
  MatchRetractions,
} from '@pitchpulse/contract';
import { compareMetrics, type Comparison } from './compare';

export interface VerifyOptions {
  /** Give up after this long (the pipeline flushes every few seconds). */
  timeoutMs: number;
  /** Stop early once no match's total has changed for this long. */
  stableMs: number;
  pollMs: number;
  /** Parallel metric reads. */
  concurrency?: number;
  onPoll?: (state: { passing: number; matches: number; elapsedMs: number }) => void;
}

export interface VerifiedMatch extends Comparison {
  expected: MatchExpectation;
  actualTotal: number | null;
  actualGoals: number | null;
  actualPeak: string | null;
  /** Accepted goals whose highlight is final: READY, or RETRACTED for a retracted goal. */
  settledGoals: number;
  /** Retractions the API lists for the match; null when they could not be read. */
  listedRetractions: number | null;
  /** The anomaly injected, the rules the API says flagged the match, and `flaggedEvents` of its metrics. */
  anomalies: { injected: FeedRule | null; flagged: FeedRule[]; flaggedEvents: number | null };
}

export interface VerifyResult {
  pass: boolean;
  waitedMs: number;
  matches: VerifiedMatch[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const HIGHLIGHT_PAGE = 100;

/** Every highlight of the match, all pages. */
async function matchHighlights(client: IngestClient, matchId: string): Promise<HighlightList['items']> {
  const items: HighlightList['items'] = [];
  for (let page = 1; ; page++) {
    const body = await client.getJson<HighlightList>(
      `/api/highlights?matchId=${encodeURIComponent(matchId)}&pageSize=${HIGHLIGHT_PAGE}&page=${page}`,
    );
    items.push(...(body?.items ?? []));
    if (!body || items.length >= body.total || body.items.length === 0) return items;
  }
}

type HighlightStatus = HighlightList['items'][number]['status'];

/**
 * Every accepted goal has exactly one highlight: READY, RETRACTED if the goal was retracted, either if its
 * retraction's delivery is unknown. A goal whose delivery is unknown may have one (RETRACTED if retracted); no other
 * goal has one. Answers the problems and how many accepted goals' highlights are in their final status.
 */
export function checkGoalHighlights(
  expected: MatchExpectation['goals'],
  highlights: HighlightList['items'],
): { problems: string[]; settled: number } {
  const problems: string[] = [];
  const goals = highlights.filter((h) => h.eventType === 'goal');
  const seen = new Map<string, HighlightList['items']>();
  for (const h of goals) seen.set(h.eventId, [...(seen.get(h.eventId) ?? []), h]);
  const unknown = new Set(expected.unknown);
  const retracted = new Set(expected.retracted);
  const maybeRetracted = new Set(expected.maybeRetracted);
  const wanted = (id: string): HighlightStatus[] =>
    retracted.has(id) ? ['RETRACTED'] : maybeRetracted.has(id) ? ['READY', 'RETRACTED'] : ['READY'];
  const wrongStatus = (id: string, status: HighlightStatus): string =>
    `goal ${id}: highlight ${status}, not ${wanted(id).join(' or ')}`;
  let settled = 0;
  for (const id of expected.accepted) {
    const copies = seen.get(id) ?? [];
    if (copies.length === 0) problems.push(`goal ${id}: no highlight`);
    else if (copies.length > 1) problems.push(`goal ${id}: ${copies.length} highlights`);
    else if (!wanted(id).includes(copies[0]!.status)) problems.push(wrongStatus(id, copies[0]!.status));
    else settled += 1;
  }
  for (const [id, copies] of seen) {
    if (!expected.accepted.includes(id) && !unknown.has(id))
      problems.push(`goal ${id}: a highlight, never sent`);
    else if (unknown.has(id) && copies.length > 1) problems.push(`goal ${id}: ${copies.length} highlights`);
    else if (unknown.has(id) && retracted.has(id) && copies[0]!.status !== 'RETRACTED')
      problems.push(wrongStatus(id, copies[0]!.status));
  }
  return { problems, settled };
}

/**
 * `GET /api/matches/{matchId}/retractions` lists every accepted retraction once, with its reason, `found` true when
 * its event was accepted (false when it was never acknowledged) and the event's type once found; an unknown
 * retraction may be listed; nothing else is; `total` and `notFound` agree with the items. `listed` null: 404.
 */
export function checkRetractions(
  expected: MatchExpectation['retractions'],
  listed: MatchRetractions | null,
): { problems: string[] } {
  const problems: string[] = [];
  const items = listed?.items ?? [];
  const byId = new Map<string, MatchRetractions['items']>();
  for (const item of items) byId.set(item.eventId, [...(byId.get(item.eventId) ?? []), item]);
  for (const want of expected.accepted) {
    const copies = byId.get(want.eventId) ?? [];
    if (copies.length !== 1) {
      problems.push(`retraction of ${want.eventId}: listed ${copies.length} times, expected once`);
      continue;
    }
    problems.push(...retractionProblems(want, copies[0]!));
  }
  const known = new Set([...expected.accepted.map((r) => r.eventId), ...expected.unknown]);
  for (const id of byId.keys()) {
    if (!known.has(id)) problems.push(`retraction of ${id}: listed, never sent`);
  }
  if (listed && listed.total !== items.length)
    problems.push(`retractions: total ${listed.total}, but ${items.length} items`);
  const notFound = items.filter((i) => !i.found).length;
  if (listed && listed.notFound !== notFound)
    problems.push(`retractions: notFound ${listed.notFound}, but ${notFound} items with found false`);
  return { problems };
}

/** Why a rule may have flagged a match nothing was injected into, where the simulator can tell. */
const FALSE_POSITIVE_HINTS: Partial<Record<FeedRule, string>> = {
  'source-velocity':
    "the run sent in a burst by the API's default thresholds: pace it with --duration or --rate (a new source " +
    'sending > 20,000 events in 10 s is a burst; so is one resuming within 70 s of its last event at > 10 × its ' +
    'rate of the minute before: leave the address quiet for 70 s between runs)',
  'clock-skew': 'event timestamps far from when they were sent: leave out --kickoff for honest ones',
};

/**
 * The feed-integrity rules that flagged a match (`GET /api/matches/{matchId}/anomalies`; null: 404) and
 * `flaggedEvents` of its metrics (null: no metrics): an injected match is flagged with its kind, and no match with
 * a rule it was not injected with; `flaggedEvents` is above 0 exactly for an injected match.
 */
export function checkAnomalies(
  injected: FeedRule | null,
  listed: MatchAnomalies | null,
  flaggedEvents: number | null,
): { problems: string[] } {
  const problems: string[] = [];
  const rules = listed?.rules ?? [];
  if (injected && !rules.some((r) => r.rule === injected && r.events >= 1))
    problems.push(`${injected} injected but not flagged`);
  for (const { rule, events } of rules) {
    if (rule === injected) continue;
    const hint = FALSE_POSITIVE_HINTS[rule];
    problems.push(
      `flagged ${rule} (${events} events) though ${injected ? `only ${injected} was injected` : 'nothing was injected'}` +
        (hint ? ` — ${hint}` : ''),
    );
  }
  if (flaggedEvents !== null && injected && !(flaggedEvents > 0))
    problems.push(`flaggedEvents: expected more than 0 (${injected} injected), got ${flaggedEvents}`);
  if (flaggedEvents !== null && !injected && flaggedEvents !== 0)
    problems.push(`flaggedEvents: expected 0 (nothing injected), got ${flaggedEvents}`);
  return { problems };
}

function retractionProblems(want: ExpectedRetraction, got: MatchRetractions['items'][number]): string[] {
  const problems: string[] = [];
  const about = `retraction of ${want.eventId}`;
  if (got.reason !== want.reason)
    problems.push(`${about}: reason "${got.reason}", expected "${want.reason}"`);
  if (want.eventStored === 'yes' && !got.found)
    problems.push(`${about}: found false, but its event was accepted`);
  if (want.eventStored === 'no' && got.found)
    problems.push(`${about}: found true, but its event was never stored`);
  if (got.found && want.eventType !== null && got.eventType !== want.eventType)
    problems.push(`${about}: eventType ${got.eventType}, expected ${want.eventType}`);
  return problems;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** One match's metrics, goal highlights and retractions, read from the API and held against the ground truth. */
async function verifyMatch(client: IngestClient, expected: MatchExpectation): Promise<VerifiedMatch> {
  const matchPath = `/api/matches/${encodeURIComponent(expected.matchId)}`;
  let actual: MatchMetrics | null;
  let highlights: HighlightList['items'];
  let retractions: MatchRetractions | null;
  let anomalies: MatchAnomalies | null;
  try {
    [actual, highlights, retractions, anomalies] = await Promise.all([
      client.getJson<MatchMetrics>(`${matchPath}/metrics`),
      matchHighlights(client, expected.matchId),
      client.getJson<MatchRetractions>(`${matchPath}/retractions`),
      client.getJson<MatchAnomalies>(`${matchPath}/anomalies`),
    ]);
  } catch (err) {
    return {
      matchId: expected.matchId,
      pass: false,
      problems: [(err as Error).message],
      expected,
      actualTotal: null,
      actualGoals: null,
      actualPeak: null,
      settledGoals: 0,
      listedRetractions: null,
      anomalies: { injected: expected.anomaly, flagged: [], flaggedEvents: null },
    };
  }
  const compared = compareMetrics(expected, actual);
  const goals = checkGoalHighlights(expected.goals, highlights);
  const listing = checkRetractions(expected.retractions, retractions);
  const flaggedEvents = actual === null ? null : (actual.flaggedEvents ?? 0);
  const flags = checkAnomalies(expected.anomaly, anomalies, flaggedEvents);
  const problems = [...compared.problems, ...goals.problems, ...listing.problems, ...flags.problems];
  return {
    matchId: expected.matchId,
    pass: problems.length === 0,
    problems,
    expected,
    actualTotal: actual?.totalEvents ?? null,
    actualGoals: actual?.goals ?? null,
    actualPeak:
      actual?.peakMatchMinute && actual.peakMinute
        ? `${actual.peakMatchMinute.minute}' (${actual.peakMatchMinute.eventCount}) · ` +
          `${actual.peakMinute.minute.slice(11, 16)} UTC (${actual.peakMinute.eventCount})`
        : null,
    settledGoals: goals.settled,
    listedRetractions: retractions?.items.length ?? 0,
    anomalies: {
      injected: expected.anomaly,
      flagged: (anomalies?.rules ?? []).map((r) => r.rule),
      flaggedEvents,
    },
  };
}

/**
 * Waits for the pipeline to flush, then checks every match's metrics, goal highlights, retractions and
 * feed-integrity flags against the ground truth: polls until all match, or until no total (nor count of final
 * highlights, of listed retractions, of flagged events or rules) has changed for `stableMs`, or `timeoutMs` passed;
 * the last comparison is the verdict.
 */
export async function verifyAgainstApi(
  client: IngestClient,
  truth: GroundTruth,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const expectations = truth.matchIds().map((id) => truth.expectation(id));
  const started = Date.now();
  let lastSignature = '';
  let lastChange = started;
  for (;;) {
    const matches = await mapLimit(expectations, options.concurrency ?? 8, (expected) =>
      verifyMatch(client, expected),
    );
    const now = Date.now();
    const passing = matches.filter((m) => m.pass).length;
    options.onPoll?.({ passing, matches: matches.length, elapsedMs: now - started });
    const signature = matches
      .map(
        (m) =>
          `${m.actualTotal}/${m.settledGoals}/${m.listedRetractions}/` +
          `${m.anomalies.flaggedEvents}/${m.anomalies.flagged.join('+')}`,
      )
      .join(',');
    if (signature !== lastSignature) {
      lastSignature = signature;
      lastChange = now;
    }
    const settled = now - lastChange >= options.stableMs;
    if (passing === matches.length || settled || now - started >= options.timeoutMs) {
      return { pass: passing === matches.length, waitedMs: now - started, matches };
    }
    await sleep(options.pollMs);
  }
}

export function formatVerifyTable(result: VerifyResult): string {
  const table = new Table({
    head: [
      'match',
      'events expected',
      'api',
      'goals expected/api',
      'goal highlights final',
      'retractions expected/api',
      'peak match/UTC minute expected',
      'api peaks',
      'anomaly injected/flagged',
      'result',
    ],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'left', 'left', 'left'],
    style: { head: [], border: [], compact: true },
  });
  for (const m of result.matches) {
    const { exact, upper, unknown } = m.expected;
    const expectedTotal =
      unknown === 0 ? String(exact.totalEvents) : `${exact.totalEvents}–${upper.totalEvents}`;
    const peak = expectedPeaks(exact);
    table.push([
      m.matchId,
      expectedTotal,
      m.actualTotal === null ? '404' : String(m.actualTotal),
      `${exact.goals}/${m.actualGoals ?? '-'}`,
      `${m.settledGoals}/${m.expected.goals.accepted.length}`,
      `${m.expected.retractions.accepted.length}/${m.listedRetractions ?? '-'}`,
      peak,
      m.actualPeak ?? '-',
      `${m.anomalies.injected ?? '-'} / ${m.anomalies.flagged.join(', ') || '-'}`,
      m.pass ? 'PASS' : 'FAIL',
    ]);
  }
  const lines = [table.toString()];
  const failed = result.matches.filter((m) => !m.pass);
  for (const m of failed) {
    lines.push(`${m.matchId}:`);
    for (const p of m.problems.slice(0, 8)) lines.push(`  - ${p}`);
    if (m.problems.length > 8) lines.push(`  … ${m.problems.length - 8} more`);
  }
  if (
    result.matches.length > 0 &&
    result.matches.every((m) => m.actualTotal === null && m.expected.accepted > 0)
  ) {
    lines.push(
      'Every match answered 404: is the read API (GET /api/matches/{matchId}/metrics) served at --url?',
    );
  }
  const passed = result.matches.length - failed.length;
  lines.push(
    `Verification ${result.pass ? 'PASSED' : 'FAILED'}: ${passed}/${result.matches.length} matches agree with the ground truth ` +
      `(waited ${(result.waitedMs / 1000).toFixed(1)} s for the pipeline)`,
  );
  return lines.join('\n');
}

/** The ground truth's peaks as the table shows them: `12' (31) · 14:12 UTC (30)`, or `-` without events. */
function expectedPeaks(exact: ExpectedMetrics): string {
  const [match] = topMinutes(exact.minuteCounts);
  const [clock] = topMinutes(exact.clockMinuteCounts);
  if (!match || !clock) return '-';
  return `${match[0]}' (${match[1]}) · ${new Date(clock[0]).toISOString().slice(11, 16)} UTC (${clock[1]})`;
}
