import { LinkedSet } from './linked-set';

const item = (name: string) => ({ name });

describe('LinkedSet', () => {
  it('adds, finds and deletes objects, counting them', () => {
    const set = new LinkedSet<{ name: string }>();
    const [a, b, c] = [item('a'), item('b'), item('c')];
    set.add(a);
    set.add(b);
    set.add(c);
    set.add(b);
    expect(set.size).toBe(3);
    expect([a, b, c].map((x) => set.has(x))).toEqual([true, true, true]);
    expect(set.delete(b)).toBe(true);
    expect(set.delete(b)).toBe(false);
    expect(set.has(b)).toBe(false);
    expect(set.size).toBe(2);
    expect(set.has(item('a'))).toBe(false);
  });

  it('keeps the others linked whichever one leaves (newest, oldest, in between)', () => {
    const set = new LinkedSet<{ name: string }>();
    const items = ['a', 'b', 'c', 'd', 'e'].map(item);
    for (const x of items) set.add(x);
    set.delete(items[4]!);
    set.delete(items[0]!);
    set.delete(items[2]!);
    expect(set.takeAll().map((x) => x.name)).toEqual(['d', 'b']);
    expect(set.size).toBe(0);
    expect(set.takeAll()).toEqual([]);
  });

  it('takes an object again after it left or was taken', () => {
    const set = new LinkedSet<{ name: string }>();
    const a = item('a');
    set.add(a);
    set.delete(a);
    set.add(a);
    expect(set.takeAll()).toEqual([a]);
    set.add(a);
    expect(set.has(a)).toBe(true);
    expect(set.size).toBe(1);
  });

  it('holds an object in two sets independently', () => {
    const first = new LinkedSet<{ name: string }>();
    const second = new LinkedSet<{ name: string }>();
    const [a, b] = [item('a'), item('b')];
    first.add(a);
    first.add(b);
    second.add(a);
    first.delete(a);
    expect(second.has(a)).toBe(true);
    expect(first.takeAll()).toEqual([b]);
    expect(second.takeAll()).toEqual([a]);
  });

  it('tells a copy of a member, which carries its link, from the member', () => {
    const set = new LinkedSet<{ name: string }>();
    const [a, b] = [item('a'), item('b')];
    set.add(a);
    set.add(b);
    const copy = { ...a };
    expect(set.has(copy)).toBe(false);
    expect(set.delete(copy)).toBe(false);
    expect(set.takeAll()).toEqual([b, a]);
  });
});
