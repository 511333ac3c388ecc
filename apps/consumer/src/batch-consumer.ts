import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { StoredEvent } from '@pitchpulse/contract';
import { decodeRecordMessage, type StoredRecord } from '@pitchpulse/events';
import { failureFromHeaders } from '@pitchpulse/kafka';
import type { Logger } from '@pitchpulse/observability';
import type { Span } from '@pitchpulse/tracing';
import { sleep } from './backoff';
import { BatchBuffer, commitOffsetsFor, type ConsumedMessage } from './batch-buffer';
import type { FailureRouter } from './failure-router';
import { FlushTrace } from './flush-trace';
import type { ConsumerMetrics } from './metrics';
import { StoreAborted, storeRecords, type StoreDeps, type StorePolicy } from './store';

/**
 * Where events and retractions are stored: ClickHouse in production. `parent`: the flush's batch span, the parent
 * of the ClickHouse calls' spans.
 */
export interface EventStore extends Pick<StoreDeps<StoredRecord>, 'classify' | 'isAvailable'> {
  insert(records: StoredRecord[], parent?: Span): Promise<void>;
  /** Of stored retractions, the `matchId/eventId` of those whose event is stored (retractions_total{found}). */
  foundEvents?(
    retractions: ReadonlyArray<{ matchId: string; eventId: string }>,
    parent?: Span,
  ): Promise<Set<string>>;
}

export interface BatchConsumerOptions {
  /** `main` consumes match-events; `retry` consumes the retry topic and holds each message until it is due. */
  role: 'main' | 'retry';
  topic: string;
  groupId: string;
  flush: { maxEvents: number; intervalMs: number };
  store: StorePolicy;
  stallTimeoutMs: number;
  /** Consumer-group timing; the Kafka client's request timeout must exceed the session timeout (see app.ts). */
  group?: GroupTiming;
  /**
   * Each decoded event, in partition order, before it is buffered: the feed-integrity rules flag it here
   * (returns the event to store).
   */
  inspect?: (event: StoredEvent) => StoredEvent;
}

export interface GroupTiming {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
}

export const DEFAULT_GROUP_TIMING: GroupTiming = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1000,
  rebalanceTimeoutMs: 30_000,
};

/** Consecutive rejoins without a successful group join before the process reports itself not alive. */
export const MAX_REJOINS = 5;
/** The wait before the first rejoin, doubled for each further one in a row (at most 30 s). */
const REJOIN_BACKOFF_MS = 1000;

type Heartbeat = () => Promise<void>;
const noHeartbeat: Heartbeat = async () => undefined;

