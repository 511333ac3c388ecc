import {
  type CompressionTypes,
  type IHeaders,
  type Kafka,
  type Producer,
  type RetryOptions,
  type TopicMessages,
} from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '@pitchpulse/observability';
import { SpanKind, failed, sampled, startSpan, type Link, type Span } from '@pitchpulse/tracing';
import { cachedDefaultPartitioner } from './partitioner';
import { compressionType, type Compression } from './codecs';
import {
  ProduceFailedError,
  ProduceTimeoutError,
  ProducerClosedError,
  ProducerOverloadedError,
  type ProduceError,
} from './errors';

export interface ProduceMessage {
  topic: string;
  /** Partitioning key (e.g. matchId): one key keeps its order within one partition. */
  key: string | Buffer | null;
  value: string | Buffer;
  headers?: IHeaders;
  partition?: number;
}

/** The part of a kafkajs producer the group commit needs (tests can hand in their own). */
export type BatchProducer = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;

export interface GroupCommitProducerOptions {
  /** The client to make a producer from (see `createKafka`). Either this or `producer`. */
  kafka?: Kafka;
  /** A ready producer; used as is (unit tests). */
  producer?: BatchProducer;
  /** How long the first message of a batch waits for company before the batch is sent (default 2 ms). */
  lingerMs?: number;
  /** A batch is sent at once when it reaches this many messages (default 1000). */
  maxBatchMessages?: number;
  /** Messages accepted but not yet acknowledged, at most; beyond it `send` throws ProducerOverloadedError. */
  maxQueuedMessages?: number;
  /** Produce requests in flight at once (default 5); further batches wait for one to finish. */
  maxInFlightBatches?: number;
  /** A `send` not acknowledged within this many ms fails with ProduceTimeoutError (default 5000). */
  sendTimeoutMs?: number;
  /** Record-batch codec (default none); a client from `createKafka` has them all registered. */
  compression?: Compression;
  /** kafkajs retry policy for the producer it makes from `kafka` (bounded by default). */
  retry?: RetryOptions;
  registry?: Registry;
  logger?: Logger;
}

export interface SendOptions {
  /** Overrides the producer's send timeout for this call. */
  timeoutMs?: number;
  /**
   * The span of the work these messages belong to (an ingest request's). The produce call that carries them gets a
   * `send` span: the child of the first such span of a sampled trace among its senders, linked to the others,
   * which each link back to it. The messages' own headers are the caller's to set.
   */
  parent?: Span;
}

/** A send span links to at most this many senders (the SDK's default link limit). */
const MAX_LINKS = 128;

interface Pending {
  messages: ProduceMessage[];
  resolve: () => void;
  reject: (err: ProduceError) => void;
  settled: boolean;
  /** Still in `queue` (not handed to Kafka yet). */
  queued: boolean;
  timer: NodeJS.Timeout;
  parent: Span | undefined;
}

type State = 'new' | 'connecting' | 'connected' | 'closing' | 'closed';

interface ProducerMetrics {
  duration: Histogram<'outcome'>;
  errors: Counter<'reason'>;
  batchSize: Histogram;
  outstanding: Gauge;
}

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function createMetrics(registry: Registry): ProducerMetrics {
  const registers = [registry];
  return {
    duration: metric(
      registry,
      'kafka_produce_duration_seconds',
      () =>
        new Histogram({
          name: 'kafka_produce_duration_seconds',
          help: 'Time for one produce call (a coalesced batch) to be acknowledged by Kafka (acks=all)',
          labelNames: ['outcome'],
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers,
        }),
    ),
    errors: metric(
      registry,
      'kafka_produce_errors_total',
      () =>
        new Counter({
          name: 'kafka_produce_errors_total',
          help: 'send() calls that failed, by reason (overloaded, timeout, closed, broker)',
          labelNames: ['reason'],
          registers,
        }),
    ),
    batchSize: metric(
      registry,
      'kafka_produce_batch_messages',
      () =>
        new Histogram({
          name: 'kafka_produce_batch_messages',
          help: 'Messages per produce call after coalescing concurrent sends',
          buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
          registers,
        }),
    ),
    outstanding: metric(
      registry,
      'kafka_producer_queued_messages',
      () =>
        new Gauge({
          name: 'kafka_producer_queued_messages',
          help: 'Messages accepted by the producer and not yet acknowledged or failed',
          registers,
        }),
    ),
  };
}

function errorReason(err: ProduceError): string {
  if (err instanceof ProducerOverloadedError) return 'overloaded';
  if (err instanceof ProduceTimeoutError) return 'timeout';
  if (err instanceof ProducerClosedError) return 'closed';
  return 'broker';
}

