import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { MockKafkaCluster, StackControl, waitFor } from '@pitchpulse/devstack';
import { createLogger } from '@pitchpulse/observability';
import { CompressionCodecs } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  GroupCommitProducer,
  KafkaProbe,
  ProduceError,
  ProduceTimeoutError,
  compressionType,
  createKafka,
  readTopic,
} from './index';

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
/** kafkajs's process-wide codec table, by CompressionTypes value. */
const codecs = CompressionCodecs as unknown as Record<number, () => Codec>;

const brokers = () => process.env.KAFKA_BROKERS!.split(',');

describe('packages/kafka against the embedded broker', () => {
  const topic = `kafka-int-${randomUUID().slice(0, 8)}`;
  const kafka = createKafka({ brokers: brokers(), clientId: 'kafka-int-test' });

  beforeAll(async () => {
    await StackControl.fromEnv().createTopic(topic, 3);
  });

  it('names the pipeline topics as the contract does', () => {
    expect(DEFAULT_TOPICS).toEqual({
      events: 'match-events',
      retry: 'match-events.retry',
      dlq: 'match-events.dlq',
    });
  });

  it('writes 200 concurrent sends in a few coalesced produce calls, every message readable with key and headers', async () => {
    const registry = new Registry();
    const producer = new GroupCommitProducer({ kafka, lingerMs: 5, registry });
    await producer.connect();
    try {
      const sends = Array.from({ length: 200 }, (_, i) =>
        producer.send([
          { topic, key: `match-${i % 7}`, value: JSON.stringify({ i }), headers: { 'x-n': String(i) } },
        ]),
      );
      await Promise.all(sends);
      const text = await registry.metrics();
      const calls = Number(/kafka_produce_batch_messages_count (\d+)/.exec(text)![1]);
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(calls).toBeLessThan(50);
      expect(text).toContain('kafka_produce_batch_messages_sum 200');
    } finally {
      await producer.disconnect();
    }

    const read = await readTopic(kafka, topic, { count: 200 });
    expect(read).toHaveLength(200);
    const byValue = new Map(read.map((m) => [(JSON.parse(m.value!) as { i: number }).i, m]));
    for (let i = 0; i < 200; i++) {
      const m = byValue.get(i)!;
      expect(m.key).toBe(`match-${i % 7}`);
      expect(m.headers['x-n']!.toString()).toBe(String(i));
    }
    // Key = partition: one key always lands in one partition, so a match keeps its order.
    const partitionsPerKey = new Map<string, Set<number>>();
    for (const m of read)
      partitionsPerKey.set(m.key!, (partitionsPerKey.get(m.key!) ?? new Set()).add(m.partition));
    for (const set of partitionsPerKey.values()) expect(set.size).toBe(1);
  });

  describe.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s-compressed batches', (compression) => {
    const type = compressionType(compression);
    // A second client reads: the codecs come with createKafka (made before the spy below), not with the producer.
    const reader = createKafka({ brokers: brokers(), clientId: `kafka-int-read-${compression}` });
    let original: () => Codec;
    const calls = { compress: 0, decompress: 0 };

    beforeAll(() => {
      // Counts what passes through the registered codec, so the test knows the broker really held codec X.
      original = codecs[type];
      codecs[type] = () => {
        const codec = original();
        return {
          compress: (encoder: { buffer: Buffer }) => (calls.compress++, codec.compress(encoder)),
          decompress: (buffer: Buffer) => (calls.decompress++, codec.decompress(buffer)),
        };
      };
    });
    afterAll(() => {
      codecs[type] = original;
    });

    it('round-trip through the broker: every message, key and header equal', async () => {
      const codecTopic = `${topic}-${compression}`;
      await StackControl.fromEnv().createTopic(codecTopic, 2);
      const sent = Array.from({ length: 300 }, (_, i) => ({
        topic: codecTopic,
        key: `match-${i % 5}`,
        value: JSON.stringify({ i, eventType: 'pass', padding: 'x'.repeat(i % 40) }),
        headers: { 'x-n': String(i) },
      }));
      const producer = new GroupCommitProducer({ kafka, compression, lingerMs: 5 });
      await producer.connect();
      try {
        await Promise.all(sent.map((m) => producer.send([m])));
      } finally {
        await producer.disconnect();
      }
      const read = await readTopic(reader, codecTopic, { count: sent.length });
      const got = read
        .map((m) => ({ key: m.key, value: m.value, n: m.headers['x-n']!.toString() }))
        .sort((a, b) => Number(a.n) - Number(b.n));
      expect(got).toEqual(sent.map((m) => ({ key: m.key, value: m.value, n: m.headers['x-n'] })));
      expect(calls.compress).toBeGreaterThanOrEqual(1);
      expect(calls.decompress).toBeGreaterThanOrEqual(1);
    });
  });

  it('the probe reports the reachable cluster', async () => {
    const probe = new KafkaProbe(kafka);
    try {
      await expect(probe.check()).resolves.toBeGreaterThanOrEqual(1);
    } finally {
      await probe.close();
    }
  });
});

