import type { IHeaders } from 'kafkajs';
import type { StoredEvent } from '@pitchpulse/events';

/** One consumed Kafka message: decoded, or with the reason it could not be. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
  event?: StoredEvent;
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

/** The offsets to commit after `messages` are stored: per partition, the highest offset + 1. */
export function commitOffsetsFor(
  messages: ConsumedMessage[],
): Array<{ topic: string; partition: number; offset: string }> {
  const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const m of messages) {
    const id = `${m.topic}\u0000${m.partition}`;
    const offset = BigInt(m.offset) + 1n;
    const current = next.get(id);
    if (!current || offset > current.offset) next.set(id, { topic: m.topic, partition: m.partition, offset });
  }
  return [...next.values()].map((o) => ({ ...o, offset: o.offset.toString() }));
}
