import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import { bool, cleanEnv, host, num, str } from 'envalid';
import type { BreakerSettings } from '@pitchpulse/breaker';
import { CLICKHOUSE_SPEC, clickhouseOf, share, whole, type ClickHouseConnection } from '@pitchpulse/config';
import { COMPRESSIONS, type Compression } from '@pitchpulse/kafka';
import { sourceRulesFromEnv, type SourceRuleOptions } from '@pitchpulse/feed-integrity';

export interface ApiConfig {
  port: number;
  host: string;
  kafka: {
    brokers: string[];
    clientId: string;
    /** Where accepted events go (`match-events`). */
    eventsTopic: string;
    compression: Compression;
    lingerMs: number;
    maxBatchMessages: number;
    /** Messages waiting for Kafka at most; beyond it ingest answers 503 (load shedding). */
    maxQueuedMessages: number;
    /** A write not acknowledged by Kafka within this time is answered 503. */
    produceTimeoutMs: number;
  };
  clickhouse: ClickHouseConnection;
  /** Accepted `x-api-key` values; empty = the API is open. Never logged. */
  apiKeys: string[];
  /** Token bucket per API key (or client IP when the API is open); null = no rate limit. */
  rateLimit: { perSecond: number; burst: number } | null;
  /** Requests being handled at most; beyond it /api routes answer 503 (load shedding). */
  maxInFlight: number;
  maxBodyBytes: number;
  maxBatchBodyBytes: number;
  /** Declared body bytes of all requests in flight at most; beyond it /api routes answer 503 (memory bound). */
  maxInFlightBodyBytes: number;
  /** Node's server timeouts: a slow (or never-finishing) client is dropped after these. */
  timeouts: { headersMs: number; requestMs: number };
  /** Token bucket per client address for failed API-key checks (401/403); null = unlimited. */
  authFailureLimit: { perSecond: number; burst: number } | null;
  readyTimeoutMs: number;
  shutdown: { delayMs: number; timeoutMs: number };
  /** Fraction of successful requests logged at info (errors are always logged, throttled). */
  logSampleRate: number;
  /** express `trust proxy`: use X-Forwarded-For for the client IP (behind a load balancer). */
  trustProxy: boolean;
  /** The feed-integrity rules the API runs per source (FEED_*); null = FEED_INTEGRITY=false. */
  sourceRules: SourceRuleOptions | null;
  /** The circuit breakers of the produce path (Kafka) and of the read routes (ClickHouse), BREAKER_*. */
  breaker: BreakerSettings;
}

