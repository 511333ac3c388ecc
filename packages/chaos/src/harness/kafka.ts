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
