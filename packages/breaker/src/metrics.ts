import { Counter, Gauge, type Registry } from 'prom-client';

/** What `circuit_breaker_state` reads for each state. */
export const STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

export interface BreakerMetrics {
  state: Gauge<'breaker'>;
  transitions: Counter<'breaker' | 'to'>;
  rejected: Counter<'breaker'>;
}

const definitions = {
  state: {
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state by breaker: 0 closed, 1 half-open (one probe call let through), 2 open (calls fail fast)',
    labelNames: ['breaker'] as const,
  },
  transitions: {
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes by breaker and the state entered (open, half_open, closed)',
    labelNames: ['breaker', 'to'] as const,
  },
  rejected: {
    name: 'circuit_breaker_rejected_calls_total',
    help: 'Calls answered at once by an open (or probing) circuit breaker, without calling the dependency',
    labelNames: ['breaker'] as const,
  },
};

function shared<T>(registry: Registry | undefined, name: string, make: (registers: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name) as T | undefined;
  return existing ?? make(registry ? [registry] : []);
}

/** One set per registry, shared by every breaker of the process (told apart by the `breaker` label). */
export function breakerMetrics(registry: Registry | undefined): BreakerMetrics {
  return {
    state: shared(
      registry,
      definitions.state.name,
      (registers) => new Gauge({ ...definitions.state, registers }),
    ),
    transitions: shared(
      registry,
      definitions.transitions.name,
      (registers) => new Counter({ ...definitions.transitions, registers }),
    ),
    rejected: shared(
      registry,
      definitions.rejected.name,
      (registers) => new Counter({ ...definitions.rejected, registers }),
    ),
  };
}
