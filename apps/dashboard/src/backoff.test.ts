import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, between half and all of it', () => {
    const low = (attempt: number) => backoffDelay(attempt, 1000, 30_000, () => 0);
    const high = (attempt: number) => backoffDelay(attempt, 1000, 30_000, () => 1);
    expect([0, 1, 2, 3, 4, 5, 6].map(low)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    expect([0, 1, 2, 3, 4, 5, 6].map(high)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(backoffDelay(1000, 1000, 30_000, () => 0.5)).toBe(22_500);
  });
});
