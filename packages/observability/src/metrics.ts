import { Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry };

/** A prom-client registry with the default process metrics (CPU, memory, event loop lag, GC) registered. */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The sum of a metric's samples in Prometheus text exposition, only those carrying every one of `labels` when
 * given (0 when there is none): for tests and benchmarks that read /metrics.
 */
export function sampleSum(text: string, name: string, labels: Record<string, string> = {}): number {
  return text
    .split('\n')
    .filter((line) => {
      const rest = line.startsWith(name) ? line.slice(name.length) : undefined;
      if (rest === undefined || !(rest.startsWith('{') || rest.startsWith(' '))) return false;
      return Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`));
    })
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