/**
 * A kafkajs consumer-group member that buffers events across fetches, stores them in one insert per flush
 * (1000 events or 5 s by default) and commits offsets only after the events are stored or routed to the
 * retry/DLQ topics. At-least-once delivery; ClickHouse's exact-distinct views make the effect exactly-once.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly buffer: BatchBuffer;
  private flushChain: Promise<void> = Promise.resolve();
  private flushStartedAt: number | undefined;
  private waitingForClickHouse = false;
  private stopping = false;
  private crashed: Error | undefined;
  private joined = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private assignment: number[] = [];
  /** Rejoins since the last successful group join (see onCrash). */
  private rejoins = 0;
  private rejoinTimer: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    private readonly eventStore: EventStore,
    private readonly router: FailureRouter,
    private readonly metrics: ConsumerMetrics,
    private readonly logger: Logger,
  ) {
    const group = options.group ?? DEFAULT_GROUP_TIMING;
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: group.sessionTimeoutMs,
      heartbeatInterval: group.heartbeatIntervalMs,
      rebalanceTimeout: group.rebalanceTimeoutMs,
      maxBytesPerPartition: 4 * 1024 * 1024,
      // An idle fetch returns after this at the latest: a broker that does not answer a waiting fetch as soon
      // as data arrives (librdkafka's mock) would otherwise hold new events back for up to kafkajs' 5 s.
      maxWaitTimeInMs: 1000,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.buffer = new BatchBuffer(options.flush.maxEvents, options.flush.intervalMs);
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.rejoins = 0;
      const dropped = this.buffer.clear();
      this.metrics.buffered.set(this.buffer.size);
      this.showAssignment(payload.memberAssignment[options.topic] ?? []);
      this.logger.info({ assignment: payload.memberAssignment, dropped }, 'joined consumer group');
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart) this.onCrash(payload.error);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.run();
    this.timer = setInterval(
      () => {
        if (this.flushStartedAt === undefined && this.buffer.isDue()) void this.flush(noHeartbeat);
      },
      Math.min(250, this.options.flush.intervalMs),
    );
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * kafkajs has given up for good (an error it does not retry, e.g. a SyncGroup answered INVALID_REQUEST, as
   * librdkafka's mock broker does to a member that syncs after the leader) and disconnected. Join again after a
   * back-off, as a restarted process would, keeping the buffer's uncommitted events out (the join clears it);
   * after MAX_REJOINS in a row without a successful join, report not alive so an orchestrator restarts us.
   */
  private onCrash(error: Error): void {
    this.joined = false;
    if (this.stopping || this.rejoins >= MAX_REJOINS) {
      this.crashed = error;
      return;
    }
    const waitMs = Math.min(30_000, REJOIN_BACKOFF_MS * 2 ** this.rejoins);
    this.rejoins++;
    this.logger.warn({ attempt: this.rejoins, waitMs }, 'joining the consumer group again');
    this.rejoinTimer = setTimeout(() => void this.rejoin(), waitMs);
  }

  private async rejoin(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.consumer.connect();
      await this.run();
      this.metrics.rejoins.inc({ topic: this.options.topic });
    } catch (err) {
      this.onCrash(err as Error);
    }
  }

  /** SIGTERM: stop taking messages, store and commit what is buffered, leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.rejoinTimer);
    clearInterval(this.timer);
    try {
      this.consumer.pause([{ topic: this.options.topic }]);
    } catch {
      // Never ran (start failed): nothing fetched, nothing to pause.
    }
    await this.flushChain;
    await this.flush(noHeartbeat).catch(() => undefined);
    await this.consumer.disconnect();
  }

  /** Liveness: false when kafkajs gave up, or a flush is stuck (not merely waiting for ClickHouse). */
  health(): { alive: boolean; reason?: string } {
    if (this.crashed) return { alive: false, reason: `consumer crashed: ${this.crashed.message}` };
    const running = this.flushStartedAt === undefined ? 0 : Date.now() - this.flushStartedAt;
    if (running > this.options.stallTimeoutMs && !this.waitingForClickHouse) {
      return { alive: false, reason: `a flush has been running for ${Math.round(running / 1000)} s` };
    }
    return { alive: true };
  }

  /** consumer_assigned_partitions: the partitions of this member's topic it owns since the last rebalance. */
  private showAssignment(partitions: number[]): void {
    for (const partition of this.assignment)
      this.metrics.assigned.remove({ topic: this.options.topic, partition: String(partition) });
    for (const partition of partitions)
      this.metrics.assigned.set({ topic: this.options.topic, partition: String(partition) }, 1);
    this.assignment = partitions;
  }

  get ready(): boolean {
    return this.joined && !this.stopping && !this.crashed;
  }

  get pausedForClickHouse(): boolean {
    return this.waitingForClickHouse;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    // Per event this is the consumer's hot loop. Resolving once per fetched batch spares kafkajs a Long parse per
    // event, and whether to go on can only change across an await, so it is checked after each one.
    const mayGoOn = () => isRunning() && !isStale() && !this.stopping;
    if (!mayGoOn()) return;
    let lastTaken: string | undefined;
    try {
      for (const message of batch.messages) {
        if (this.options.role === 'retry') {
          if (!(await this.holdUntilDue(message, heartbeat, isRunning)) || !mayGoOn()) break;
        }
        this.buffer.add(this.decode(batch.topic, batch.partition, message));
        lastTaken = message.offset;
        if (this.buffer.isFull()) {
          await this.startFlush(heartbeat);
          if (!mayGoOn()) break;
        }
      }
    } finally {
      if (lastTaken !== undefined) resolveOffset(lastTaken);
    }
    this.metrics.buffered.set(this.buffer.size);
    await heartbeat();
  }

  /** Retry topic: a message waits until its due time; what is buffered is flushed before the wait. */
  private async holdUntilDue(message: KafkaMessage, heartbeat: Heartbeat, isRunning: () => boolean) {
    const dueAt = failureFromHeaders(message.headers)?.dueAt ?? 0;
    if (dueAt <= Date.now()) return true;
    await this.flush(heartbeat);
    while (Date.now() < dueAt) {
      if (!isRunning() || this.stopping) return false;
      await sleep(Math.min(1000, dueAt - Date.now()));
      await heartbeat();
    }
    return true;
  }

  private decode(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
    const consumed: ConsumedMessage = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
    };
    let record: StoredRecord;
    try {
      record = decodeRecordMessage(message.value);
    } catch (err) {
      consumed.decodeError = (err as Error).message;
      return consumed;
    }
    const { inspect } = this.options;
    if (inspect && record.kind === 'event') {
      const event = inspect(record.event);
      if (event !== record.event) record = { kind: 'event', event };
    }
    consumed.record = record;
    return consumed;
  }

  /**
   * Starts flushing a full buffer without waiting for it, so the next batch is fetched and decoded while this
   * one is inserted. At most one flush runs: a second full buffer waits for it (backpressure), heartbeating.
   */
  private async startFlush(heartbeat: Heartbeat): Promise<void> {
    while (this.inFlight) {
      await Promise.race([this.inFlight, sleep(1000)]);
      await heartbeat();
    }
    const run: Promise<void> = this.flush(heartbeat)
      .catch(() => undefined)
      .finally(() => {
        if (this.inFlight === run) this.inFlight = undefined;
      });
    this.inFlight = run;
  }

  /** Flushes one batch after any flush in progress (one at a time, in order). */
  private flush(heartbeat: Heartbeat): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce(heartbeat));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushOnce(heartbeat: Heartbeat): Promise<void> {
    const items = this.buffer.take();
    this.metrics.buffered.set(this.buffer.size);
    if (items.length === 0) return;
    this.flushStartedAt = Date.now();
    const endTimer = this.metrics.flushDuration.startTimer();
    const trace = new FlushTrace(this.options.topic, items);
    try {
      await this.storeAndRoute(items, heartbeat, trace);
      await this.commit(items);
      trace.end();
      this.metrics.batchSize.observe(items.length);
      if (this.logger.isLevelEnabled('debug')) {
        const ms = Date.now() - this.flushStartedAt;
        this.logger.debug({ events: items.length, ms, ...trace.requestIds() }, 'flushed');
      }
    } catch (err) {
      trace.end(err);
      // Nothing committed: the messages stay ours to store. Shutdown leaves them for redelivery.
      if (!(err instanceof StoreAborted)) {
        this.logger.error(
          { err, events: items.length, ...trace.requestIds() },
          'flush failed; will try again',
        );
        this.buffer.restore(items);
        await sleep(1000);
      }
    } finally {
      endTimer();
      this.flushStartedAt = undefined;
    }
  }

  private async storeAndRoute(items: ConsumedMessage[], heartbeat: Heartbeat, trace: FlushTrace) {
    const decoded = items.filter((m) => m.record !== undefined);
    const outcome = await storeRecords(
      decoded,
      (m) => m.record!,
      this.storeDeps(heartbeat, trace),
      this.options.store,
    );
    const retractions = outcome.stored.flatMap((m) =>
      m.record!.kind === 'retraction' ? [m.record!.retraction] : [],
    );
    this.metrics.rowsInserted.inc({ source: this.options.role }, outcome.stored.length - retractions.length);
    await this.countRetractions(retractions, trace);
    await this.router.route([
      ...items
        .filter((m) => m.record === undefined)
        .map((m) => ({ source: m, kind: 'undecodable' as const, error: m.decodeError ?? 'undecodable' })),
      ...outcome.failed.map((f) => ({ source: f.item, kind: f.kind, error: f.error })),
    ]);
  }

  /** retractions_total{found}: whether each stored retraction's event was stored by then (logged, never fatal). */
  private async countRetractions(
    retractions: ReadonlyArray<{ matchId: string; eventId: string }>,
    trace: FlushTrace,
  ) {
    if (retractions.length === 0 || !this.eventStore.foundEvents) return;
    try {
      const stored = await this.eventStore.foundEvents(retractions, trace.span);
      const found = retractions.map((r) => stored.has(`${r.matchId}/${r.eventId}`));
      const hits = found.filter(Boolean).length;
      this.metrics.retractions.inc({ found: 'true' }, hits);
      this.metrics.retractions.inc({ found: 'false' }, retractions.length - hits);
      retractions.forEach((r, i) =>
        this.logger.info({ matchId: r.matchId, eventId: r.eventId, found: found[i] }, 'retraction stored'),
      );
    } catch (err) {
      this.metrics.retractions.inc({ found: 'unknown' }, retractions.length);
      this.logger.warn(
        { err, retractions: retractions.length },
        'retractions stored; could not tell whether their events are',
      );
    }
  }

  private storeDeps(heartbeat: Heartbeat, trace: FlushTrace): StoreDeps<StoredRecord> {
    return {
      ...this.eventStore,
      insert: async (rows) => {
        const startedAt = Date.now();
        await this.eventStore.insert(rows, trace.span);
        trace.inserted(startedAt, Date.now(), rows.length);
      },
      heartbeat,
      aborted: () => this.stopping && this.waitingForClickHouse,
      onError: (kind, err) => {
        this.metrics.insertErrors.inc({ kind });
        this.logger.warn({ err, kind }, 'ClickHouse insert failed');
      },
      onWaiting: (waiting) => {
        this.waitingForClickHouse = waiting;
        this.metrics.clickhouseWaiting.set(waiting ? 1 : 0);
        this.logger.warn(waiting ? 'ClickHouse unavailable: pausing until it answers' : 'ClickHouse is back');
      },
    };
  }

  private async commit(items: ConsumedMessage[]): Promise<void> {
    const offsets = commitOffsetsFor(items);
    try {
      await this.consumer.commitOffsets(offsets);
      this.metrics.lastCommit.set({ topic: this.options.topic }, Date.now() / 1000);
    } catch (err) {
      // A rebalance took the partitions: the events are stored, their new owner re-reads (and dedupes) them.
      this.logger.warn({ err, offsets }, 'offset commit failed; events are stored and will be redelivered');
    }
  }
}
