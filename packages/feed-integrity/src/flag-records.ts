import type { FeedRule, StoredEvent } from '@pitchpulse/contract';
import type { MatchMonitor } from './match-rules';
import type { AnomalyReporter } from './reporter';

/**
 * The consumer's step between decoding a message and storing it: the match rules' flags joined to those the API
 * wrote, counted and logged the first time an event is judged. Returns `event` itself when nothing fired.
 */
export function flagEvent(rules: MatchMonitor, reporter: AnomalyReporter, event: StoredEvent): StoredEvent {
  const verdict = rules.judge(event);
  if (verdict.rules.length === 0) return event;
  if (!verdict.repeated) {
    for (const rule of verdict.rules) reporter.report(rule, { matchId: event.matchId }, [event.eventId]);
  }
  const anomalies: FeedRule[] = [...(event.anomalies ?? [])];
  for (const rule of verdict.rules) if (!anomalies.includes(rule)) anomalies.push(rule);
  return { ...event, anomalies };
}
