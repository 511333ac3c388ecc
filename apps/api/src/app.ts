import express, { type Express } from 'express';
import type { Logger, Registry } from '@pitchpulse/observability';
import { apiKeyAuth } from './http/auth';
import { compose } from './http/compose';
import type { ApiConfig } from './config';
import type { ApiExtension, AppContext, EventSink, ReadinessCheck } from './context';
import { createHttpMetrics } from './http/http-metrics';
import { Lifecycle } from './http/lifecycle';
import { buildOpenApi } from './openapi';
import { notFoundHandler, problemHandler } from './http/problem';
import { observeRequests } from './http/observe';
import { ResponseTimeWindow, recordIngestResponseTimes } from './ingest/response-times';
import { TokenBucketLimiter, rateLimit } from './http/rate-limit';
import { createRequestLog } from './http/request-log';
import { createDashboardRouter } from './http/dashboard';
import { createDocsRouter } from './http/docs';
import { createIngestRouter } from './ingest/router';
import { createProbeRouter } from './http/probes';

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  /** prom-client registry served at /metrics (see @pitchpulse/observability createRegistry). */
  registry: Registry;
  /** Where accepted events go; `GroupCommitProducer` in production. */
  producer: EventSink;
  /** What /ready checks besides "not draining" (Kafka, ClickHouse). */
  readiness?: ReadinessCheck[];
  /**
   * In-flight tracking and the draining flag, shared with the server for the graceful drain; made here when
   * omitted (reachable as `app.locals.lifecycle`).
   */
  lifecycle?: Lifecycle;
  /** More routes (e.g. the read API), mounted after the ingest routes; `ctx.guard` is theirs to use too. */
  extensions?: ApiExtension[];
  now?: () => number;
}

/** Builds the express app from injected dependencies: no sockets opened, nothing read from the environment. */
export function createApp(deps: AppDeps): Express {
  const { config, logger, registry } = deps;
  const lifecycle = deps.lifecycle ?? Lifecycle.forConfig(config);
  const responseTimes = new ResponseTimeWindow();
  const metrics = recordIngestResponseTimes(createHttpMetrics(registry, lifecycle), responseTimes);
  const authFailures = config.authFailureLimit ? new TokenBucketLimiter(config.authFailureLimit) : undefined;
  const auth = apiKeyAuth(config.apiKeys, authFailures);
  const limiter = config.rateLimit ? new TokenBucketLimiter(config.rateLimit) : undefined;
  const guard = compose([lifecycle.shed, ...(auth ? [auth] : []), ...(limiter ? [rateLimit(limiter)] : [])]);
  const context: AppContext = {
    config,
    logger,
    registry,
    producer: deps.producer,
    topic: config.kafka.eventsTopic,
    lifecycle,
    metrics,
    guard,
    responseTimes,
    now: deps.now ?? Date.now,
  };
  const extensions = deps.extensions ?? [];

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(
    observeRequests(lifecycle, metrics, createRequestLog(logger, { sampleRate: config.logSampleRate })),
  );
  app.use(createIngestRouter(context));
  for (const extension of extensions) app.use(extension.router(context));
  app.use(createProbeRouter(context, deps.readiness ?? []));
  app.use(
    createDocsRouter(
      buildOpenApi({ apiKeys: auth !== undefined, extensions: extensions.flatMap((e) => e.openapi ?? []) }),
    ),
  );
  app.use(createDashboardRouter());
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  app.locals.lifecycle = lifecycle;
  return app;
}
