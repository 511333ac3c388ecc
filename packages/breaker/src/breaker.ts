import Opossum from 'opossum';
import type { Logger, Registry } from '@pitchpulse/observability';
import { STATE_VALUES, breakerMetrics, type BreakerMetrics } from './metrics';

export type BreakerState = keyof typeof STATE_VALUES;
export const BREAKER_STATES = Object.keys(STATE_VALUES) as BreakerState[];

/** When a breaker opens and for how long: the same settings serve every breaker of a process. */
export interface BreakerSettings {
  /** Opens when more than this share (0–1] of the calls in the window failed (1: never opens). */
  failureShare: number;
  /** The rolling window the share is counted over (ms). */
  windowMs: number;
  /** Calls the window must hold before the share can open the breaker. */
  minRequests: number;
  /** How long it stays open before one probe call is let through (ms). */
  openMs: number;
}

export interface BreakerOptions extends BreakerSettings {
  /** The `breaker` label and log field, e.g. `kafka-produce`. */
  name: string;
  /** Whether an error means the dependency is down; others (user errors, local backpressure) are not counted. */
  isOutage: (err: unknown) => boolean;
  logger: Logger;
  registry?: Registry;
  now?: () => number;
}

/** A call refused at once: the breaker is open (or its one probe call is in flight). */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  constructor(
    readonly breaker: string,
    /** Time until a call may be let through again (at least 1 s while a probe is in flight). */
    readonly retryAfterMs: number,
  ) {
    super(`circuit breaker ${breaker} is open: the dependency failed repeatedly; not called`);
  }
}

/** Opossum's rolling window has at least this many buckets (one per second up to this). */
const MAX_BUCKETS = 10;

/**
 * A circuit breaker over opossum: closed, it counts outage failures in a rolling window; when more than
 * `failureShare` of at least `minRequests` calls failed it opens and every call fails at once with
 * BreakerOpenError; after `openMs` it lets one probe call through (half-open), which closes it on success or
 * opens it again on failure. Transitions are logged and counted; the state is a gauge.
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly circuit: Opossum<[() => Promise<unknown>], unknown>;
  private readonly metrics: BreakerMetrics;
  private readonly now: () => number;
  private readonly openMs: number;
  private openedAt = 0;

  constructor(options: BreakerOptions) {
    this.name = options.name;
    this.now = options.now ?? Date.now;
    this.openMs = options.openMs;
    this.metrics = breakerMetrics(options.registry);
    this.circuit = new Opossum((call: () => Promise<unknown>) => call(), {
      timeout: false, // the callers bound their own calls (produce timeout, query timeout)
      errorThresholdPercentage: options.failureShare * 100,
      rollingCountTimeout: options.windowMs,
      rollingCountBuckets: Math.max(1, Math.min(MAX_BUCKETS, Math.floor(options.windowMs / 1000))),
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      volumeThreshold: options.minRequests,
      resetTimeout: options.openMs,
      errorFilter: (err: unknown) => !options.isOutage(err),
    });
    this.metrics.state.set({ breaker: this.name }, STATE_VALUES.closed);
    this.observeTransitions(options.logger);
  }

  get state(): BreakerState {
    if (this.circuit.opened) return 'open';
    return this.circuit.halfOpen ? 'half_open' : 'closed';
  }

  /** Time until the next probe call is let through: 0 while closed. */
  retryAfterMs(): number {
    if (this.circuit.closed) return 0;
    if (this.circuit.halfOpen) return 1000; // the probe is in flight: its outcome decides
    return Math.max(1000, this.openedAt + this.openMs - this.now());
  }

  /** Runs `call` unless the breaker is open; its outcome (an outage failure or not) is counted. */
  run<T>(call: () => Promise<T>): Promise<T> {
    // Refused here rather than by opossum: its refusals would count as calls in the window and dilute the share.
    if (this.circuit.opened || (this.circuit.halfOpen && !this.circuit.pendingClose)) {
      this.metrics.rejected.inc({ breaker: this.name });
      return Promise.reject(new BreakerOpenError(this.name, this.retryAfterMs()));
    }
    return this.circuit.fire(call) as Promise<T>;
  }

  /** Stops the breaker's timers; calls afterwards fail. */
  close(): void {
    this.circuit.shutdown();
  }

  private observeTransitions(logger: Logger): void {
    const log = logger.child({ breaker: this.name });
    const entered = (state: BreakerState) => {
      this.metrics.state.set({ breaker: this.name }, STATE_VALUES[state]);
      this.metrics.transitions.inc({ breaker: this.name, to: state });
    };
    this.circuit.on('open', () => {
      this.openedAt = this.now();
      entered('open');
      const { fires, failures } = this.circuit.stats;
      log.warn(
        { failures, calls: fires, probeInMs: this.openMs },
        'circuit breaker opened: calls fail fast until a probe call succeeds',
      );
    });
    this.circuit.on('halfOpen', () => {
      entered('half_open');
      log.info('circuit breaker half-open: the next call is a probe');
    });
    this.circuit.on('close', () => {
      entered('closed');
      log.info('circuit breaker closed: the dependency answers again');
    });
  }
}
