import { ShortLived } from './short-lived';

describe('ShortLived', () => {
  let now = 0;
  const clock = () => now;

  it('shares one load per key within maxAge, loads again after it', async () => {
    now = 0;
    const cache = new ShortLived<number>(1000, 10, clock);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    now = 1000;
    expect(await cache.get('a', load)).toBe(1);
    now = 1001;
    expect(await cache.get('a', load)).toBe(2);
    expect(await cache.get('b', load)).toBe(3);
  });

  it('forgets a failed load at once, and the keys `forget` names', async () => {
    now = 0;
    const cache = new ShortLived<string>(1000, 10, clock);
    await expect(cache.get('m1:*', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('m1:*', () => Promise.resolve('fresh'))).toBe('fresh');
    await cache.get('m2:*', () => Promise.resolve('kept'));
    cache.forget((key) => key.startsWith('m1:'));
    expect(await cache.get('m1:*', () => Promise.resolve('again'))).toBe('again');
    expect(await cache.get('m2:*', () => Promise.resolve('not loaded'))).toBe('kept');
  });

  it('keeps at most maxEntries keys, dropping the oldest', async () => {
    now = 0;
    const cache = new ShortLived<string>(1000, 2, clock);
    for (const k of ['a', 'b', 'c']) await cache.get(k, () => Promise.resolve(k));
    expect(await cache.get('a', () => Promise.resolve('a2'))).toBe('a2');
    expect(await cache.get('c', () => Promise.resolve('c2'))).toBe('c');
  });
});
