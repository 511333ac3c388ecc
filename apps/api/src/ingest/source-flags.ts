import type { Request, Response } from 'express';
import { SOURCE_RULES, type MatchEvent, type SourceRule } from '@pitchpulse/contract';
import type { AnomalyReporter, SourceMonitor } from '@pitchpulse/feed-integrity';
import { clientAddress } from '../http/rate-limit';

/** Who sent a request, as the per-source rules see it: its API key's name and address (never the key itself). */
export function sourceOf(req: Request, res: Response): string {
  const client = res.locals.client as string | undefined;
  const address = clientAddress(req);
  return client ? `${client}@${address}` : address;
}

/** The per-source rules' flags of one request's events, judged before they are produced. */
export interface SourceFlags {
  /** per event (same order), the rules it is flagged with; undefined when none */
  of: Array<SourceRule[] | undefined>;
  /** once Kafka took the events: remember their ids, count and log the flags */
  accepted(): void;
}

const NONE: SourceFlags = { of: [], accepted: () => undefined };
// Shared by every flagged event of a request (nothing mutates them).
const VELOCITY: SourceRule[] = ['source-velocity'];
const STORM: SourceRule[] = ['duplicate-storm'];
const BOTH: SourceRule[] = ['source-velocity', 'duplicate-storm'];

export function judgeSource(
  monitor: SourceMonitor | null,
  reporter: AnomalyReporter,
  source: string,
  events: readonly MatchEvent[],
  nowMs: number,
): SourceFlags {
  if (!monitor) return NONE;
  const ids = events.map((e) => e.eventId);
  const verdict = monitor.judge(source, ids, nowMs);
  const of: Array<SourceRule[] | undefined> = new Array(events.length);
  if (verdict.velocity) of.fill(VELOCITY);
  for (const i of verdict.duplicateStorm) of[i] = verdict.velocity ? BOTH : STORM;
  return {
    of,
    accepted() {
      monitor.accepted(ids);
      if (!verdict.velocity && verdict.duplicateStorm.length === 0) return;
      for (const rule of SOURCE_RULES) reportByMatch(reporter, rule, source, events, of);
    },
  };
}

function reportByMatch(
  reporter: AnomalyReporter,
  rule: SourceRule,
  source: string,
  events: readonly MatchEvent[],
  of: ReadonlyArray<SourceRule[] | undefined>,
): void {
  const byMatch = new Map<string, string[]>();
  events.forEach((e, i) => {
    if (!of[i]?.includes(rule)) return;
    const flagged = byMatch.get(e.matchId);
    if (flagged) flagged.push(e.eventId);
    else byMatch.set(e.matchId, [e.eventId]);
  });
  for (const [matchId, flagged] of byMatch) reporter.report(rule, { matchId, source }, flagged);
}
