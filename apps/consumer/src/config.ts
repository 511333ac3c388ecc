import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import { CLICKHOUSE_SPEC, clickhouseOf, portOrZero, reporter, whole } from '@pitchpulse/config';
import { CLICKHOUSE_COMPRESSIONS } from '@pitchpulse/clickhouse';
import { COMPRESSIONS, type Compression } from '@pitchpulse/kafka';
import { bool, cleanEnv, num, str } from 'envalid';
import { matchRulesFromEnv } from '@pitchpulse/feed-integrity';
import { DEFAULT_GROUP_TIMING } from './batch-consumer';

const positive = (name: string, value: number): number => {
  if (!(value > 0)) throw new Error(`${name} must be greater than 0, got ${value}`);
  return value;
};

const DAY_MS = 86_400_000;
const milliseconds = whole(1);
const atLeastASecond = whole(1000);
const quietMs = whole(0, 365 * DAY_MS);
const sealBatch = whole(1, 10_000);
const days = whole(1, 100_000);

/** The ClickHouse settings alone (CLICKHOUSE_URL, _DATABASE, _USER, _PASSWORD): for the backfill CLI. */
export function parseClickHouseConfig(env: NodeJS.ProcessEnv = process.env) {
  return clickhouseOf(cleanEnv(env, CLICKHOUSE_SPEC, { reporter: reporter('ClickHouse') }));
}

