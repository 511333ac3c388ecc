import { Partitioners } from 'kafkajs';
import type { StoredEvent } from '@pitchpulse/contract';
import type { StoredRecord } from '@pitchpulse/events';
import { failureFromHeaders, readTopic, requestIdOf } from '@pitchpulse/kafka';
import { createLogger, createRegistry, sampleSum } from '@pitchpulse/observability';
import { BatchConsumer, type EventStore } from './batch-consumer';
import { readDeadLetters } from './dlq';
import { FailureRouter } from './failure-router';
import { createConsumerMetrics } from './metrics';
import type { InsertErrorKind } from './store';
import { isolatedEnv, makeEvents, produce, waitUntil, type TestEnv } from './testing';

// The Kafka side (topics, headers, due times, groups) is real; the eventStore stands in for ClickHouse so a test can
// decide which inserts fail and how. ClickHouse's own error classification is tested in @pitchpulse/clickhouse.
class KindError extends Error {
  constructor(readonly kind: InsertErrorKind) {
    super(`simulated ${kind} failure`);
  }
}

class ScriptedStore implements EventStore {
  readonly stored = new Map<string, StoredEvent>();
  calls = 0;
  constructor(private readonly fail: (events: StoredEvent[], call: number) => InsertErrorKind | undefined) {}
  insert = async (records: StoredRecord[]) => {
    const events = records.flatMap((r) => (r.kind === 'event' ? [r.event] : []));
    const kind = this.fail(events, ++this.calls);
    if (kind) throw new KindError(kind);
    for (const e of events) this.stored.set(e.eventId, e);
  };
  classify = (err: unknown): InsertErrorKind => (err instanceof KindError ? err.kind : 'transient');
  isAvailable = async () => true;
}

async function pipeline(t: TestEnv, eventStore: EventStore, retryRounds: number) {
  const registry = createRegistry();
  const metrics = createConsumerMetrics(registry);
  const producer = t.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const router = new FailureRouter(
    producer,
    t.topics,
    // zstd: the copies are read back through the codec the consumer registers
    { maxAttempts: retryRounds, baseDelayMs: 300, maxDelayMs: 2000, compression: 'zstd' },
    metrics,
  );
  const logger = createLogger('retry-test', { level: 'silent' });
  const common = {
    flush: { maxEvents: 1000, intervalMs: 300 },
    store: { maxAttempts: 1, backoff: { baseMs: 1, maxMs: 1 }, unavailablePollMs: 100 },
    stallTimeoutMs: 60_000,
  };
  const consumers = [
    new BatchConsumer(
      t.kafka,
      { ...common, role: 'main', topic: t.topics.events, groupId: `m-${t.id}` },
      eventStore,
      router,
      metrics,
      logger,
    ),
    new BatchConsumer(
      t.kafka,
      { ...common, role: 'retry', topic: t.topics.retry, groupId: `r-${t.id}` },
      eventStore,
      router,
      metrics,
      logger,
    ),
  ];
  await Promise.all(consumers.map((c) => c.start()));
  return {
    registry,
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await producer.disconnect();
    },
  };
}

describe('retry topic and DLQ flow (real Kafka)', () => {
  it('re-attempts transiently failed events from the retry topic after their due time, then stores them', async () => {
    const t = await isolatedEnv();
    const events = makeEvents(50, 'm-retry');
    // Every insert fails until the third one: the main flush fails, the first retry round fails, the second works.
    const eventStore = new ScriptedStore((_events, call) => (call < 3 ? 'transient' : undefined));
    const running = await pipeline(t, eventStore, 3);
    try {
      const started = Date.now();
      await produce(t.kafka, t.topics.events, events);
      await waitUntil(
        'all 50 stored',
        async () => eventStore.stored.size,
        (n) => n === 50,
        30_000,
      );
      // Two failed rounds with delays of 300 ms then 1200 ms happened before success.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      const retried = await readTopic(t.kafka, t.topics.retry, { count: 100, timeoutMs: 8000 });
      expect(retried).toHaveLength(100);
      const attempts = retried.map((m) => failureFromHeaders(m.headers)!.attempt).sort();
      expect(attempts.filter((a) => a === 1)).toHaveLength(50);
      expect(attempts.filter((a) => a === 2)).toHaveLength(50);
      const first = failureFromHeaders(retried[0]!.headers)!;
      expect(first).toMatchObject({
        originalTopic: t.topics.events,
        kind: 'transient',
        lastError: 'simulated transient failure',
      });
      expect(first.dueAt! - first.firstFailureAt).toBeGreaterThanOrEqual(300);
      expect(await t.topicSize(t.topics.dlq)).toBe(0);
    } finally {
      await running.stop();
      await t.close();
    }
  }, 60_000);

  it('sends events to the DLQ once their retry rounds are used up, with attempt count and last error', async () => {
    const t = await isolatedEnv();
    const eventStore = new ScriptedStore(() => 'transient');
    const running = await pipeline(t, eventStore, 2);
    try {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const request = { 'x-request-id': 'req-exhaust', traceparent };
      await produce(t.kafka, t.topics.events, makeEvents(10, 'm-exhaust'), Date.now(), request);
      const dead = await readTopic(t.kafka, t.topics.dlq, { count: 10, timeoutMs: 30_000 });
      expect(dead).toHaveLength(10);
      for (const m of dead) {
        expect(failureFromHeaders(m.headers)).toMatchObject({
          attempt: 3,
          kind: 'transient',
          originalTopic: t.topics.events,
        });
        // The request that wrote it, through three retry rounds: on the dead letter and in `pnpm dlq list`.
        expect(requestIdOf(m.headers)).toBe('req-exhaust');
        expect(String(m.headers!.traceparent)).toBe(traceparent);
      }
      const letters = await readDeadLetters(t.kafka, t.topics.dlq);
      expect(letters.map((l) => l.requestId)).toEqual(Array(10).fill('req-exhaust'));
      expect(eventStore.stored.size).toBe(0);
      // The router counts the dead letters once Kafka acknowledged them, which can be after they are readable.
      const deadLettered = await waitUntil(
        'consumer_dlq_published_total{kind="transient"} to reach 10',
        () => running.registry.getSingleMetricAsString('consumer_dlq_published_total'),
        (text) => sampleSum(text, 'consumer_dlq_published_total', { kind: 'transient' }) >= 10,
        15_000,
      );
      expect(deadLettered).toContain('consumer_dlq_published_total{kind="transient"} 10');
    } finally {
      await running.stop();
      await t.close();
    }
  }, 60_000);

  it('bisects a batch with one bad row: the bad event goes to the DLQ, its neighbours are stored', async () => {
    const t = await isolatedEnv();
    const events = makeEvents(300, 'm-bisect');
    const bad = events[123]!.eventId;
    const eventStore = new ScriptedStore((batch) =>
      batch.some((e) => e.eventId === bad) ? 'data' : undefined,
    );
    const running = await pipeline(t, eventStore, 3);
    try {
      await produce(t.kafka, t.topics.events, events);
      await waitUntil(
        '299 stored',
        async () => eventStore.stored.size,
        (n) => n === 299,
        30_000,
      );
      const [dead] = await readTopic(t.kafka, t.topics.dlq, { count: 1, timeoutMs: 20_000 });
      expect(JSON.parse(dead!.value!).eventId).toBe(bad);
      expect(failureFromHeaders(dead!.headers)).toMatchObject({ kind: 'data', attempt: 1 });
      expect(await t.topicSize(t.topics.retry)).toBe(0);
    } finally {
      await running.stop();
      await t.close();
    }
  }, 60_000);
});
