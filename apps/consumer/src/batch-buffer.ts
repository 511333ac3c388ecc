import type { IHeaders } from 'kafkajs';
import type { StoredRecord } from '@pitchpulse/events';

/** One consumed Kafka message: decoded, or with the reason it could not be. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  /** the event or retraction it carries, once decoded */
  record?: StoredRecord;
  decodeError?: string;
}

/**
 * Accumulates messages across kafkajs fetches until a size or age threshold, and knows which offsets to commit
 * once everything it handed out is stored.
 */
export class BatchBuffer {
  private items: ConsumedMessage[] = [];
  private oldestAt: number | undefined;

  constructor(
    private readonly maxEvents: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(message: ConsumedMessage): void {
    if (this.items.length === 0) this.oldestAt = this.now();
    this.items.push(message);
  }

  isFull(): boolean {
    return this.items.length >= this.maxEvents;
  }

  isDue(): boolean {
    return (
      this.oldestAt !== undefined && this.items.length > 0 && this.now() - this.oldestAt >= this.maxAgeMs
    );
  }

  /** Takes up to maxEvents messages, oldest first. */
  take(): ConsumedMessage[] {
    const taken = this.items.splice(0, this.maxEvents);
    this.oldestAt = this.items.length > 0 ? this.oldestAt : undefined;
    return taken;
  }

  /** Puts messages back at the front, e.g. after a flush that could not finish. */
  restore(messages: ConsumedMessage[]): void {
    if (messages.length === 0) return;
    this.items = [...messages, ...this.items];
    this.oldestAt ??= this.now();
  }

  /**
   * Forgets everything buffered. After a rebalance kafkajs re-reads every assigned partition from its committed
   * offset, so anything not yet stored comes again, to this member or to the partition's new owner.
   */
  clear(): number {
    const dropped = this.items.length;
    this.items = [];
    this.oldestAt = undefined;
    return dropped;
  }
}

/** Kafka offsets are decimal strings without leading zeros: the longer one is larger. */
const isAfter = (a: string, b: string): boolean => (a.length !== b.length ? a.length > b.length : a > b);

/** The offsets to commit after `messages` are stored: per partition, the highest offset + 1. */
export function commitOffsetsFor(
  messages: ConsumedMessage[],
): Array<{ topic: string; partition: number; offset: string }> {
  const highest = new Map<string, Map<number, ConsumedMessage>>();
  for (const m of messages) {
    let ofTopic = highest.get(m.topic);
    if (!ofTopic) highest.set(m.topic, (ofTopic = new Map()));
    const current = ofTopic.get(m.partition);
    if (!current || isAfter(m.offset, current.offset)) ofTopic.set(m.partition, m);
  }
  return [...highest.values()]
    .flatMap((ofTopic) => [...ofTopic.values()])
    .map((m) => ({
      topic: m.topic,
      partition: m.partition,
      offset: (BigInt(m.offset) + 1n).toString(),
    }));
}
