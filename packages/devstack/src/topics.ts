import type { TopicSpec } from './rdkafka-mock';

/** The pipeline's topics (docs/contract.md), created through the mock API (kafkajs admin cannot create them on the mock). */
export const PIPELINE_TOPICS: TopicSpec[] = [
  { name: 'match-events', partitions: 6 },
  { name: 'match-events.retry', partitions: 3 },
  { name: 'match-events.dlq', partitions: 1 },
];
