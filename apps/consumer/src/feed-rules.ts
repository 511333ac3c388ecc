import { parseTimestampMs, type FeedRule, type StoredEvent } from '@pitchpulse/contract';
import {
  MatchMonitor,
  createAnomalyReporter,
  type AnomalyReporter,
  type MatchRuleOptions,
} from '@pitchpulse/feed-integrity';
import type { Logger, Registry } from '@pitchpulse/observability';

/**
 * The per-match feed-integrity rules as the consumer applies them to each decoded event, in partition order:
 * undefined when they are switched off. One monitor for the main and retry consumers, so a redelivery through the
 * retry topic is flagged like its first delivery. A failure of the rules flags nothing and is logged: the event is
 * stored as it came.
 */
export function feedRules(
  options: MatchRuleOptions | null,
  registry: Registry,
  logger: Logger,
): ((event: StoredEvent) => StoredEvent) | undefined {
  if (!options) return undefined;
  const monitor = new MatchMonitor(options);
  const reporter = createAnomalyReporter(registry, logger);
  return (event) => {
    try {
      return flagEvent(monitor, reporter, event);
    } catch (err) {
      logger.error({ err, matchId: event.matchId, eventId: event.eventId }, 'feed-integrity rules failed');
      return event;
    }
  };
}

/**
 * The match rules' flags joined to those the API wrote, counted and logged the first time an event is judged.
 * Returns `event` itself when nothing fired.
 */
export function flagEvent(monitor: MatchMonitor, reporter: AnomalyReporter, event: StoredEvent): StoredEvent {
  const verdict = monitor.judge(event, parseTimestampMs(event.timestamp) ?? event.receivedAt);
  if (verdict.rules.length === 0) return event;
  if (!verdict.repeated) {
    for (const rule of verdict.rules) reporter.report(rule, { matchId: event.matchId }, [event.eventId]);
  }
  const anomalies: FeedRule[] = [...(event.anomalies ?? [])];
  for (const rule of verdict.rules) if (!anomalies.includes(rule)) anomalies.push(rule);
  return { ...event, anomalies };
}