/** Consumer settings, read and validated once at start-up. Defaults suit the embedded stack. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = cleanEnv(
    env,
    {
      KAFKA_BROKERS: str({ desc: 'comma-separated host:port list' }),
      ...CLICKHOUSE_SPEC,
      CLICKHOUSE_COMPRESSION: str({
        default: 'none',
        choices: [...CLICKHOUSE_COMPRESSIONS],
        desc: 'gzip: insert bodies sent compressed (Content-Encoding: gzip)',
      }),
      KAFKA_COMPRESSION: str<Compression>({
        default: 'none',
        choices: [...COMPRESSIONS],
        desc: 'record-batch codec of the retry and dead-letter copies (the consumer reads every codec)',
      }),
      KAFKA_TOPIC_EVENTS: str({ default: DEFAULT_TOPICS.events }),
      KAFKA_TOPIC_RETRY: str({ default: DEFAULT_TOPICS.retry }),
      KAFKA_TOPIC_DLQ: str({ default: DEFAULT_TOPICS.dlq }),
      CONSUMER_GROUP: str({ default: 'pitchpulse-consumer' }),
      RETRY_CONSUMER_GROUP: str({ default: 'pitchpulse-retry' }),
      FLUSH_MAX_EVENTS: num({ default: 1000, desc: 'flush when this many events are buffered' }),
      FLUSH_INTERVAL_MS: num({ default: 5000, desc: 'flush when the oldest buffered event is this old' }),
      INSERT_MAX_ATTEMPTS: num({ default: 4, desc: 'in-place attempts for transient ClickHouse errors' }),
      INSERT_BACKOFF_BASE_MS: num({ default: 250 }),
      INSERT_BACKOFF_MAX_MS: num({ default: 5000 }),
      CLICKHOUSE_POLL_MS: num({ default: 1000, desc: 'how often to re-check ClickHouse while it is down' }),
      RETRY_MAX_ATTEMPTS: num({ default: 3, desc: 'retry-topic rounds before an event goes to the DLQ' }),
      RETRY_BASE_DELAY_MS: num({ default: 5000, desc: 'first retry delay; ×4 per further attempt' }),
      RETRY_MAX_DELAY_MS: num({ default: 300_000 }),
      RETRY_ENABLED: bool({ default: true, desc: 'run the retry-topic consumer in this process' }),
      METRICS_PORT: portOrZero({
        default: 9091,
        desc: 'serves /health, /ready, /metrics (0: any free port)',
      }),
      STALL_TIMEOUT_MS: num({ default: 120_000, desc: 'liveness fails when a flush runs longer than this' }),
      KAFKA_SESSION_TIMEOUT_MS: num({
        default: DEFAULT_GROUP_TIMING.sessionTimeoutMs,
        desc: 'a consumer that stops heartbeating leaves the group after this long',
      }),
      KAFKA_HEARTBEAT_INTERVAL_MS: num({
        default: DEFAULT_GROUP_TIMING.heartbeatIntervalMs,
        desc: 'at most a third of the session timeout',
      }),
      KAFKA_REBALANCE_TIMEOUT_MS: num({
        default: DEFAULT_GROUP_TIMING.rebalanceTimeoutMs,
        desc: 'how long members get to rejoin a rebalance',
      }),
      STARTUP_RETRY_MAX_MS: num({
        default: 5000,
        desc: 'longest back-off between start-up attempts while ClickHouse or Kafka is unreachable',
      }),
      SEAL_INTERVAL_MS: milliseconds({ default: 5000, desc: 'pause between two passes of the sealer' }),
      SEAL_QUIET_MS: quietMs({
        default: 60_000,
        desc: 'a match is sealed once it has had no insert for this long (live matches read their raw rows)',
      }),
      SEAL_BATCH: sealBatch({ default: 50, desc: 'most matches sealed per pass' }),
      RETENTION_DAYS: days({
        default: undefined,
        desc: 'drop raw events (whole months) older than this many days; unset: keep them forever',
      }),
      RETENTION_INTERVAL_MS: atLeastASecond({
        default: 3_600_000,
        desc: 'how often retention runs (also once shortly after start)',
      }),
    },
    { reporter: reporter('consumer') },
  );
  for (const name of [
    'FLUSH_MAX_EVENTS',
    'FLUSH_INTERVAL_MS',
    'INSERT_MAX_ATTEMPTS',
    'RETRY_MAX_ATTEMPTS',
    'RETRY_BASE_DELAY_MS',
    'KAFKA_SESSION_TIMEOUT_MS',
    'KAFKA_HEARTBEAT_INTERVAL_MS',
    'KAFKA_REBALANCE_TIMEOUT_MS',
    'STARTUP_RETRY_MAX_MS',
  ] as const) {
    positive(name, e[name]);
  }
  if (e.KAFKA_HEARTBEAT_INTERVAL_MS * 3 > e.KAFKA_SESSION_TIMEOUT_MS) {
    throw new Error(
      `invalid consumer configuration:\n  KAFKA_HEARTBEAT_INTERVAL_MS (${e.KAFKA_HEARTBEAT_INTERVAL_MS}) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${e.KAFKA_SESSION_TIMEOUT_MS})`,
    );
  }
  return {
    kafkaBrokers: e.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    clickhouse: { ...clickhouseOf(e), compression: e.CLICKHOUSE_COMPRESSION },
    topics: { events: e.KAFKA_TOPIC_EVENTS, retry: e.KAFKA_TOPIC_RETRY, dlq: e.KAFKA_TOPIC_DLQ },
    groupId: e.CONSUMER_GROUP,
    retryGroupId: e.RETRY_CONSUMER_GROUP,
    flush: { maxEvents: e.FLUSH_MAX_EVENTS, intervalMs: e.FLUSH_INTERVAL_MS },
    store: {
      maxAttempts: e.INSERT_MAX_ATTEMPTS,
      backoff: { baseMs: e.INSERT_BACKOFF_BASE_MS, maxMs: e.INSERT_BACKOFF_MAX_MS },
      unavailablePollMs: e.CLICKHOUSE_POLL_MS,
    },
    retry: {
      enabled: e.RETRY_ENABLED,
      maxAttempts: e.RETRY_MAX_ATTEMPTS,
      baseDelayMs: e.RETRY_BASE_DELAY_MS,
      maxDelayMs: e.RETRY_MAX_DELAY_MS,
      compression: e.KAFKA_COMPRESSION,
    },
    group: {
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeoutMs: e.KAFKA_REBALANCE_TIMEOUT_MS,
    },
    startupRetryMaxMs: e.STARTUP_RETRY_MAX_MS,
    maintenance: {
      seal: { intervalMs: e.SEAL_INTERVAL_MS, quietMs: e.SEAL_QUIET_MS, batch: e.SEAL_BATCH },
      /** `days` undefined: retention is off, raw events are kept forever */
      retention: { days: e.RETENTION_DAYS, intervalMs: e.RETENTION_INTERVAL_MS },
    },
    metricsPort: e.METRICS_PORT,
    stallTimeoutMs: e.STALL_TIMEOUT_MS,
    /** the per-match feed-integrity rules (FEED_*); null = FEED_INTEGRITY=false */
    matchRules: matchRulesFromEnv(env),
  };
}

export type ConsumerConfig = ReturnType<typeof parseConfig>;