function atLeast(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be ≥ ${min}, got ${value}`);
}

/** Reads and validates the API's settings from the environment, once, at start-up. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = cleanEnv(
    env,
    {
      PORT: num({ default: 8080, desc: '0 = any free port' }),
      HOST: host({ default: '0.0.0.0' }),
      KAFKA_BROKERS: str({ desc: 'comma-separated host:port list' }),
      KAFKA_CLIENT_ID: str({ default: 'pitchpulse-api' }),
      KAFKA_TOPIC_EVENTS: str({ default: DEFAULT_TOPICS.events }),
      KAFKA_COMPRESSION: str<Compression>({
        default: 'none',
        choices: [...COMPRESSIONS],
        desc: 'record-batch codec of the ingest producer; every PitchPulse client reads all of them',
      }),
      PRODUCE_LINGER_MS: num({ default: 2, desc: 'group commit: wait this long for more events' }),
      PRODUCE_MAX_BATCH: num({ default: 1000, desc: 'group commit: send at once at this many events' }),
      PRODUCE_MAX_QUEUED: num({ default: 20_000, desc: 'events waiting for Kafka before 503' }),
      PRODUCE_TIMEOUT_MS: num({ default: 3000, desc: 'answer 503 if Kafka has not acknowledged by then' }),
      ...CLICKHOUSE_SPEC,
      API_KEYS: str({ default: '', desc: 'comma-separated accepted x-api-key values; empty = open' }),
      RATE_LIMIT_PER_SECOND: num({ default: 1000, desc: 'requests per second per key/IP; 0 = off' }),
      RATE_LIMIT_BURST: num({ default: 2000, desc: 'token bucket size per key/IP' }),
      MAX_IN_FLIGHT: num({ default: 2000, desc: 'concurrent requests before 503' }),
      MAX_BODY_BYTES: num({ default: 32 * 1024 }),
      MAX_BATCH_BODY_BYTES: num({ default: 5 * 1024 * 1024 }),
      MAX_IN_FLIGHT_BODY_BYTES: num({
        default: 128 * 1024 * 1024,
        desc: 'declared body bytes of all requests in flight before 503 (bounds memory; chunked bodies count at their route limit)',
      }),
      HEADERS_TIMEOUT_MS: num({ default: 10_000, desc: 'a client must send its request head within this' }),
      REQUEST_TIMEOUT_MS: num({ default: 30_000, desc: 'a client must send its whole request within this' }),
      AUTH_FAILURES_PER_MINUTE: num({
        default: 30,
        desc: 'wrong or missing API keys per address per minute before 429 (0 = off)',
      }),
      AUTH_FAILURES_BURST: num({ default: 20 }),
      READY_TIMEOUT_MS: num({ default: 1000, desc: 'each /ready dependency check, at most' }),
      SHUTDOWN_DELAY_MS: num({ default: 0, desc: 'after SIGTERM, keep serving (ready=503) this long' }),
      SHUTDOWN_TIMEOUT_MS: num({ default: 10_000, desc: 'longest wait for in-flight requests' }),
      LOG_SAMPLE_RATE: num({ default: 0.001, desc: 'fraction of successful requests logged' }),
      TRUST_PROXY: bool({ default: false }),
      BREAKER_FAILURE_SHARE: share({
        default: 0.5,
        desc: 'a breaker opens when more than this share of the calls in its window failed (1 = never)',
      }),
      BREAKER_WINDOW_MS: whole(1000)({
        // Successes from before an outage count in the window: a longer one opens later (docs/operations.md).
        default: 10_000,
        desc: 'the rolling window failures are counted over',
      }),
      BREAKER_MIN_REQUESTS: whole(1)({
        default: 10,
        desc: 'calls the window must hold before a breaker opens',
      }),
      BREAKER_OPEN_MS: whole(100)({
        default: 5000,
        desc: 'open this long, then one probe call is let through',
      }),
    },
    {
      reporter: ({ errors }) => {
        const lines = Object.entries(errors).map(([name, err]) => `  ${name}: ${(err as Error).message}`);
        if (lines.length > 0) throw new Error(`invalid api configuration:\n${lines.join('\n')}`);
      },
    },
  );
  if (!Number.isInteger(e.PORT) || e.PORT < 0 || e.PORT > 65535) {
    throw new Error(`PORT must be a port number (0 = any free port), got ${e.PORT}`);
  }
  atLeast('PRODUCE_LINGER_MS', e.PRODUCE_LINGER_MS, 0);
  for (const name of [
    'PRODUCE_MAX_BATCH',
    'PRODUCE_MAX_QUEUED',
    'PRODUCE_TIMEOUT_MS',
    'MAX_IN_FLIGHT',
    'MAX_BODY_BYTES',
    'MAX_BATCH_BODY_BYTES',
    'READY_TIMEOUT_MS',
    'MAX_IN_FLIGHT_BODY_BYTES',
    'HEADERS_TIMEOUT_MS',
    'REQUEST_TIMEOUT_MS',
  ] as const) {
    atLeast(name, e[name], 1);
  }
  for (const name of [
    'RATE_LIMIT_PER_SECOND',
    'AUTH_FAILURES_PER_MINUTE',
    'SHUTDOWN_DELAY_MS',
    'SHUTDOWN_TIMEOUT_MS',
  ] as const) {
    atLeast(name, e[name], 0);
  }
  if (!(e.LOG_SAMPLE_RATE >= 0 && e.LOG_SAMPLE_RATE <= 1)) {
    throw new Error(`LOG_SAMPLE_RATE must be between 0 and 1, got ${e.LOG_SAMPLE_RATE}`);
  }
  const brokers = e.KAFKA_BROKERS.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS must name at least one host:port');
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    throw new Error(
      `HEADERS_TIMEOUT_MS (${e.HEADERS_TIMEOUT_MS}) must not exceed REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS})`,
    );
  }
  if (e.MAX_IN_FLIGHT_BODY_BYTES < e.MAX_BATCH_BODY_BYTES) {
    throw new Error(
      `MAX_IN_FLIGHT_BODY_BYTES (${e.MAX_IN_FLIGHT_BODY_BYTES}) must be at least MAX_BATCH_BODY_BYTES (${e.MAX_BATCH_BODY_BYTES})`,
    );
  }
  const authLimited = e.AUTH_FAILURES_PER_MINUTE > 0;
  if (authLimited) atLeast('AUTH_FAILURES_BURST', e.AUTH_FAILURES_BURST, 1);
  const rateLimited = e.RATE_LIMIT_PER_SECOND > 0;
  if (rateLimited) atLeast('RATE_LIMIT_BURST', e.RATE_LIMIT_BURST, 1);
  return {
    port: e.PORT,
    host: e.HOST,
    kafka: {
      brokers,
      clientId: e.KAFKA_CLIENT_ID,
      eventsTopic: e.KAFKA_TOPIC_EVENTS,
      compression: e.KAFKA_COMPRESSION,
      lingerMs: e.PRODUCE_LINGER_MS,
      maxBatchMessages: e.PRODUCE_MAX_BATCH,
      maxQueuedMessages: e.PRODUCE_MAX_QUEUED,
      produceTimeoutMs: e.PRODUCE_TIMEOUT_MS,
    },
    clickhouse: clickhouseOf(e),
    apiKeys: e.API_KEYS.split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    rateLimit: rateLimited ? { perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST } : null,
    maxInFlight: e.MAX_IN_FLIGHT,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxBatchBodyBytes: e.MAX_BATCH_BODY_BYTES,
    maxInFlightBodyBytes: e.MAX_IN_FLIGHT_BODY_BYTES,
    timeouts: { headersMs: e.HEADERS_TIMEOUT_MS, requestMs: e.REQUEST_TIMEOUT_MS },
    authFailureLimit: authLimited
      ? { perSecond: e.AUTH_FAILURES_PER_MINUTE / 60, burst: e.AUTH_FAILURES_BURST }
      : null,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    shutdown: { delayMs: e.SHUTDOWN_DELAY_MS, timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    logSampleRate: e.LOG_SAMPLE_RATE,
    trustProxy: e.TRUST_PROXY,
    sourceRules: sourceRulesFromEnv(env),
    breaker: {
      failureShare: e.BREAKER_FAILURE_SHARE,
      windowMs: e.BREAKER_WINDOW_MS,
      minRequests: e.BREAKER_MIN_REQUESTS,
      openMs: e.BREAKER_OPEN_MS,
    },
  };
}
