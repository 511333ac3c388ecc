import express, { type Express } from 'express';
import { buildOpenApi } from '@pitchpulse/contract';
import { SourceMonitor, createAnomalyReporter } from '@pitchpulse/feed-integrity';
import type { Logger, Registry } from '@pitchpulse/observability';
import { createApiBreakers, guardProducer, guardStore, type ApiBreakers } from './breakers';
import type { ApiConfig } from './config';
import type { AppContext, DependencyChecks, EventProducer } from './context';
import { apiKeyAuth } from './http/auth';
import { compose } from './http/compose';
import { createDashboardRouter } from './http/dashboard';
import { createDocsRouter } from './http/docs';
import { createHeadShedder } from './http/early-shed';
import { createHttpMetrics } from './http/http-metrics';
import { Lifecycle } from './http/lifecycle';
import { observeRequests } from './http/observe';
import { createProbeRouter } from './http/probes';
import { notFoundHandler, problemHandler } from './http/problem';
import { TokenBucketLimiter, rateLimit } from './http/rate-limit';
import { createRequestLog } from './http/request-log';
import { ResponseTimeWindow, recordIngestResponseTimes } from './ingest/response-times';
import { INGEST_PATHS, createIngestRouter } from './ingest/router';
import { createReadRouter } from './read/router';
import { ReadService, type ReadOptions } from './read/service';
import { createHighlightsRouter } from './read/highlights-router';
import { createStatsRouter } from './read/stats-router';

export interface AppDeps {
  config: ApiConfig;
  logger: Logger;
  /** prom-client registry served at /metrics (see @pitchpulse/observability createRegistry). */
  registry: Registry;
  /** Where accepted events go; `GroupCommitProducer` in production. */
  producer: EventProducer;
  /** What /ready asks Kafka and ClickHouse (only Kafka, an open produce breaker and draining make it not ready). */
  checks: DependencyChecks;
  /** The read API (`/api/matches…`) over this store; without it only ingest, probes and docs are served. */
  read?: ReadOptions;
  /**
   * In-flight tracking and the draining flag, shared with the server for the graceful drain; made here when
   * omitted (reachable as `app.locals.lifecycle`).
   */
  lifecycle?: Lifecycle;
  /**
   * The circuit breakers the producer and the read store are called through; made here from `config.breaker`
   * when omitted. Their owner closes them (startApi does).
   */
  breakers?: ApiBreakers;
  now?: () => number;
}

/**
 * Builds the express app from injected dependencies: no sockets opened, nothing read from the environment. The
 * read service, when there is one, is `app.locals.read`: its owner starts nothing, but must `close()` it.
 */
export function createApp(deps: AppDeps): Express {
  const { config, logger, registry } = deps;
  const lifecycle = deps.lifecycle ?? Lifecycle.forConfig(config);
  const responseTimes = new ResponseTimeWindow();
  const metrics = recordIngestResponseTimes(createHttpMetrics(registry, lifecycle), responseTimes);
  const authFailures = config.authFailureLimit ? new TokenBucketLimiter(config.authFailureLimit) : undefined;
  const auth = apiKeyAuth(config.apiKeys, authFailures);
  const limiter = config.rateLimit ? new TokenBucketLimiter(config.rateLimit) : undefined;
  const guard = compose([lifecycle.shed, ...(auth ? [auth] : []), ...(limiter ? [rateLimit(limiter)] : [])]);
  const breakers = deps.breakers ?? createApiBreakers(config.breaker, logger, registry);
  const context: AppContext = {
    config,
    logger,
    registry,
    producer: guardProducer(deps.producer, breakers.produce),
    breakers,
    topic: config.kafka.eventsTopic,
    lifecycle,
    metrics,
    guard,
    responseTimes,
    sourceMonitor: config.sourceRules ? new SourceMonitor(config.sourceRules) : null,
    anomalyReporter: createAnomalyReporter(registry, logger),
    now: deps.now ?? Date.now,
  };
  lifecycle.onFull(() => context.producer.sendWaitingNow?.());
  const read =
    deps.read &&
    new ReadService({
      ...deps.read,
      store: guardStore(deps.read.store, breakers.read),
      logger,
      registry,
      responseTimes,
      streamOpened: (res) => lifecycle.detach(res),
    });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  const log = createRequestLog(logger, { sampleRate: config.logSampleRate });
  app.use(observeRequests(lifecycle, metrics, log));
  app.use(createIngestRouter(context));
  if (read) app.use(createReadRouter(context, read));
  if (read) app.use(createStatsRouter(context, read.stats));
  if (read) app.use(createHighlightsRouter(context, read));
  app.use(createProbeRouter(context, deps.checks));
  app.use(createDocsRouter(buildOpenApi({ apiKeys: auth !== undefined })));
  app.use(createDashboardRouter());
  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  app.locals.lifecycle = lifecycle;
  app.locals.shedOnHead = createHeadShedder({ lifecycle, metrics, log, paths: INGEST_PATHS });
  app.locals.read = read;
  if (read) read.start();
  return app;
}

/** The read service createApp made (see AppDeps.read), to close when the app stops. */
export function readServiceOf(app: Express): ReadService | undefined {
  return app.locals.read as ReadService | undefined;
}
