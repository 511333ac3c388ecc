import type { MatchLastInsert } from '@pitchpulse/clickhouse';
import type { Span } from '@pitchpulse/tracing';
import { MarkerPoller } from './markers';

/** A marker source over an in-memory table of stored rows per match, counting its queries. */
function source(rows: Record<string, number>) {
  const calls: string[][] = [];
  const fetch = async (ids: string[]) => {
    calls.push([...ids]);
    await new Promise((r) => setTimeout(r, 5));
    return new Map(
      ids
        .filter((id) => rows[id])
        .map((id): [string, MatchLastInsert] => [
          id,
          { matchId: id, storedRows: rows[id]!, lastInsertedMs: 1 },
        ]),
    );
  };
  return { fetch, calls };
}

/** A stand-in for a request's span: only its trace flags are read (1: sampled). */
const spanWithFlags = (traceFlags: number) => ({ spanContext: () => ({ traceFlags }) }) as unknown as Span;

describe('MarkerPoller', () => {
  it("traces a batch's query under the first asking request whose trace is sampled", async () => {
    const parents: Array<Span | undefined> = [];
    const poller = new MarkerPoller({
      fetch: async (ids, parent) => {
        parents.push(parent);
        return new Map(
          ids.map((id): [string, MatchLastInsert] => [id, { matchId: id, storedRows: 1, lastInsertedMs: 1 }]),
        );
      },
    });
    const [unsampled, first, second] = [spanWithFlags(0), spanWithFlags(1), spanWithFlags(1)];
    await Promise.all([
      poller.marker('a'),
      poller.marker('b', unsampled),
      poller.marker('c', first),
      poller.marker('d', second),
    ]);
    await poller.marker('e');
    expect(parents).toEqual([first, undefined]);
  });

  it('answers many concurrent requests for many matches with one query', async () => {
    const { fetch, calls } = source({ a: 3, b: 5 });
    const poller = new MarkerPoller({ fetch });
    const answers = await Promise.all(['a', 'b', 'a', 'c', 'b', 'a'].map((id) => poller.marker(id)));
    expect(answers.map((m) => m.storedRows)).toEqual([3, 5, 3, 0, 5, 3]);
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('serves a marker confirmed less than maxAge ago without a query, then asks again', async () => {
    let now = 10_000;
    const { fetch, calls } = source({ a: 3 });
    const poller = new MarkerPoller({ fetch, maxAgeMs: 1000, now: () => now });
    await poller.marker('a');
    now += 1000;
    expect((await poller.marker('a')).confirmedAt).toBe(10_000);
    expect(calls).toHaveLength(1);
    now += 1;
    expect((await poller.marker('a')).confirmedAt).toBe(11_001);
    expect(calls).toHaveLength(2);
  });

  it('polls read and watched matches together, reports changes with the previous value, forgets idle ones', async () => {
    let now = 0;
    const rows: Record<string, number> = { a: 1, b: 1, c: 1 };
    const { fetch, calls } = source(rows);
    const changes: Array<[string, number]> = [];
    const poller = new MarkerPoller({
      fetch,
      idleMs: 5000,
      now: () => now,
      onChange: (id, n) => changes.push([id, n]),
    });
    await Promise.all(['a', 'b', 'c'].map((id) => poller.marker(id)));
    const unwatch = poller.watch('c');
    now += 4000;
    await poller.marker('b'); // fresh enough? no: 4 s old → fetched again
    rows.a = 2;
    rows.c = 7;
    now += 2000; // a: read 6 s ago (idle), b: 2 s ago, c: watched
    calls.length = 0;
    await poller.pollOnce();
    expect(calls.map((ids) => ids.sort())).toEqual([['b', 'c']]);
    expect(changes).toEqual([['c', 7]]);
    expect(await poller.marker('c')).toEqual({
      storedRows: 7,
      confirmedAt: 6000,
      since: 6000,
      previous: { storedRows: 1, confirmedAt: 0 },
    });
    expect(poller.size).toBe(2);
    unwatch();
    now += 10_000;
    await poller.pollOnce();
    expect(poller.size).toBe(0);
  });

  it('keeps at most maxMatches, dropping the least recently read unwatched ones', async () => {
    const { fetch } = source({});
    const poller = new MarkerPoller({ fetch, maxMatches: 3 });
    poller.watch('w');
    for (const id of ['a', 'b', 'c', 'd']) await poller.marker(id);
    expect(poller.size).toBeLessThanOrEqual(4);
    await poller.marker('e');
    expect(poller.size).toBe(3);
  });

  it('a failed query fails the requests waiting for it, and the next request asks again', async () => {
    let fail = true;
    const poller = new MarkerPoller({
      fetch: async (ids) => {
        if (fail) throw new Error('ClickHouse down');
        return new Map(
          ids.map((id): [string, MatchLastInsert] => [id, { matchId: id, storedRows: 4, lastInsertedMs: 1 }]),
        );
      },
    });
    await expect(poller.marker('a')).rejects.toThrow('ClickHouse down');
    fail = false;
    expect((await poller.marker('a')).storedRows).toBe(4);
  });
});
