import { TokenBucketLimiter } from './rate-limit';

describe('TokenBucketLimiter', () => {
  function limiter(perSecond: number, burst: number, maxKeys?: number) {
    let now = 1_000_000;
    const l = new TokenBucketLimiter({ perSecond, burst, maxKeys, now: () => now });
    return { l, advance: (ms: number) => (now += ms) };
  }

  it('allows a burst, then refuses with the seconds until a token is back', () => {
    const { l } = limiter(2, 3);
    expect([1, 2, 3].map(() => l.take('a').allowed)).toEqual([true, true, true]);
    expect(l.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the configured rate, never beyond the burst', () => {
    const { l, advance } = limiter(10, 5);
    for (let i = 0; i < 5; i++) l.take('a');
    advance(250); // 2.5 tokens
    expect([1, 2, 3].map(() => l.take('a').allowed)).toEqual([true, true, false]);
    advance(60_000);
    const allowed = Array.from({ length: 7 }, () => l.take('a').allowed).filter(Boolean).length;
    expect(allowed).toBe(5);
  });

  it('keeps one bucket per key', () => {
    const { l } = limiter(1, 1);
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('a').allowed).toBe(false);
    expect(l.take('b').allowed).toBe(true);
  });

  it('peeks without taking, and without keeping a bucket for a key it has not seen', () => {
    const { l } = limiter(1, 2);
    expect(l.peek('new')).toEqual({ allowed: true });
    expect(l.peek('new', 3)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(l.size).toBe(0);
    l.take('a');
    l.take('a');
    expect(l.peek('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(l.size).toBe(1);
  });

  it('tells a slow refill in whole seconds', () => {
    const { l } = limiter(0.1, 1);
    l.take('a');
    expect(l.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
  });

  it('stays bounded in memory: refilled buckets go first, then the oldest', () => {
    const { l, advance } = limiter(1, 1, 4);
    for (const k of ['a', 'b', 'c', 'd']) l.take(k);
    advance(2000); // all refilled: equivalent to absent
    l.take('e');
    expect(l.size).toBe(1);
    for (const k of ['f', 'g', 'h']) l.take(k);
    l.take('i'); // none refilled: the oldest half goes
    expect(l.size).toBeLessThanOrEqual(4);
    expect(l.take('i').allowed).toBe(false);
  });
});
