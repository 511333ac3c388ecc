import { randomUUID } from 'node:crypto';
import { SecondCounts } from './bounded';
import { DEFAULT_SOURCE_RULES, SourceMonitor } from './source-rules';

/** The same UUID for the same (prefix, n): eventIds are UUIDs (the rules keep fingerprints of them). */
const uuids = new Map<string, string>();
const uuidOf = (key: string) => uuids.get(key) ?? (uuids.set(key, randomUUID()), uuids.get(key)!);
const ids = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => uuidOf(`${prefix}-${from + i}`));
const T0 = 1_700_000_000_000;

describe('SecondCounts', () => {
  it('sums the seconds of a range and forgets seconds older than the ring', () => {
    const counts = new SecondCounts(5);
    counts.add(T0, 1);
    counts.add(T0 + 1000, 2);
    counts.add(T0 + 2500, 4);
    expect(counts.sum(T0 + 2500, 3)).toBe(7);
    expect(counts.sum(T0 + 2500, 1)).toBe(4);
    expect(counts.sum(T0 + 2500, 2, 1)).toBe(3);
    expect(counts.sum(T0 + 6000, 5)).toBe(4); // T0 and T0+1 s left the 5-second ring
    expect(counts.sum(T0 + 60_000, 5)).toBe(0);
  });
});

describe('SourceMonitor: source velocity', () => {
  const options = { ...DEFAULT_SOURCE_RULES, newSourceMaxEvents: 1000, spikeMinEvents: 300, spikeFactor: 10 };

  it('flags a new source sending more than newSourceMaxEvents in 10 s, not one sending exactly that many', () => {
    const monitor = new SourceMonitor(options);
    expect(monitor.judge('a', ids('a', 600), T0).velocity).toBe(false);
    expect(monitor.judge('a', ids('a', 400, 600), T0 + 5000).velocity).toBe(false);
    expect(monitor.judge('a', ids('a', 1, 1000), T0 + 9000).velocity).toBe(true);
    expect(monitor.judge('b', ids('b', 1000), T0).velocity).toBe(false);
  });

  it('flags an established source whose last 10 s exceed 10 × its earlier rate, and not a steady one', () => {
    const monitor = new SourceMonitor(options);
    // 30 s at 5 events a second: 50 per 10 s.
    for (let s = 0; s < 30; s++)
      expect(monitor.judge('a', ids(`a${s}`, 5), T0 + s * 1000).velocity).toBe(false);
    // 501 in one second: above 300 and above 10 × 50.
    expect(monitor.judge('a', ids('burst', 450), T0 + 30_000).velocity).toBe(false);
    expect(monitor.judge('a', ids('burst2', 51), T0 + 30_100).velocity).toBe(true);

    const steady = new SourceMonitor(options);
    for (let s = 0; s < 120; s++) {
      expect(steady.judge('s', ids(`s${s}`, 90), T0 + s * 1000).velocity).toBe(false); // 900 per 10 s, always
    }
  });

  it('does not call a quiet source that wakes up with a few events a spike (spikeMinEvents)', () => {
    const monitor = new SourceMonitor(options);
    monitor.judge('a', ids('a', 1), T0);
    expect(monitor.judge('a', ids('b', 300), T0 + 40_000).velocity).toBe(false);
    expect(monitor.judge('a', ids('c', 1), T0 + 40_001).velocity).toBe(true);
  });

  it('judges a source silent for longer than its 70 s of history as new again', () => {
    const monitor = new SourceMonitor(options);
    monitor.judge('a', ids('a', 10), T0);
    expect(monitor.judge('a', ids('b', 1000), T0 + 70_001).velocity).toBe(false);
    expect(monitor.judge('a', ids('c', 1), T0 + 70_002).velocity).toBe(true);
    const recent = new SourceMonitor(options);
    recent.judge('a', ids('a', 10), T0);
    expect(recent.judge('a', ids('b', 301), T0 + 69_000).velocity).toBe(true);
  });

  it('keeps at most maxSources sources, forgetting the least recently seen', () => {
    const monitor = new SourceMonitor({ ...options, maxSources: 3 });
    for (const s of ['a', 'b', 'c', 'a', 'd']) monitor.judge(s, ids('x', 1), T0);
    expect(monitor.trackedSources).toBe(3);
  });
});

describe('SourceMonitor: duplicate storm', () => {
  const options = { ...DEFAULT_SOURCE_RULES, duplicateMinEvents: 100, duplicateShare: 0.5 };

  it('flags re-sent events once they are ≥ 100 and ≥ half of the source’s last minute', () => {
    const monitor = new SourceMonitor(options);
    const first = ids('e', 100);
    expect(monitor.judge('a', first, T0).duplicateStorm).toEqual([]);
    monitor.accepted(first);
    const justUnder = new SourceMonitor(options);
    justUnder.judge('a', first, T0);
    justUnder.accepted(first);
    expect(justUnder.judge('a', [...first, 'new-1'], T0 + 1000).duplicateStorm).toEqual([]); // 100 of 201
    const verdict = monitor.judge('a', first, T0 + 1000); // 100 of 200
    expect(verdict.duplicateStorm).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('does not flag a source re-sending a small share, or fewer than duplicateMinEvents', () => {
    const monitor = new SourceMonitor(options);
    const first = ids('e', 1000);
    monitor.judge('a', first, T0);
    monitor.accepted(first);
    expect(monitor.judge('a', first.slice(0, 99), T0 + 1000).duplicateStorm).toEqual([]);
    expect(monitor.judge('a', first.slice(99, 200), T0 + 2000).duplicateStorm).toEqual([]); // 200 of 1200
  });

  it('counts only what was accepted (acknowledged by Kafka) as a re-send', () => {
    const monitor = new SourceMonitor(options);
    monitor.judge('a', ids('e', 100), T0);
    expect(monitor.judge('a', ids('e', 100), T0 + 1000).duplicateStorm).toEqual([]);
  });

  it('remembers at most acceptedMemory eventIds (two generations)', () => {
    const monitor = new SourceMonitor({ ...options, acceptedMemory: 200 });
    monitor.accepted(ids('old', 100));
    monitor.accepted(ids('mid', 100));
    monitor.accepted(ids('new', 100));
    const verdict = monitor.judge('a', [...ids('old', 100), ...ids('new', 100)], T0);
    expect(verdict.duplicateStorm).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });
});
