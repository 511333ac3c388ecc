import { Registry, collectDefaultMetrics } from 'prom-client';

export type { Registry };

/** A prom-client registry with the default process metrics (CPU, memory, event loop lag, GC) registered. */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
