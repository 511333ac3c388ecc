import { Counter, Gauge, type Registry } from 'prom-client';

/** What the read side's gauges read when Prometheus scrapes. */
export interface ReadGaugeSources {
  streamClients: () => number;
  trackedMatches: () => number;
}

/** The read API's metrics; without a registry they count but are not exposed (tests, tools). */
export function createReadMetrics(registry: Registry | undefined, sources: ReadGaugeSources) {
  const registers = registry ? [registry] : [];
  new Gauge({
    name: 'read_stream_clients',
    help: 'Server-Sent Events streams open now',
    registers,
    collect() {
      this.set(sources.streamClients());
    },
  });
  new Gauge({
    name: 'read_tracked_matches',
    help: 'Matches whose change marker the shared poll keeps current',
    registers,
    collect() {
      this.set(sources.trackedMatches());
    },
  });
  return {
    cacheRequests: new Counter({
      name: 'read_cache_requests_total',
      help:
        'Read API answers by resource: hit = current answer from memory (per the change marker), stale = the ' +
        'previous answer (changed < 1 s ago) while the new one is computed, miss = computed for the request',
      labelNames: ['resource', 'result'] as const,
      registers,
    }),
    computations: new Counter({
      name: 'read_computations_total',
      help: 'Read answers computed in ClickHouse, by resource (once per match change however many readers wait)',
      labelNames: ['resource'] as const,
      registers,
    }),
  };
}
