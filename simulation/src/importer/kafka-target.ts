import { DEFAULT_TOPICS, type MatchEvent, type Retraction } from '@pitchpulse/contract';
import { encodeEventMessage, encodeRetractionMessage, type EncodedMessage } from '@pitchpulse/events';
import {
  GroupCommitProducer,
  ProduceError,
  ProduceFailedError,
  ProduceTimeoutError,
  createKafka,
} from '@pitchpulse/kafka';
import type { EventOutcome } from '../http/ingest-client';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from '../http/retry';
import type { ImportTarget } from './importer';

export interface KafkaTargetOptions {
  brokers: string[];
  /** Default `match-events`. */
  topic?: string;
  retry?: RetryPolicy;
  /** Per-attempt limit for Kafka's acknowledgement. */
  timeoutMs?: number;
}

/**
 * Writes import batches straight to the events topic, bypassing the API: the same message format the API
 * produces (key = matchId, value = event + receivedAt, or a retraction with `kind` and receivedAt), acks=all
 * through the group-commit producer. A failed produce is retried; a timed-out or failed one may still have landed,
 * so its records end "unknown".
 */
export class KafkaTarget implements ImportTarget {
  private readonly producer: GroupCommitProducer;
  private readonly topic: string;
  private readonly retry: RetryPolicy;
  private connecting?: Promise<void>;

  constructor(options: KafkaTargetOptions) {
    const kafka = createKafka({ brokers: options.brokers, clientId: 'pitchpulse-import' });
    this.producer = new GroupCommitProducer({
      kafka,
      sendTimeoutMs: options.timeoutMs ?? 10_000,
      lingerMs: 0,
    });
    this.topic = options.topic ?? DEFAULT_TOPICS.events;
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  send(events: MatchEvent[]): Promise<EventOutcome[]> {
    return this.produce(events, encodeEventMessage);
  }

  sendRetractions(retractions: Retraction[]): Promise<EventOutcome[]> {
    return this.produce(retractions, encodeRetractionMessage);
  }

  /** Produces one message per record, each attempt stamped with its own receive time; one outcome per record. */
  private async produce<T>(
    records: T[],
    encode: (record: T, receivedAt: number) => EncodedMessage,
  ): Promise<EventOutcome[]> {
    let ambiguous = false;
    let last: unknown;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      try {
        this.connecting ??= this.producer.connect();
        await this.connecting;
        const receivedAt = Date.now();
        await this.producer.send(records.map((r) => ({ topic: this.topic, ...encode(r, receivedAt) })));
        return records.map(() => ({ kind: 'accepted' as const }));
      } catch (err) {
        last = err;
        if (err instanceof ProduceTimeoutError || err instanceof ProduceFailedError) ambiguous = true;
        if (!(err instanceof ProduceError)) this.connecting = undefined; // could not connect: try again
        if (attempt < this.retry.maxAttempts)
          await new Promise((r) => setTimeout(r, retryDelay(this.retry, attempt, undefined)));
      }
    }
    const reason = `Kafka: ${(last as Error)?.message ?? String(last)}`;
    const outcome: EventOutcome = ambiguous
      ? { kind: 'unknown', status: 'network', reason }
      : { kind: 'not-delivered', status: 'network', reason };
    return records.map(() => outcome);
  }

  async close(): Promise<void> {
    if (this.connecting) await this.connecting.catch(() => undefined);
    await this.producer.disconnect();
  }
}
