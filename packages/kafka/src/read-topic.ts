import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: IHeaders;
  /** Broker timestamp, epoch ms. */
  timestamp: number;
}

export interface ReadTopicOptions {
  /** Stop once this many messages were read. */
  count: number;
  /** Give up waiting after this long and return what was read (default 15 s). */
  timeoutMs?: number;
}

/**
 * Reads a topic from the beginning with a throwaway consumer group, like `kcat -C -e`: for tests and
 * inspection tools, not for the pipeline. Returns once `count` messages arrived or the timeout passed.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  options: ReadTopicOptions,
): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: `read-${randomUUID()}`, retry: { retries: 3 } });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // The wait starts once the group is joined (joining takes seconds): stopping a consumer that is still
      // joining leaves kafkajs running it in the background.
      const waitMs = options.timeoutMs ?? 15_000;
      let timer = setTimeout(resolve, waitMs + 30_000);
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        timer = setTimeout(resolve, waitMs);
      });
      if (options.count <= 0) resolve();
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            messages.push({
              topic: t,
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              value: message.value?.toString('utf8') ?? null,
              headers: message.headers ?? {},
              timestamp: Number(message.timestamp),
            });
            if (messages.length >= options.count) {
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
  return messages;
}
