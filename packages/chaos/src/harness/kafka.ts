import { randomUUID } from 'node:crypto';
import { createKafka } from '@pitchpulse/kafka';

type Admin = ReturnType<ReturnType<typeof createKafka>['admin']>;

/** Runs `use` with a connected kafkajs admin client, disconnected afterwards. */
async function withAdmin<T>(brokers: string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createKafka({ brokers, clientId: 'chaos-admin' }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Messages ever written to `topic` (sum of every partition's high watermark). */
export function topicMessageCount(brokers: string[], topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0),
  );
}

/** Messages the broker deleted from the start of `topic` (retention): sum of every partition's low watermark. */
export function topicDeletedCount(brokers: string[], topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.low), 0),
  );
}

/** Messages of `topic` the consumer group has not committed yet (all partitions). */
export function groupLag(brokers: string[], groupId: string, topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const [high, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      committedOffsetsOf(admin, groupId, topic),
    ]);
    return high.reduce((lag, p) => lag + Number(p.high) - Math.max(0, committed.get(p.partition) ?? -1), 0);
  });
}

/** The consumer group's committed offset per partition (-1: none). */
export function committedOffsets(
  brokers: string[],
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  return withAdmin(brokers, (admin) => committedOffsetsOf(admin, groupId, topic));
}

async function committedOffsetsOf(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
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