describe('packages/kafka with a faulty broker (private mock cluster)', () => {
  let cluster: MockKafkaCluster;
  const topic = 'faults';

  beforeEach(() => {
    cluster = MockKafkaCluster.create(1);
    cluster.createTopic({ name: topic, partitions: 2 });
  });

  afterEach(() => cluster.destroy());

  function logCapture() {
    const lines: Array<{ level: string; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().trim().split('\n')) lines.push(JSON.parse(line));
        cb();
      },
    });
    return { logger: createLogger('kafka-test', { level: 'debug' }, stream), lines };
  }

  it('fails sends within the timeout while the broker is down, logs at warn without a storm, and recovers', async () => {
    const { logger, lines } = logCapture();
    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'faults', logger });
    const producer = new GroupCommitProducer({ kafka, sendTimeoutMs: 1000, logger });
    const probe = new KafkaProbe(kafka, { timeoutMs: 500 });
    await producer.connect();
    await producer.send([{ topic, key: 'k', value: 'before' }]);
    await expect(probe.check()).resolves.toBe(1);

    cluster.setBrokerDown(1);
    const started = Date.now();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => producer.send([{ topic, key: 'k', value: `during-${i}` }])),
    );
    expect(Date.now() - started).toBeLessThan(1500);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProduceError);
    }
    const probeStarted = Date.now();
    await expect(probe.check()).rejects.toThrow();
    expect(Date.now() - probeStarted).toBeLessThan(1000);

    // The warn lines come from the failed produce calls and from kafkajs' reconnect attempts, which can log after
    // the sends failed: wait for the first, then give the rest of the 2.5 s the chance to log errors or a storm.
    const watchStarted = Date.now();
    await waitFor(
      'a warn line while the broker is down',
      () => lines.some((l) => l.level === 'warn'),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2500 - (Date.now() - watchStarted))));
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn').length).toBeLessThan(40);
    expect(lines.some((l) => l.level === 'warn')).toBe(true);

    cluster.setBrokerUp(1);
    await producer.send([{ topic, key: 'k', value: 'after' }], { timeoutMs: 10_000 });
    await producer.disconnect();
    await probe.close();
    // Every message in the topic is whole; 'before' and 'after' (acknowledged) are there.
    const read = await readTopic(kafka, topic, { count: 22, timeoutMs: 8000 });
    const values = read.map((m) => m.value);
    expect(values).toEqual(expect.arrayContaining(['before', 'after']));
    for (const v of values) expect(v).toMatch(/^(before|after|during-\d+)$/);
  });

  it('a slow broker times the caller out, and the late acknowledgement never resolves it', async () => {
    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'slow' });
    const registry = new Registry();
    const producer = new GroupCommitProducer({ kafka, sendTimeoutMs: 300, registry });
    await producer.connect();
    await producer.send([{ topic, key: 'k', value: 'warm-up' }]);
    cluster.setBrokerRtt(1, 1000);
    let outcome = 'pending';
    const started = Date.now();
    await producer.send([{ topic, key: 'k', value: 'slow' }]).then(
      () => (outcome = 'resolved'),
      (err: Error) => (outcome = err instanceof ProduceTimeoutError ? 'timeout' : err.message),
    );
    expect(outcome).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(700);
    // The produce call ends (the late acknowledgement, or its failure) after the caller timed out: wait for it,
    // then give anything that could still resolve the caller 1.5 s.
    const produceCalls = async () => {
      const text = await registry.metrics();
      const counts = text.matchAll(/^kafka_produce_duration_seconds_count\{[^}]*\} (\d+)$/gm);
      return [...counts].reduce((n, m) => n + Number(m[1]), 0);
    };
    await waitFor(
      'the slow produce call to end (warm-up + slow = 2 calls)',
      async () => (await produceCalls()) >= 2,
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(outcome).toBe('timeout');
    cluster.setBrokerRtt(1, 0);
    await producer.disconnect();
  });
});
