import type { RequestHandler, Router } from 'express';
import type { ProduceMessage } from '@pitchpulse/kafka';
import type { Logger, Registry } from '@pitchpulse/observability';
import type { ApiConfig } from './config';
import type { HttpMetrics } from './http/http-metrics';
import type { Lifecycle } from './http/lifecycle';
import type { ResponseTimeWindow } from './ingest/response-times';

/** Where accepted events are written: `GroupCommitProducer` in production. */
export interface EventSink {
  send(messages: ProduceMessage[]): Promise<void>;
}

/** One dependency /ready checks; `check` rejects (or resolves false) when it is not usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

/** A piece of OpenAPI a router contributes to /openapi.json. */
export interface OpenApiFragment {
  paths?: Record<string, unknown>;
  schemas?: Record<string, unknown>;
  tags?: Array<{ name: string; description?: string }>;
}

/** What every router gets from createApp. */
export interface AppContext {
  config: ApiConfig;
  logger: Logger;
  registry: Registry;
  producer: EventSink;
  /** The Kafka topic accepted events go to. */
  topic: string;
  lifecycle: Lifecycle;
  metrics: HttpMetrics;
  /** For /api routes: load shedding, API key check, rate limit, composed into one middleware to put first. */
  guard: RequestHandler;
  /** The ingest routes' response times over a sliding window (the read API's responseTimePercentiles). */
  responseTimes: ResponseTimeWindow;
  now: () => number;
}

/** Adds routes (e.g. the read API) to the app: the router is mounted at the root with full paths. */
export interface ApiExtension {
  router: (ctx: AppContext) => Router;
  openapi?: OpenApiFragment;
}
