import { RecentSet } from './bounded';

describe('RecentSet', () => {
  it('finds every value it took while it holds fewer than max, and none it did not', () => {
    const set = new RecentSet(20_000);
    const values = Array.from({ length: 9_999 }, (_, i) => (i * 2_654_435_761) & 0x3fffffff);
    for (const v of values) set.add(v);
    expect(values.every((v) => set.has(v))).toBe(true);
    const taken = new Set(values);
    const others = values.map((v) => v ^ 1).filter((v) => !taken.has(v));
    expect(others.length).toBeGreaterThan(9_000);
    expect(others.filter((v) => set.has(v))).toEqual([]);
  });

  it('takes 0 and the largest 30-bit value; adding a value twice keeps one', () => {
    const set = new RecentSet(10);
    set.add(0);
    set.add(0x3fffffff);
    set.add(0);
    expect([set.has(0), set.has(0x3fffffff), set.has(1)]).toEqual([true, true, false]);
  });

  it('keeps the newest max / 2 at least and forgets the older generation whole', () => {
    const set = new RecentSet(100);
    for (let v = 1; v <= 150; v++) set.add(v);
    // 1–50 and 51–100 were full generations; adding 101 dropped 1–50.
    expect([set.has(50), set.has(51), set.has(100), set.has(150)]).toEqual([false, true, true, true]);
  });
});
