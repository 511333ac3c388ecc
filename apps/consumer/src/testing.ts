/** Test helpers for the consumer's integration tests: isolated topics, database and groups per test. */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { createClickHouseClient, identifier, selectRows, sql } from '@pitchpulse/clickhouse';
import { preparePipeline } from '@pitchpulse/devstack';
import { type MatchEvent } from '@pitchpulse/contract';
import { encodeEventMessage } from '@pitchpulse/events';
import { createKafka } from '@pitchpulse/kafka';

export interface TestEnv {
  id: string;
  env: NodeJS.ProcessEnv;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  topics: { events: string; retry: string; dlq: string };
  database: string;
  /** Messages on a topic right now (sum of high − low watermarks). */
  topicSize(topic: string): Promise<number>;
  close(): Promise<void>;
}

/** Unique topics (created through the stack's mock API), database and consumer groups for one test. */
export async function isolatedEnv(overrides: NodeJS.ProcessEnv = {}): Promise<TestEnv> {
  const id = randomUUID().slice(0, 8);
  const pipeline = await preparePipeline(`test_consumer_${id}`, { events: 6, retry: 2 });
  const { topics, database } = pipeline;
  const env: NodeJS.ProcessEnv = {
    ...pipeline.env,
    METRICS_PORT: '0',
    FLUSH_INTERVAL_MS: '1000',
    ...overrides,
  };
  // createKafka, as the consumer does: it registers the codecs kafkajs lacks
  const kafka = createKafka({ clientId: `test-${id}`, brokers: env.KAFKA_BROKERS!.split(',') });
  const cluster = env.CLICKHOUSE_CLUSTER;
  const clickhouse = createClickHouseClient({
    url: env.CLICKHOUSE_URL!,
    database,
    ...(cluster ? { cluster } : {}),
  });
  const topicSize = async (topic: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  };
  return { id, env, kafka, clickhouse, topics, database, topicSize, close: () => clickhouse.close() };
}

/** `count` valid events for one match, with distinct ids and types cycling through goal/shot/pass/foul. */
export function makeEvents(count: number, matchId: string, start = 0): MatchEvent[] {
  const types = ['pass', 'shot', 'goal', 'foul', 'yellow_card', 'pass', 'interception'] as const;
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return {
      eventId: `${randomUUID().slice(0, 24)}${String(n).padStart(12, '0')}`,
      matchId,
      eventType: types[n % types.length]!,
      timestamp: new Date(Date.UTC(2024, 0, 15, 14, 0, 0) + n * 1000).toISOString(),
      teamId: n % 2 === 0 ? 1 : 2,
      playerId: `p-${n % 22}`,
      metadata: { minute: Math.floor(n / 60) },
    };
  });
}

/** Writes `events` as the API would (with `headers` on each message, as the API's request id and trace context). */
export async function produce(
  kafka: Kafka,
  topic: string,
  events: MatchEvent[],
  receivedAt = Date.now(),
  headers?: Record<string, string>,
) {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < events.length; i += 1000) {
    const messages = events
      .slice(i, i + 1000)
      .map((e) => ({ ...encodeEventMessage(e, receivedAt), ...(headers ? { headers } : {}) }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
}

export async function produceRaw(
  kafka: Kafka,
  topic: string,
  messages: Array<{ key: string; value: string }>,
) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

export interface EventCounts {
  rows: number;
  ids: number;
}

/** Raw rows of a match, and how many distinct events they hold (more rows than ids = redeliveries). */
export async function eventCounts(
  t: Pick<TestEnv, 'clickhouse' | 'database'>,
  matchId: string,
): Promise<EventCounts> {
  const [row] = await selectRows<EventCounts>(
    t.clickhouse,
    { nativeParams: false },
    sql`SELECT toUInt32(count()) AS rows, toUInt32(uniqExact(event_id)) AS ids
        FROM ${identifier(t.database, 'events')} WHERE match_id = ${matchId}`,
  );
  return row!;
}

/** The team_id values stored for a match, one per row. */
export async function storedTeams(
  t: Pick<TestEnv, 'clickhouse' | 'database'>,
  matchId: string,
): Promise<number[]> {
  const rows = await selectRows<{ team_id: number }>(
    t.clickhouse,
    { nativeParams: false },
    sql`SELECT team_id FROM ${identifier(t.database, 'events')} WHERE match_id = ${matchId}`,
  );
  return rows.map((r) => Number(r.team_id));
}

export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (err) {
      lastError = err; // not there yet (e.g. the table is being created)
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const error = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}${error}`);
}
