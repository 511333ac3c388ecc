import type { Admin } from 'kafkajs';
import type { Logger } from '@pitchpulse/observability';
import type { ConsumerMetrics } from './metrics';

/** Per-partition lag of a group: high watermark minus committed offset (or the low watermark if none). */
export async function measureLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Array<{ partition: number; lag: number }>> {
  const [watermarks, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committedBy = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  return watermarks.map(({ partition, high, low }) => {
    const done = committedBy.get(partition) ?? -1;
    return { partition, lag: Math.max(0, Number(high) - (done >= 0 ? done : Number(low))) };
  });
}

/** Refreshes the consumer_lag gauge every `intervalMs` until stopped. */
export function watchLag(
  admin: Admin,
  groups: Array<{ groupId: string; topic: string }>,
  metrics: ConsumerMetrics,
  logger: Logger,
  intervalMs = 10_000,
): () => void {
  const refresh = async () => {
    for (const { groupId, topic } of groups) {
      try {
        for (const { partition, lag } of await measureLag(admin, groupId, topic)) {
          metrics.lag.set({ topic, partition: String(partition) }, lag);
        }
      } catch (err) {
        logger.debug({ err, topic }, 'could not measure consumer lag');
      }
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
