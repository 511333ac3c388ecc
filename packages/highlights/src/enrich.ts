/**
 * One enrichment pass: the due highlights (oldest first), each given to the enricher with its match around it, the
 * outcomes written in one insert at the end. Due are the PENDING ones, and the READY ones of a match where a
 * retraction was stored since they were written (the running score in their title may count a disallowed goal):
 * those are enriched again under a higher version, and if that fails their title is dropped for the plain one,
 * with the error. A PENDING highlight whose enricher throws (or times out) is PENDING again with the error, not
 * before the backoff, until `maxAttempts`: then FAILED. A pass interrupted before its insert (a crash, SIGKILL)
 * writes nothing: its highlights are still due and the next pass, in this process or another, enriches them; a
 * highlight enriched twice has the same final version, one row once merged and one answer before.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  HIGHLIGHT_VERSIONS,
  dueHighlights,
  matchGoals,
  matchStarts,
  minuteOf,
  parseMetadata,
  recordHighlights,
  readyVersion,
  settle,
  upToDateReads,
  type ClickHouseCapabilities,
  type HighlightOutcome,
  type MatchGoal,
  type StoredHighlightRow,
} from '@pitchpulse/clickhouse';
import type { TeamId } from '@pitchpulse/contract';
import type { EnrichmentInput, HighlightEnricher } from './enricher';

export interface EnrichPolicy {
  /** highlights per pass */
  batch: number;
  /** attempts before FAILED */
  maxAttempts: number;
  /** delay before attempt n+1: min(max, base · 2^(n−1)) */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** an enrich call that takes longer counts as failed */
  timeoutMs: number;
}

export interface PassResult {
  outcomes: HighlightOutcome[];
}

export interface EnrichDeps {
  client: ClickHouseClient;
  caps: ClickHouseCapabilities;
  enricher: HighlightEnricher;
  policy: EnrichPolicy;
  now?: () => number;
  /** each enrich call's duration (s) and whether it succeeded */
  onAttempt?: (highlight: StoredHighlightRow, seconds: number, err?: unknown) => void;
}

export function retryDelay(
  attempts: number,
  policy: Pick<EnrichPolicy, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
}

/** The score after `h`: the match's goals up to it (a goal counts itself; ties in time by event id). */
function scoreAfter(h: StoredHighlightRow, goals: readonly MatchGoal[]): { '1': number; '2': number } {
  const score = { '1': 0, '2': 0 };
  for (const g of goals) {
    if (g.matchId !== h.matchId) continue;
    const upTo = g.timeMs < h.timeMs || (g.timeMs === h.timeMs && g.eventId <= h.highlightId);
    if (upTo && (g.teamId === 1 || g.teamId === 2)) score[String(g.teamId) as '1' | '2'] += 1;
  }
  return score;
}

export function enrichmentInput(
  h: StoredHighlightRow,
  goals: readonly MatchGoal[],
  matchStartMs: number,
): EnrichmentInput {
  const metadata = parseMetadata(h.metadata);
  const scorer =
    typeof metadata.scorer === 'string' && metadata.scorer.trim() !== '' ? metadata.scorer : null;
  const minuteStart = (ms: number) => Math.floor(ms / 60_000) * 60;
  return {
    highlightId: h.highlightId,
    matchId: h.matchId,
    eventType: h.eventType,
    teamId: h.teamId as TeamId,
    player: scorer ?? (h.playerId === '' ? null : h.playerId),
    minute: minuteOf(h.feedMinute, minuteStart(h.timeMs), minuteStart(matchStartMs)),
    score: scoreAfter(h, goals),
    metadata,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the enricher took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 1000);

async function attempt(
  h: StoredHighlightRow,
  input: EnrichmentInput,
  d: EnrichDeps,
): Promise<HighlightOutcome> {
  const now = d.now ?? Date.now;
  const started = now();
  try {
    const { title, summary } = await withTimeout(d.enricher.enrich(input), d.policy.timeoutMs);
    d.onAttempt?.(h, (now() - started) / 1000);
    const version = readyVersion(h.retractionRows);
    return { highlight: h, status: 'READY', title, summary, attempts: h.attempts, version };
  } catch (err) {
    d.onAttempt?.(h, (now() - started) / 1000, err);
    if (h.status === 'READY') {
      // A revision (dueHighlights): the old title may count a disallowed goal, so drop it (the API shows the plain
      // title) rather than keep it.
      const error = `could not revise it after a retraction: ${messageOf(err)}`;
      return {
        highlight: h,
        status: 'READY',
        title: '',
        summary: '',
        error,
        attempts: h.attempts,
        version: readyVersion(h.retractionRows),
      };
    }
    const attempts = h.attempts + 1;
    const error = messageOf(err);
    if (attempts >= d.policy.maxAttempts) {
      return { highlight: h, status: 'FAILED', error, attempts, version: HIGHLIGHT_VERSIONS.final };
    }
    const nextAttemptMs = now() + retryDelay(attempts, d.policy);
    return { highlight: h, status: 'PENDING', error, attempts, nextAttemptMs, version: attempts };
  }
}

/** One pass over the due highlights; stops between two highlights when `signal` aborts (writing what it has). */
export async function enrichDue(d: EnrichDeps, signal?: AbortSignal): Promise<PassResult> {
  const now = d.now ?? Date.now;
  const due = await dueHighlights(d.client, d.caps, { nowMs: now(), limit: d.policy.batch });
  if (due.length === 0) return { outcomes: [] };
  const matchIds = [...new Set(due.map((h) => h.matchId))];
  // A title is kept: on a cluster, read the goals stored with or before these highlights from no lagging replica.
  await settle(d.client, signal);
  if (signal?.aborted) return { outcomes: [] };
  const reads = upToDateReads(d.client);
  const [goals, starts] = await Promise.all([
    matchGoals(d.client, d.caps, matchIds, reads),
    matchStarts(d.client, d.caps, matchIds, reads),
  ]);
  const outcomes: HighlightOutcome[] = [];
  for (const h of due) {
    if (signal?.aborted) break;
    outcomes.push(await attempt(h, enrichmentInput(h, goals, starts.get(h.matchId) ?? h.timeMs), d));
  }
  await recordHighlights(d.client, outcomes, new Date(now()));
  return { outcomes };
}
