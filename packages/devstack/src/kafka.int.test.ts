import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { MockKafkaCluster } from './rdkafka-mock';
import { resolveConnection } from './stack';

const connection = resolveConnection();

function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const res = await fetch(`${connection.controlUrl}/kafka/topics`, {
    method: 'POST',
    body: JSON.stringify({ name, partitions }),
  });
  expect(res.status).toBe(200);
}

function waitForAssignment(consumer: Consumer, topic: string, predicate: (p: number[]) => boolean) {
  return new Promise<number[]>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      if (predicate(partitions)) resolve([...partitions].sort((a, b) => a - b));
    });
  });
}

/**
 * Resolves with both members' partitions of `topic` once their latest assignments split the topic's `partitions`
 * between them (each some, none twice, none left out); fails after `timeoutMs` naming the last ones seen. A member
 * that rejoins (see runRejoining) goes through more than one generation: the two members' first assignments after
 * the second joined can come from different generations, and overlap.
 */
function waitForSplit(
  members: [Consumer, Consumer],
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<[number[], number[]]> {
  const latest: Array<number[] | undefined> = [undefined, undefined];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no split within ${timeoutMs} ms: latest ${JSON.stringify(latest)}`)),
      timeoutMs,
    );
    members.forEach((consumer, i) =>
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        latest[i] = [...(e.payload.memberAssignment[topic] ?? [])].sort((x, y) => x - y);
        const [a, b] = latest;
        if (!a?.length || !b?.length) return;
        const union = new Set([...a, ...b]);
        if (union.size === partitions && a.length + b.length === partitions) {
          clearTimeout(timer);
          resolve([a, b]);
        }
      }),
    );
  });
}

/**
 * Runs `consumer` (subscribed already), joining the group again when kafkajs gives up on an error it does not retry:
 * the mock broker answers INVALID_REQUEST to a member whose SyncGroup arrives after the leader's (as the consumer
 * app does, apps/consumer/src/batch-consumer.ts). Returns a function that stops rejoining.
 */
async function runRejoining(consumer: Consumer): Promise<() => void> {
  let stopped = false;
  const run = () => consumer.run({ eachMessage: async () => undefined });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopped) return;
    setTimeout(() => {
      if (!stopped) void consumer.connect().then(run, () => undefined);
    }, 500);
  });
  await run();
  return () => (stopped = true);
}

describe('embedded Kafka (librdkafka mock cluster) with kafkajs', () => {
  const kafka = new Kafka({
    clientId: 'stack-test',
    brokers: connection.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });

  it('delivers 10,000 acks=all messages to a consumer group in order per key', async () => {
    const topic = uniqueTopic('order');
    await createTopic(topic, 6);
    const producer = kafka.producer();
    await producer.connect();
    const keys = 40;
    const total = 10_000;
    for (let start = 0; start < total; start += 1000) {
      const messages = Array.from({ length: 1000 }, (_, i) => {
        const n = start + i;
        return { key: `match-${n % keys}`, value: JSON.stringify({ seq: Math.floor(n / keys) }) };
      });
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueTopic('g') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<string, number[]>();
    let count = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key!.toString();
          const list = seen.get(key) ?? [];
          list.push((JSON.parse(message.value!.toString()) as { seq: number }).seq);
          seen.set(key, list);
          if (++count === total) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(count).toBe(total);
    expect(seen.size).toBe(keys);
    for (const list of seen.values()) {
      expect(list).toEqual(Array.from({ length: total / keys }, (_, i) => i));
    }
  });

  it('gives a second group member partitions after a rebalance', async () => {
    const topic = uniqueTopic('rebalance');
    await createTopic(topic, 6);
    const groupId = uniqueTopic('g');
    // The mock's coordinator waits up to a session timeout for members to rejoin: 6 s, not kafkajs's 30 s.
    const first = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 6000 });
    const second = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 6000 });
    const stops: Array<() => void> = [];
    try {
      await first.connect();
      await first.subscribe({ topic, fromBeginning: true });
      const firstAlone = waitForAssignment(first, topic, (p) => p.length === 6);
      stops.push(await runRejoining(first));
      expect(await firstAlone).toEqual([0, 1, 2, 3, 4, 5]);

      const split = waitForSplit([first, second], topic, 6, 45_000);
      await second.connect();
      await second.subscribe({ topic, fromBeginning: true });
      stops.push(await runRejoining(second));
      const [a, b] = await split;
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect([...a, ...b].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      for (const stop of stops) stop();
      await Promise.all([first.disconnect(), second.disconnect()]);
    }
  });

  it('fails a produce within its timeout while the broker is down and succeeds once it is back up', async () => {
    // A private cluster: taking the shared broker down would fail the tests running beside this one.
    const cluster = MockKafkaCluster.create(1);
    try {
      const topic = 'faults';
      cluster.createTopic({ name: topic, partitions: 1 });
      const privateKafka = new Kafka({
        clientId: 'fault-test',
        brokers: cluster.bootstrapServers.split(','),
        logLevel: logLevel.NOTHING,
        connectionTimeout: 500,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      });
      const producer = privateKafka.producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'before' }] });

      cluster.setBrokerDown(1);
      const started = Date.now();
      await expect(
        producer.send({ topic, acks: -1, timeout: 1000, messages: [{ key: 'k', value: 'during' }] }),
      ).rejects.toThrow();
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(5000);

      cluster.setBrokerUp(1);
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'after' }] });
      await producer.disconnect();

      const consumer = privateKafka.consumer({ groupId: 'fault-check' });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const values: string[] = [];
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.includes('after')) resolve();
          },
        });
      });
      await consumer.disconnect();
      expect(values).toEqual(['before', 'after']);
    } finally {
      cluster.destroy();
    }
  });
});
