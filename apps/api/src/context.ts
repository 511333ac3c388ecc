import type { RequestHandler } from 'express';
import type { AnomalyReporter, SourceMonitor } from '@pitchpulse/feed-integrity';
import type { ProduceMessage, SendOptions } from '@pitchpulse/kafka';
import type { Logger, Registry } from '@pitchpulse/observability';
import type { ApiBreakers } from './breakers';
import type { ApiConfig } from './config';
import type { HttpMetrics } from './http/http-metrics';
import type { Lifecycle } from './http/lifecycle';
import type { ResponseTimeWindow } from './ingest/response-times';

/** Where the ingest routes write accepted events: `GroupCommitProducer` in production. */
export interface EventProducer {
  send(messages: ProduceMessage[], options?: SendOptions): Promise<void>;
  /** Sends what waits for company at once (called when the API admits no more requests: none will join). */
  sendWaitingNow?(): void;
}

/** What /ready asks of each dependency: resolve when it is usable, reject with the reason when not. */
export interface DependencyChecks {
  kafka: () => Promise<unknown>;
  clickhouse: () => Promise<unknown>;
}

/** What every router gets from createApp. */
export interface AppContext {
  config: ApiConfig;
  logger: Logger;
  registry: Registry;
  /** Accepted events go here: the producer behind the produce breaker. */
  producer: EventProducer;
  /** The produce and read circuit breakers (/ready reports them). */
  breakers: ApiBreakers;
  /** The Kafka topic accepted events go to. */
  topic: string;
  lifecycle: Lifecycle;
  metrics: HttpMetrics;
  /** For /api write routes: load shedding, API key check, rate limit, composed into one middleware to put first. */
  guard: RequestHandler;
  /** The ingest routes' response times over a sliding window (the read API's responseTimePercentiles). */
  responseTimes: ResponseTimeWindow;
  /** The per-source feed-integrity rules (null when switched off) and where their flags are counted and logged. */
  sourceMonitor: SourceMonitor | null;
  anomalyReporter: AnomalyReporter;
  now: () => number;
}
