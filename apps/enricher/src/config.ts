import { CLICKHOUSE_SPEC, clickhouseOf, portOrZero, reporter, whole } from '@pitchpulse/config';
import { EVENT_TYPES, HIGHLIGHT_TYPES } from '@pitchpulse/contract';
import { cleanEnv, makeValidator, str } from 'envalid';

/** A comma-separated list of the contract's event types. */
const eventTypes = makeValidator<string[]>((input) => {
  const types = input
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (types.length === 0 || unknown.length > 0) {
    throw new Error(
      `must list event types separated by commas (${EVENT_TYPES.join(', ')})` +
        (unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''),
    );
  }
  return [...new Set(types)];
});

/** Enricher settings, read and validated once at start-up. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = cleanEnv(
    env,
    {
      ...CLICKHOUSE_SPEC,
      HIGHLIGHT_TYPES: eventTypes({
        default: [...HIGHLIGHT_TYPES],
        desc: 'event types that become highlights',
      }),
      HIGHLIGHT_ENRICHER: str({
        default: '',
        desc: 'a module exporting `enricher` (a HighlightEnricher); empty: the default deterministic one',
      }),
      ENRICH_INTERVAL_MS: whole(10)({ default: 1000, desc: 'pause between passes that found nothing to do' }),
      ENRICH_BATCH: whole(1, 10_000)({ default: 50, desc: 'highlights per pass' }),
      ENRICH_MAX_ATTEMPTS: whole(1, 1000)({ default: 5, desc: 'attempts before a highlight is FAILED' }),
      ENRICH_BACKOFF_BASE_MS: whole(1)({
        default: 1000,
        desc: 'delay before the 2nd attempt; doubles after',
      }),
      ENRICH_BACKOFF_MAX_MS: whole(1)({ default: 60_000 }),
      ENRICH_TIMEOUT_MS: whole(1)({ default: 10_000, desc: 'an enrich call that takes longer has failed' }),
      METRICS_PORT: portOrZero({
        default: 9092,
        desc: 'serves /health, /ready, /metrics (0: any free port)',
      }),
      STALL_TIMEOUT_MS: whole(1000)({
        default: 120_000,
        desc: 'liveness fails when a pass runs longer than this',
      }),
    },
    { reporter: reporter('enricher') },
  );
  if (e.ENRICH_BACKOFF_MAX_MS < e.ENRICH_BACKOFF_BASE_MS) {
    throw new Error(
      'invalid enricher configuration:\n  ENRICH_BACKOFF_MAX_MS: must be ≥ ENRICH_BACKOFF_BASE_MS',
    );
  }
  return {
    clickhouse: clickhouseOf(e),
    highlightTypes: e.HIGHLIGHT_TYPES,
    enricherModule: e.HIGHLIGHT_ENRICHER || undefined,
    intervalMs: e.ENRICH_INTERVAL_MS,
    policy: {
      batch: e.ENRICH_BATCH,
      maxAttempts: e.ENRICH_MAX_ATTEMPTS,
      backoffBaseMs: e.ENRICH_BACKOFF_BASE_MS,
      backoffMaxMs: e.ENRICH_BACKOFF_MAX_MS,
      timeoutMs: e.ENRICH_TIMEOUT_MS,
    },
    metricsPort: e.METRICS_PORT,
    stallTimeoutMs: e.STALL_TIMEOUT_MS,
  };
}

export type EnricherConfig = ReturnType<typeof parseConfig>;
