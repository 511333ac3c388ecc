#!/usr/bin/env node
import type { AddressInfo } from 'node:net';
import { createLogger } from '@pitchpulse/observability';
import { startTracing, type Tracing } from '@pitchpulse/tracing';
import { startConsumer, StartAborted, type RunningConsumer } from './start';
import { parseConfig } from './config';

const HELP = `Usage: node apps/consumer/dist/main.js   (pitchpulse-consumer)

Moves match events from Kafka into ClickHouse: buffers up to FLUSH_MAX_EVENTS or FLUSH_INTERVAL_MS, inserts
once per flush, commits offsets only after the events are stored; transient failures go to the retry topic,
undecodable and exhausted events to the DLQ (inspect and replay with pitchpulse-dlq). Beside that, a maintenance
loop seals quiet matches and, with RETENTION_DAYS, drops raw events by month (docs/retention.md). SIGTERM drains.

Environment (defaults in brackets):
  KAFKA_BROKERS (required), CLICKHOUSE_URL (required), CLICKHOUSE_DATABASE [pitchpulse],
  CLICKHOUSE_USER [default], CLICKHOUSE_PASSWORD, KAFKA_TOPIC_EVENTS [match-events],
  KAFKA_TOPIC_RETRY [match-events.retry], KAFKA_TOPIC_DLQ [match-events.dlq],
  CONSUMER_GROUP [pitchpulse-consumer], RETRY_CONSUMER_GROUP [pitchpulse-retry], RETRY_ENABLED [true],
  FLUSH_MAX_EVENTS [1000], FLUSH_INTERVAL_MS [5000], INSERT_MAX_ATTEMPTS [4], INSERT_BACKOFF_BASE_MS [250],
  INSERT_BACKOFF_MAX_MS [5000], CLICKHOUSE_POLL_MS [1000], RETRY_MAX_ATTEMPTS [3], RETRY_BASE_DELAY_MS [5000],
  RETRY_MAX_DELAY_MS [300000], KAFKA_COMPRESSION [none] (codec of the retry and DLQ copies: none, gzip,
  snappy, lz4 or zstd; every codec is read), CLICKHOUSE_COMPRESSION [none] (gzip: compressed inserts),
  METRICS_PORT [9091] (/health, /ready, /metrics), STALL_TIMEOUT_MS [120000],
  KAFKA_SESSION_TIMEOUT_MS [10000], KAFKA_HEARTBEAT_INTERVAL_MS [1000], KAFKA_REBALANCE_TIMEOUT_MS [30000],
  STARTUP_RETRY_MAX_MS [5000] (ClickHouse or Kafka down at start: wait, not ready, and retry),
  SEAL_INTERVAL_MS [5000], SEAL_QUIET_MS [60000], SEAL_BATCH [50] (matches sealed per pass),
  RETENTION_DAYS [unset: keep raw events forever], RETENTION_INTERVAL_MS [3600000], LOG_LEVEL [info]
  (debug: one line per flush, naming the request ids of its events)
  Tracing (docs/operations.md#tracing): the standard OTEL_EXPORTER_OTLP_ENDPOINT,
  OTEL_EXPORTER_OTLP_PROTOCOL [http/protobuf; or http/json], OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER…; off without
  an endpoint
  Feed integrity (docs/feed-integrity.md; flags, never drops): FEED_INTEGRITY [true],
  FEED_MATCH_MAX_EVENTS_PER_MINUTE [200], FEED_GOAL_BURST_GOALS [4], FEED_GOAL_BURST_SECONDS [90],
  FEED_CLOCK_AHEAD_SECONDS [600], FEED_CLOCK_BEHIND_SECONDS [14400], FEED_LIVE_WINDOW_SECONDS [600],
  FEED_MAX_MATCHES [2000]`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const logger = createLogger('consumer');
  let config;
  let tracing: Tracing;
  try {
    config = parseConfig();
    tracing = startTracing('consumer', { log: logger });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  let stopping = false;
  const abortStart = new AbortController();
  let app: RunningConsumer | undefined;
  const drain = (running: RunningConsumer) =>
    running
      .stop()
      .then(() => tracing.shutdown())
      .then(
        () => {
          logger.info('consumer stopped cleanly');
          process.exit(0);
        },
        (err: Error) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!app) {
      logger.info({ signal }, 'stopping before start-up finished');
      abortStart.abort();
      return;
    }
    logger.info({ signal }, 'draining: flushing buffered events and committing');
    void drain(app);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    app = await startConsumer(config, logger, { signal: abortStart.signal });
  } catch (err) {
    if (err instanceof StartAborted) process.exit(0);
    throw err;
  }
  // A signal came while the last start-up step was finishing: drain now.
  if (stopping) return drain(app);
  const { port } = app.probeServer.address() as AddressInfo;
  logger.info(
    { topics: config.topics, flush: config.flush, metrics: `http://127.0.0.1:${port}/metrics` },
    'consumer started',
  );
}

main().catch((err: Error) => {
  console.error(`consumer failed to start: ${err.message}`);
  process.exit(1);
});
