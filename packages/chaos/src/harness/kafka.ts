import { randomUUID } from 'node:crypto';
import { createKafka } from '@pitchpulse/kafka';

/** Messages ever written to `topic` (sum of every partition's high watermark). */
export async function topicMessageCount(brokers: string[], topic: string): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'chaos-offsets' }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Messages the broker deleted from the start of `topic` (retention): sum of every partition's low watermark. */
export async function topicDeletedCount(brokers: string[], topic: string): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'chaos-offsets' }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Messages of `topic` the consumer group has not committed yet (all partitions). */
export async function groupLag(brokers: string[], groupId: string, topic: string): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'chaos-lag' }).admin();
  await admin.connect();
  try {
    const [high, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    let lag = 0;
    for (const p of high) {
      const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
      lag += Number(p.high) - Math.max(0, done);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Where each event of `topic` sits: eventId → partition/offset (whole topic, read with a throwaway group);
 * `complete` is false when the timeout came before the last message.
 */
export async function eventOffsets(
  brokers: string[],
  topic: string,
  timeoutMs = 120_000,
): Promise<{ offsets: Map<string, { partition: number; offset: number }>; read: number; complete: boolean }> {
  const total = await topicMessageCount(brokers, topic);
  const out = new Map<string, { partition: number; offset: number }>();
  if (total === 0) return { offsets: out, read: 0, complete: true };
  const consumer = createKafka({ brokers, clientId: 'chaos-read' }).consumer({
    groupId: `chaos-read-${randomUUID()}`,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  await consumer.connect();
  let read = 0;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              read++;
              const eventId = (JSON.parse(message.value?.toString('utf8') ?? '{}') as { eventId?: string })
                .eventId;
              if (eventId && !out.has(eventId)) {
                out.set(eventId, { partition: batch.partition, offset: Number(message.offset) });
              }
            }
            if (read >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return { offsets: out, read, complete: read >= total };
}

/** The consumer group's committed offset per partition (-1: none). */
export async function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const admin = createKafka({ brokers, clientId: 'chaos-committed' }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}
