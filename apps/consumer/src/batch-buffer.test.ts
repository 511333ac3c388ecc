import { BatchBuffer, commitOffsetsFor, type ConsumedMessage } from './batch-buffer';
import { backoffDelay, retryDelay } from './backoff';

const message = (partition: number, offset: number, topic = 't'): ConsumedMessage => ({
  topic,
  partition,
  offset: String(offset),
  key: null,
  value: null,
});

describe('BatchBuffer', () => {
  it('is full at maxEvents and hands out at most maxEvents, oldest first', () => {
    const buffer = new BatchBuffer(3, 5000);
    for (let i = 0; i < 5; i++) buffer.add(message(0, i));
    expect(buffer.isFull()).toBe(true);
    expect(buffer.take().map((m) => m.offset)).toEqual(['0', '1', '2']);
    expect(buffer.size).toBe(2);
    expect(buffer.isFull()).toBe(false);
  });

  it('is due once its oldest message is maxAge old', () => {
    let now = 1000;
    const buffer = new BatchBuffer(1000, 5000, () => now);
    expect(buffer.isDue()).toBe(false);
    buffer.add(message(0, 1));
    now = 5999;
    buffer.add(message(0, 2));
    expect(buffer.isDue()).toBe(false);
    now = 6000;
    expect(buffer.isDue()).toBe(true);
    buffer.take();
    expect(buffer.isDue()).toBe(false);
  });

  it('restores messages at the front and forgets everything on clear', () => {
    const buffer = new BatchBuffer(10, 5000);
    buffer.add(message(1, 5));
    buffer.add(message(2, 9));
    const taken = buffer.take();
    buffer.add(message(1, 6));
    buffer.restore(taken);
    expect(buffer.take().map((m) => `${m.partition}:${m.offset}`)).toEqual(['1:5', '2:9', '1:6']);
    buffer.restore(taken);
    expect(buffer.clear()).toBe(2);
    expect(buffer.size).toBe(0);
    expect(buffer.isDue()).toBe(false);
  });
});

describe('commitOffsetsFor', () => {
  it('commits the highest offset + 1 per topic partition, with 64-bit offsets', () => {
    const offsets = commitOffsetsFor([
      message(0, 4),
      message(0, 2),
      message(1, 10),
      message(1, 9),
      { ...message(0, 0, 'u'), offset: '9007199254740993' },
    ]);
    expect(offsets).toEqual([
      { topic: 't', partition: 0, offset: '5' },
      { topic: 't', partition: 1, offset: '11' },
      { topic: 'u', partition: 0, offset: '9007199254740994' },
    ]);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('spaces retry-topic attempts ×4 apart, capped', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, 5000, 60_000))).toEqual([5000, 20_000, 60_000, 60_000]);
  });
});