/**
 * Group commit over kafkajs: concurrent `send` calls are coalesced into one `sendBatch` (after `lingerMs`, or at
 * once when `maxBatchMessages` are waiting), acknowledged with acks=all. Each caller's promise settles by its
 * own outcome: resolved only once Kafka acknowledged its messages, rejected on failure, on overload (bounded
 * queue) or when its timeout passes. A caller that timed out is never resolved afterwards, even if the batch
 * does land later.
 */
export class GroupCommitProducer {
  private readonly producer: BatchProducer;
  private readonly lingerMs: number;
  private readonly maxBatchMessages: number;
  private readonly maxQueuedMessages: number;
  private readonly maxInFlightBatches: number;
  private readonly sendTimeoutMs: number;
  private readonly compression: CompressionTypes;
  private readonly metrics?: ProducerMetrics;
  private readonly logger?: Logger;

  private state: State = 'new';
  private queue: Pending[] = [];
  private queuedMessages = 0;
  /** Messages in `queue` or in flight whose callers have not been answered yet. */
  private outstanding = 0;
  private inFlightBatches = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(options: GroupCommitProducerOptions) {
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatchMessages = options.maxBatchMessages ?? 1000;
    this.maxQueuedMessages = options.maxQueuedMessages ?? 20_000;
    this.maxInFlightBatches = options.maxInFlightBatches ?? 5;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 5000;
    this.compression = compressionType(options.compression);
    this.logger = options.logger;
    if (options.registry) this.metrics = createMetrics(options.registry);
    for (const [name, value] of Object.entries({
      lingerMs: this.lingerMs,
      maxBatchMessages: this.maxBatchMessages,
      maxQueuedMessages: this.maxQueuedMessages,
      maxInFlightBatches: this.maxInFlightBatches,
      sendTimeoutMs: this.sendTimeoutMs,
    })) {
      const min = name === 'lingerMs' ? 0 : 1;
      if (!Number.isFinite(value) || value < min)
        throw new RangeError(`${name} must be ≥ ${min}; got ${value}`);
    }
    if (options.producer) this.producer = options.producer;
    else if (options.kafka)
      this.producer = options.kafka.producer({
        createPartitioner: cachedDefaultPartitioner,
        allowAutoTopicCreation: false,
        idempotent: false,
        retry: options.retry ?? { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      });
    else throw new TypeError('GroupCommitProducer needs `kafka` or `producer`');
  }

  /** True between a successful `connect()` and `disconnect()`. */
  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Messages accepted and not yet answered (waiting to be sent or in flight). */
  get pendingMessages(): number {
    return this.outstanding;
  }

  async connect(): Promise<void> {
    if (this.state === 'connected') return;
    if (this.state === 'closing' || this.state === 'closed')
      throw new ProducerClosedError('producer is closed');
    this.state = 'connecting';
    try {
      await this.producer.connect();
      this.state = 'connected';
    } catch (err) {
      this.state = 'new';
      throw err;
    }
  }

  /**
   * Resolves once Kafka acknowledged every message (acks=all); rejects with a ProduceError subclass otherwise.
   * Messages of one call are always sent in the same produce request, in order.
   */
  send(messages: ProduceMessage[], options: SendOptions = {}): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.state !== 'connected') {
      const closing = this.state === 'closing' || this.state === 'closed';
      return this.fail(
        new ProducerClosedError(closing ? 'producer is shutting down' : 'producer is not connected'),
      );
    }
    if (this.outstanding + messages.length > this.maxQueuedMessages) {
      return this.fail(new ProducerOverloadedError(this.outstanding, this.maxQueuedMessages));
    }
    const timeoutMs = options.timeoutMs ?? this.sendTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        messages,
        resolve,
        reject,
        settled: false,
        queued: true,
        timer: setTimeout(() => this.timeOut(pending, timeoutMs), timeoutMs),
        parent: options.parent,
      };
      this.queue.push(pending);
      this.queuedMessages += messages.length;
      this.outstanding += messages.length;
      this.metrics?.outstanding.set(this.outstanding);
      if (this.queuedMessages >= this.maxBatchMessages) this.dispatch(true);
      this.armLinger();
    });
  }

  /**
   * Sends what is waiting now instead of after the linger, for a caller that knows no more sends will join it soon
   * (the API when it admits no more requests): under load the linger timer would fire only after the event loop's
   * current pass, which then makes every waiting caller wait one pass longer.
   */
  sendWaitingNow(): void {
    if (this.queue.length > 0) this.dispatch();
  }

  /** Sends whatever is waiting now and resolves once every accepted message has been answered. */
  async flush(): Promise<void> {
    this.dispatch();
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses new sends, flushes what was accepted, then disconnects from Kafka. */
  async disconnect(): Promise<void> {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected' || this.state === 'closing';
    this.state = 'closing';
    await this.flush();
    if (wasConnected) await this.producer.disconnect();
    this.state = 'closed';
  }

  private fail(err: ProduceError): Promise<void> {
    this.metrics?.errors.inc({ reason: errorReason(err) });
    return Promise.reject(err);
  }

  private settle(pending: Pending, err?: ProduceError): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    this.outstanding -= pending.messages.length;
    this.metrics?.outstanding.set(this.outstanding);
    if (err) {
      this.metrics?.errors.inc({ reason: errorReason(err) });
      pending.reject(err);
    } else pending.resolve();
    if (this.outstanding === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private timeOut(pending: Pending, timeoutMs: number): void {
    if (pending.settled) return;
    if (pending.queued) {
      // Never handed to Kafka: take it out so it cannot land after its caller was told it failed.
      pending.queued = false;
      this.queue.splice(this.queue.indexOf(pending), 1);
      this.queuedMessages -= pending.messages.length;
    }
    this.settle(pending, new ProduceTimeoutError(timeoutMs));
  }

  /** The first waiting message starts the linger clock; the batch goes when it runs out. */
  private armLinger(): void {
    if (this.queue.length > 0 && !this.lingerTimer && this.inFlightBatches < this.maxInFlightBatches) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.dispatch();
      }, this.lingerMs);
    }
  }

  /**
   * Starts produce calls for the waiting sends, as many as the in-flight limit allows; with `fullOnly`, only
   * full batches go and the rest keeps lingering.
   */
  private dispatch(fullOnly = false): void {
    if (!fullOnly && this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    while (
      this.queue.length > 0 &&
      this.inFlightBatches < this.maxInFlightBatches &&
      (!fullOnly || this.queuedMessages >= this.maxBatchMessages)
    ) {
      const batch: Pending[] = [];
      let size = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (batch.length > 0 && size + next.messages.length > this.maxBatchMessages) break;
        this.queue.shift();
        next.queued = false;
        batch.push(next);
        size += next.messages.length;
      }
      this.queuedMessages -= size;
      void this.produce(batch, size);
    }
    // The linger clock belongs to the oldest waiting message: with none left, stop it.
    if (this.queue.length === 0 && this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
  }

  private async produce(batch: Pending[], size: number): Promise<void> {
    this.inFlightBatches++;
    const byTopic = new Map<string, TopicMessages>();
    for (const pending of batch) {
      for (const { topic, key, value, headers, partition } of pending.messages) {
        let entry = byTopic.get(topic);
        if (!entry) byTopic.set(topic, (entry = { topic, messages: [] }));
        entry.messages.push({ key, value, headers, partition });
      }
    }
    this.metrics?.batchSize.observe(size);
    const span = sendSpan(batch, [...byTopic.keys()], size);
    const endTimer = this.metrics?.duration.startTimer();
    let failure: ProduceError | undefined;
    try {
      await this.producer.sendBatch({
        acks: -1,
        timeout: this.sendTimeoutMs,
        compression: this.compression,
        topicMessages: [...byTopic.values()],
      });
      endTimer?.({ outcome: 'success' });
    } catch (err) {
      endTimer?.({ outcome: 'error' });
      failure = new ProduceFailedError(err);
      if (span) failed(span, err);
      this.logger?.warn({ err, messages: size }, 'Kafka produce failed');
    }
    span?.end();
    this.inFlightBatches--;
    for (const pending of batch) this.settle(pending, failure);
    // Sends that arrived while this batch was in flight have waited long enough: go now.
    if (this.queue.length > 0) this.dispatch();
  }
}

