import { Counter } from 'prom-client';
import { FEED_RULES, type FeedRule } from '@pitchpulse/contract';
import type { Logger, Registry } from '@pitchpulse/observability';
import { trimOldest } from './bounded';

export interface AnomalySink {
  /** `feed_anomalies_total{rule}` += n */
  count(rule: FeedRule, n: number): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Where an anomaly was seen: a match, and at the API the source (never the API key itself). */
export interface AnomalyPlace {
  matchId: string;
  source?: string;
}

const LOG_EVERY_MS = 60_000;
const MAX_LOGGED_KEYS = 10_000;

interface LogState {
  loggedAtMs: number;
  unlogged: number;
}

/**
 * Counts every flagged event and logs a warning per (rule, source, match): at the first flag, then at most once a
 * minute with the flags since, so a storm of flags is a few log lines, not one per event.
 */
export class AnomalyReporter {
  private readonly logged = new Map<string, LogState>();

  constructor(
    private readonly sink: AnomalySink,
    private readonly now: () => number = Date.now,
  ) {}

  report(rule: FeedRule, place: AnomalyPlace, eventIds: readonly string[]): void {
    if (eventIds.length === 0) return;
    this.sink.count(rule, eventIds.length);
    const key = `${rule}\u0000${place.source ?? ''}\u0000${place.matchId}`;
    const nowMs = this.now();
    const state = this.logged.get(key);
    if (state && nowMs - state.loggedAtMs < LOG_EVERY_MS) {
      state.unlogged += eventIds.length;
      return;
    }
    const heldBack = state?.unlogged ?? 0;
    const flagged = heldBack + eventIds.length;
    if (!state) trimOldest(this.logged, MAX_LOGGED_KEYS);
    this.logged.set(key, { loggedAtMs: nowMs, unlogged: 0 });
    const from = place.source ? ` from ${place.source}` : '';
    const since = heldBack > 0 ? ' since the last warning' : '';
    this.sink.warn(
      { rule, ...place, flagged, exampleEventId: eventIds[0] },
      `feed anomaly: ${rule} in match ${place.matchId}${from} (${flagged} event${flagged === 1 ? '' : 's'} flagged${since})`,
    );
  }
}

/** The reporter a process uses: `feed_anomalies_total{rule}` in `registry` (every rule from 0) and warn logs. */
export function createAnomalyReporter(registry: Registry, logger: Logger): AnomalyReporter {
  const counter = new Counter({
    name: 'feed_anomalies_total',
    help: 'Events flagged by a feed-integrity rule (stored and counted as usual), by rule',
    labelNames: ['rule'] as const,
    registers: [registry],
  });
  // Every rule's series from 0, so the first flag of a rule is an increase an alert sees.
  for (const rule of FEED_RULES) counter.inc({ rule }, 0);
  return new AnomalyReporter({
    count: (rule, n) => counter.inc({ rule }, n),
    warn: (fields, message) => logger.warn(fields, message),
  });
}
