import Table from 'cli-table3';
import type { IngestClient } from '../http/ingest-client';
import type { GroundTruth, MatchExpectation } from '../truth/ground-truth';
import { topMinutes, type ExpectedMetrics } from '../truth/metrics';
import type { HighlightList, MatchMetrics } from '@pitchpulse/contract';
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
  /** goals with a READY highlight / goals expected */
  readyGoals: number;
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

/**
 * Every accepted goal has exactly one highlight, READY; a goal whose delivery is unknown may have one; no other
 * goal has one. Answers the problems and how many goals are READY.
 */
export function checkGoalHighlights(
  expected: MatchExpectation['goals'],
  highlights: HighlightList['items'],
): { problems: string[]; ready: number } {
  const problems: string[] = [];
  const goals = highlights.filter((h) => h.eventType === 'goal');
  const seen = new Map<string, number>();
  for (const h of goals) seen.set(h.eventId, (seen.get(h.eventId) ?? 0) + 1);
  const unknown = new Set(expected.unknown);
  let ready = 0;
  for (const id of expected.accepted) {
    const copies = goals.filter((h) => h.eventId === id);
    if (copies.length === 0) problems.push(`goal ${id}: no highlight`);
    else if (copies.length > 1) problems.push(`goal ${id}: ${copies.length} highlights`);
    else if (copies[0]!.status !== 'READY')
      problems.push(`goal ${id}: highlight ${copies[0]!.status}, not READY`);
    else ready += 1;
  }
  for (const [id, n] of seen) {
    if (!expected.accepted.includes(id) && !unknown.has(id))
      problems.push(`goal ${id}: a highlight, never sent`);
    else if (unknown.has(id) && n > 1) problems.push(`goal ${id}: ${n} highlights`);
  }
  return { problems, ready };
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

/**
 * Waits for the pipeline to flush, then checks every match's metrics and goal highlights against the ground
 * truth: polls until all match, or until no total (nor READY count) has changed for `stableMs`, or `timeoutMs`
 * passed; the last comparison is the verdict.
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
    const matches = await mapLimit(expectations, options.concurrency ?? 8, async (expected) => {
      let actual: MatchMetrics | null;
      try {
        actual = await client.getJson<MatchMetrics>(
          `/api/matches/${encodeURIComponent(expected.matchId)}/metrics`,
        );
      } catch (err) {
        return {
          matchId: expected.matchId,
          pass: false,
          problems: [(err as Error).message],
          expected,
          actualTotal: null,
          actualGoals: null,
          actualPeak: null,
          readyGoals: 0,
        };
      }
      const compared = compareMetrics(expected, actual);
      const highlights = checkGoalHighlights(expected.goals, await matchHighlights(client, expected.matchId));
      return {
        ...compared,
        pass: compared.pass && highlights.problems.length === 0,
        problems: [...compared.problems, ...highlights.problems],
        readyGoals: highlights.ready,
        expected,
        actualTotal: actual?.totalEvents ?? null,
        actualGoals: actual?.goals ?? null,
        actualPeak:
          actual?.peakMatchMinute && actual.peakMinute
            ? `${actual.peakMatchMinute.minute}' (${actual.peakMatchMinute.eventCount}) · ` +
              `${actual.peakMinute.minute.slice(11, 16)} UTC (${actual.peakMinute.eventCount})`
            : null,
      };
    });
    const now = Date.now();
    const passing = matches.filter((m) => m.pass).length;
    options.onPoll?.({ passing, matches: matches.length, elapsedMs: now - started });
    const signature = matches.map((m) => `${m.actualTotal}/${m.readyGoals}`).join(',');
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
      'goal highlights READY',
      'peak match/UTC minute expected',
      'api peaks',
      'result',
    ],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left', 'left', 'left'],
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
      `${m.readyGoals}/${m.expected.goals.accepted.length}`,
      peak,
      m.actualPeak ?? '-',
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
