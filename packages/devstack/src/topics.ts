import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import type { TopicSpec } from './rdkafka-mock';

/** The pipeline's topics (docs/contract.md), created through the mock API (kafkajs admin cannot create them on the mock). */
export const PIPELINE_TOPICS: TopicSpec[] = [
  { name: DEFAULT_TOPICS.events, partitions: 6 },
  { name: DEFAULT_TOPICS.retry, partitions: 3 },
  { name: DEFAULT_TOPICS.dlq, partitions: 1 },
];
