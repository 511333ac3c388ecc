import { DEFAULT_RETRY, parseRetryAfter, retryDelay } from './retry';

describe('Retry-After', () => {
  const now = Date.parse('2024-05-18T14:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(' 0.5 ', now)).toBe(500);
    expect(parseRetryAfter('Sat, 18 May 2024 14:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 18 May 2024 13:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['1', '9'], now)).toBe(1000);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });

  it('waits what the server asks (+ ≤ 10 % jitter), capped; else backs off exponentially', () => {
    expect(retryDelay(DEFAULT_RETRY, 1, 2000, () => 0)).toBe(2000);
    expect(retryDelay(DEFAULT_RETRY, 1, 2000, () => 1)).toBe(2200);
    expect(retryDelay(DEFAULT_RETRY, 1, 3_600_000, () => 0)).toBe(DEFAULT_RETRY.maxDelayMs);
    expect(retryDelay(DEFAULT_RETRY, 1, undefined, () => 1)).toBe(100);
    expect(retryDelay(DEFAULT_RETRY, 4, undefined, () => 1)).toBe(800);
    expect(retryDelay(DEFAULT_RETRY, 4, undefined, () => 0)).toBe(400);
    expect(retryDelay(DEFAULT_RETRY, 30, undefined, () => 1)).toBe(DEFAULT_RETRY.maxDelayMs);
  });
});
