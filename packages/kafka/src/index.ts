export { createKafka, kafkaLogCreator, type CreateKafkaOptions } from './client';
export type { Topics } from './topics';
export { COMPRESSIONS, compressionType, registerCodecs, type Compression } from './codecs';
export {
  GroupCommitProducer,
  type BatchProducer,
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
export { failureFromHeaders, nextFailure, requestIdOf, withFailure, type FailureInfo } from './envelope';
