import type { Request, Response } from 'express';
import type { MatchEvent, SourceRule } from '@pitchpulse/contract';
import type { AnomalyReporter, SourceMonitor } from '@pitchpulse/feed-integrity';

/** Who sent a request, as the per-source rules see it: its API key's name and address (never the key itself). */
export function sourceOf(req: Request, res: Response): string {
  const client = res.locals.client as string | undefined;
  const address = req.ip ?? 'unknown';
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

export function judgeSource(
  rules: SourceMonitor | null,
  reporter: AnomalyReporter,
  source: string,
  events: readonly MatchEvent[],
  nowMs: number,
): SourceFlags {
  if (!rules) return NONE;
  const ids = events.map((e) => e.eventId);
  const verdict = rules.judge(source, ids, nowMs);
  const of: Array<SourceRule[] | undefined> = new Array(events.length);
  if (verdict.velocity) for (let i = 0; i < events.length; i++) of[i] = ['source-velocity'];
  for (const i of verdict.duplicateStorm) (of[i] ??= []).push('duplicate-storm');
  return {
    of,
    accepted() {
      rules.accepted(ids);
      if (!verdict.velocity && verdict.duplicateStorm.length === 0) return;
      for (const rule of ['source-velocity', 'duplicate-storm'] as const) {
        const byMatch = new Map<string, string[]>();
        events.forEach((e, i) => {
          if (of[i]?.includes(rule)) byMatch.set(e.matchId, [...(byMatch.get(e.matchId) ?? []), e.eventId]);
        });
        for (const [matchId, flagged] of byMatch) reporter.report(rule, { matchId, source }, flagged);
      }
    },
  };
}
