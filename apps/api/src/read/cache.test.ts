import type { Versioned } from '@pitchpulse/clickhouse';
import type { Span } from '@pitchpulse/tracing';
import { ReadCache, type CacheResult } from './cache';
import type { Marker, MarkerPoller } from './markers';

/** A marker source under the test's control (the poller itself is tested in markers.test.ts). */
function setup(settleMs = 0) {
  let now = 100_000;
  let marker: Marker = { storedRows: 10, confirmedAt: now, since: now };
  const markers = { maxAgeMs: 1000, marker: async () => marker } as unknown as MarkerPoller;
  const results: CacheResult[] = [];
  let computations = 0;
  const cache = new ReadCache({
    markers,
    now: () => now,
    onResult: (_r, result) => results.push(result),
    onCompute: () => computations++,
    settleMs,
  });
  let rows = 10;
  let release: (() => void) | undefined;
  let hold = false;
  const compute = async (): Promise<Versioned<string>> => {
    const seen = rows;
    if (hold) await new Promise<void>((r) => (release = r));
    return { value: `answer@${seen}`, storedRows: seen };
  };
  return {
    cache,
    results,
    get computations() {
      return computations;
    },
    read: (allowPrevious = true) =>
      cache.get('m', 'metrics', compute, 'none', { allowPrevious }).then((v) => v.value),
    advance: (ms: number) => (now += ms),
    /** The match got rows; the poll saw it now (the previous count was last seen at `previousSeen`). */
    change: (to: number, previousSeen = now - 250) => {
      marker = {
        storedRows: to,
        confirmedAt: now,
        since: now,
        previous: { storedRows: rows, confirmedAt: previousSeen },
      };
      rows = to;
    },
    confirm: () => (marker = { ...marker, confirmedAt: now }),
    noRows: () => (marker = { storedRows: 0, confirmedAt: now, since: now }),
    holdComputations: () => (hold = true),
    finish: () => {
      hold = false;
      release?.();
    },
  };
}

describe('ReadCache', () => {
  it("gives the asking request's span to the computation it waits for, none to one in the background", async () => {
    const t = setup();
    const parents: unknown[] = [];
    const request = { name: 'a request span' } as unknown as Span;
    let rows = 10;
    const compute = async (parent: Span | undefined): Promise<Versioned<string>> => {
      parents.push(parent);
      return { value: `answer@${rows}`, storedRows: rows };
    };
    const read = () => t.cache.get('m', 'metrics', compute, 'none', { allowPrevious: true, parent: request });
    await read();
    t.advance(100);
    t.change(11);
    rows = 11;
    // the previous answer is served at once; the new one is computed in the background
    expect((await read()).value).toBe('answer@10');
    await new Promise((r) => setImmediate(r));
    expect(parents).toEqual([request, undefined]);
  });

  it('computes once for concurrent readers, then serves from memory while the marker stays', async () => {
    const t = setup();
    expect(await Promise.all([t.read(), t.read(), t.read()])).toEqual([
      'answer@10',
      'answer@10',
      'answer@10',
    ]);
    expect(t.computations).toBe(1);
    t.advance(5000);
    t.confirm();
    expect(await t.read()).toBe('answer@10');
    expect(t.computations).toBe(1);
    expect(t.results).toEqual(['miss', 'hit', 'hit', 'hit']);
  });

  it('after a change: the previous answer while it is under a second old, recomputed in the background', async () => {
    const t = setup();
    await t.read();
    t.advance(300);
    t.change(12); // the old count was last seen 250 ms ago
    t.holdComputations();
    expect(await t.read()).toBe('answer@10'); // not waiting for ClickHouse
    expect(t.results.at(-1)).toBe('stale');
    expect(t.computations).toBe(2);
    t.finish();
    await new Promise((r) => setImmediate(r));
    expect(await t.read()).toBe('answer@12');
    expect(t.computations).toBe(2);
  });

  it('never serves an answer past the bound: a reader waits for the new one then', async () => {
    const t = setup();
    await t.read();
    t.advance(2000);
    t.change(15, t.advance(0) - 1001); // the old count was last seen 1,001 ms ago
    expect(await t.read()).toBe('answer@15');
    expect(t.results.at(-1)).toBe('miss');
  });

  it('other readers (streams, timeline, players…) wait for the new answer, joining a computation already running', async () => {
    const t = setup();
    await t.read();
    t.advance(300);
    t.change(11);
    t.holdComputations();
    expect(await t.read()).toBe('answer@10'); // starts the background computation
    const fresh = t.read(false);
    t.finish();
    expect(await fresh).toBe('answer@11');
    expect(t.computations).toBe(2);
  });

  it('an answer read while a view was still being filled is not current: the next reader computes again', async () => {
    let now = 0;
    const markers = {
      maxAgeMs: 1000,
      marker: async () => ({ storedRows: 20, confirmedAt: now, since: 0 }),
    };
    const cache = new ReadCache({ markers: markers as unknown as MarkerPoller, now: () => now });
    const seen = [18, 20];
    let computations = 0;
    const compute = async () => {
      const storedRows = seen[Math.min(computations++, seen.length - 1)]!;
      return { value: `answer@${storedRows}`, storedRows };
    };
    expect((await cache.get('m', 'players', compute, null)).value).toBe('answer@18');
    now += 10;
    expect((await cache.get('m', 'players', compute, null)).value).toBe('answer@20');
    expect((await cache.get('m', 'players', compute, null)).value).toBe('answer@20');
    expect(computations).toBe(2);
  });

  it('on a cluster (settleMs): an answer computed soon after its marker moved is served, then computed again once the replicas settled, and only that one is kept', async () => {
    const t = setup(6000);
    expect(await t.read()).toBe('answer@10'); // computed at once: the marker was first seen just now
    t.advance(1000);
    expect(await t.read()).toBe('answer@10');
    expect(t.results).toEqual(['miss', 'stale']);
    expect(t.computations).toBe(1); // too soon to compute again: the replicas may not have settled
    t.advance(5000);
    t.confirm();
    expect(await t.read()).toBe('answer@10'); // served while it is computed again
    expect(t.results.at(-1)).toBe('stale');
    expect(t.computations).toBe(2);
    await new Promise((r) => setImmediate(r));
    t.advance(10_000);
    t.confirm();
    expect(await t.read()).toBe('answer@10');
    expect(t.results.at(-1)).toBe('hit'); // the answer computed after the settle time is current
    expect(t.computations).toBe(2);
  });

  it('a match without rows is answered empty without computing', async () => {
    const t = setup();
    t.noRows();
    expect(await t.read()).toBe('none');
    expect(t.computations).toBe(0);
  });

  it('keeps at most maxEntries answers', async () => {
    const markers = {
      maxAgeMs: 1000,
      marker: async () => ({ storedRows: 1, confirmedAt: Date.now(), since: 0 }),
    };
    const cache = new ReadCache({ markers: markers as unknown as MarkerPoller, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) {
      await cache.get(id, 'metrics', async () => ({ value: id, storedRows: 1 }), null);
    }
    expect(cache.size).toBe(2);
    expect(cache.has('a', 'metrics')).toBe(false);
    expect(cache.has('c', 'metrics')).toBe(true);
  });
});
