import type { Producer } from 'kafkajs';
import type { FailureKind } from '@pitchpulse/contract';
import { compressionType, nextFailure, withFailure, type Compression, type Topics } from '@pitchpulse/kafka';
import { retryDelay } from './backoff';
import type { ConsumedMessage } from './batch-buffer';
import type { ConsumerMetrics } from './metrics';

export interface Failure {
  source: ConsumedMessage;
  kind: FailureKind;
  error: string;
}

export interface RetryPolicy {
  /** Retry-topic rounds an event gets before it goes to the DLQ. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** codec of the retry and DLQ copies (default none) */
  compression?: Compression;
}

/**
 * Sends failed events on: transient failures to the retry topic (due later, delay growing per attempt) until
 * their rounds are used up, everything else (and the exhausted) to the DLQ. Resolves once Kafka acked all.
 */
export class FailureRouter {
  constructor(
    private readonly producer: Producer,
    private readonly topics: Topics,
    private readonly policy: RetryPolicy,
    private readonly metrics: ConsumerMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  async route(failures: Failure[]): Promise<void> {
    if (failures.length === 0) return;
    const retries = [];
    const dead = [];
    const now = this.now();
    for (const { source, kind, error } of failures) {
      const info = nextFailure(
        {
          topic: source.topic,
          partition: source.partition,
          message: { offset: source.offset, headers: source.headers },
        },
        { kind, message: error },
        now,
      );
      if (kind === 'transient' && info.attempt <= this.policy.maxAttempts) {
        const dueAt = now + retryDelay(info.attempt, this.policy.baseDelayMs, this.policy.maxDelayMs);
        retries.push(withFailure(source, { ...info, dueAt }));
      } else {
        dead.push({ message: withFailure(source, info), kind });
      }
    }
    const topicMessages = [];
    if (retries.length > 0) topicMessages.push({ topic: this.topics.retry, messages: retries });
    if (dead.length > 0) topicMessages.push({ topic: this.topics.dlq, messages: dead.map((d) => d.message) });
    await this.producer.sendBatch({
      acks: -1,
      compression: compressionType(this.policy.compression),
      topicMessages,
    });
    this.metrics.retried.inc(retries.length);
    for (const d of dead) this.metrics.deadLettered.inc({ kind: d.kind });
  }
}
