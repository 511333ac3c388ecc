import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The enricher's metrics, registered once on its registry. */
export function createEnricherMetrics(registry: Registry) {
  const registers = [registry];
  return {
    highlights: new Counter({
      name: 'highlights_total',
      help: 'Highlights this worker moved to a status: READY, FAILED, or PENDING again after a failed attempt',
      labelNames: ['status'] as const,
      registers,
    }),
    enrichSeconds: new Histogram({
      name: 'highlight_enrichment_seconds',
      help: 'Duration of one call of the enricher, successful or not',
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    enricherErrors: new Counter({
      name: 'highlight_enricher_errors_total',
      help: 'Enricher calls that threw or timed out',
      registers,
    }),
    passErrors: new Counter({
      name: 'highlight_enrich_pass_errors_total',
      help: 'Enrichment passes that failed (ClickHouse unreachable, an insert refused); the next pass retries',
      registers,
    }),
    backlog: new Gauge({
      name: 'highlights',
      help: 'Highlights per status, as of the last pass',
      labelNames: ['status'] as const,
      registers,
    }),
    oldestPendingSeconds: new Gauge({
      name: 'highlights_oldest_pending_seconds',
      help: 'Age of the oldest PENDING highlight (0 without any), as of the last pass',
      registers,
    }),
  };
}

export type EnricherMetrics = ReturnType<typeof createEnricherMetrics>;