/**
 * One produce call's span, as the messaging semantic conventions have a batched send: a child of one of its senders
 * of a sampled trace, linked to the others, each of which links back to it so that every request's trace leads to
 * the produce that carried its messages. Undefined when no sender is traced.
 */
function sendSpan(batch: Pending[], topics: string[], size: number): Span | undefined {
  const senders = batch.map((pending) => pending.parent).filter(sampled);
  if (senders.length === 0) return undefined;
  // The parent: the first sender still in progress (a request whose client went away has ended its span).
  const inProgress = senders.findIndex((sender) => sender.isRecording());
  const parentAt = inProgress === -1 ? 0 : inProgress;
  const first = senders[parentAt]!;
  const others = senders.filter((_, i) => i !== parentAt);
  const links: Link[] = others.slice(0, MAX_LINKS).map((sender) => ({ context: sender.spanContext() }));
  const single = topics.length === 1;
  const span = startSpan(single ? `send ${topics[0]}` : 'send', {
    kind: SpanKind.PRODUCER,
    parent: first,
    links,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      ...(single ? { 'messaging.destination.name': topics[0] } : {}),
      'messaging.batch.message_count': size,
    },
  });
  if (!span?.isRecording()) return span;
  const back: Link = { context: span.spanContext() };
  // A sender whose request ended meanwhile (the client went away) takes no more links.
  for (const sender of others) if (sender.isRecording()) sender.addLink(back);
  return span;
}
