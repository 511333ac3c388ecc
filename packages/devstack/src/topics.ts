import type { TopicSpec } from './rdkafka-mock';

/** The topics DESIGN.md names, created through the mock API (kafkajs admin cannot create them on the mock). */
export const PIPELINE_TOPICS: TopicSpec[] = [
  { name: 'match-events', partitions: 6 },
  { name: 'match-events.retry', partitions: 3 },
  { name: 'match-events.dlq', partitions: 1 },
];
