export { createKafka, kafkaLogCreator, type CreateKafkaOptions } from './client';
export { DEFAULT_TOPICS, type Topics } from './topics';
export {
  GroupCommitProducer,
  type BatchProducer,
  type Compression,
  type GroupCommitProducerOptions,
  type ProduceMessage,
  type SendOptions,
} from './group-commit-producer';
export {
  ProduceError,
  ProduceFailedError,
  ProduceTimeoutError,
  ProducerClosedError,
  ProducerOverloadedError,
} from './errors';
export { KafkaProbe, type KafkaProbeOptions } from './probe';
export { readTopic, type ReadMessage, type ReadTopicOptions } from './read-topic';
// The retry/DLQ envelope (./envelope) is exported below by its author.
export {
  FAILURE_HEADERS,
  nextFailure,
  readFailure,
  withFailure,
  type FailureInfo,
  type FailureKind,
} from './envelope';
