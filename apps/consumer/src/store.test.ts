import type { StoredEvent } from '@pitchpulse/contract';
import { StoreAborted, storeRecords, type InsertErrorKind, type StoreDeps } from './store';

class KindError extends Error {
  constructor(readonly kind: InsertErrorKind) {
    super(`${kind} failure`);
  }
}

const event = (n: number): StoredEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  matchId: 'm1',
  eventType: 'pass',
  timestamp: '2024-01-15T14:30:00Z',
  teamId: 1,
  receivedAt: 1,
});

const policy = { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2 }, unavailablePollMs: 1 };

function deps(
  insert: (events: StoredEvent[]) => Promise<void>,
  extra: Partial<StoreDeps<StoredEvent>> = {},
): StoreDeps<StoredEvent> {
  return {
    insert,
    classify: (err) => (err instanceof KindError ? err.kind : 'transient'),
    isAvailable: async () => true,
    heartbeat: async () => undefined,
    aborted: () => false,
    ...extra,
  };
}

describe('storeRecords', () => {
  it('stores everything in one insert when it succeeds', async () => {
    const calls: number[] = [];
    const items = Array.from({ length: 1000 }, (_, i) => event(i));
    const outcome = await storeRecords(
      items,
      (e) => e,
      deps(async (e) => void calls.push(e.length)),
      policy,
    );
    expect(calls).toEqual([1000]);
    expect(outcome).toEqual({ stored: items, failed: [] });
  });

  it('bisects a data error down to the one bad event, storing its 999 neighbours', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => event(i));
    const stored: StoredEvent[] = [];
    let inserts = 0;
    const outcome = await storeRecords(
      items,
      (e) => e,
      deps(async (events) => {
        inserts += 1;
        if (events.includes(items[637]!)) throw new KindError('data');
        stored.push(...events);
      }),
      policy,
    );
    expect(outcome.failed).toEqual([{ item: items[637], kind: 'data', error: 'data failure' }]);
    expect(outcome.stored).toHaveLength(999);
    expect(new Set(stored)).toEqual(new Set(items.filter((_, i) => i !== 637)));
    expect(inserts).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)) + 1);
  });

  it('retries transient errors in place and succeeds', async () => {
    let attempts = 0;
    const outcome = await storeRecords(
      [event(1)],
      (e) => e,
      deps(async () => {
        if (++attempts < 3) throw new KindError('transient');
      }),
      policy,
    );
    expect(attempts).toBe(3);
    expect(outcome.failed).toEqual([]);
  });

  it('reports every event failed after the last transient attempt', async () => {
    let attempts = 0;
    const items = [event(1), event(2)];
    const outcome = await storeRecords(
      items,
      (e) => e,
      deps(async () => {
        attempts += 1;
        throw new KindError('transient');
      }),
      policy,
    );
    expect(attempts).toBe(3);
    expect(outcome.stored).toEqual([]);
    expect(outcome.failed.map((f) => [f.item, f.kind])).toEqual([
      [items[0], 'transient'],
      [items[1], 'transient'],
    ]);
  });

  it('waits while ClickHouse is unavailable without spending attempts, heartbeating', async () => {
    let down = true;
    let attempts = 0;
    let heartbeats = 0;
    let polls = 0;
    const waiting: boolean[] = [];
    const outcome = await storeRecords(
      [event(1)],
      (e) => e,
      deps(
        async () => {
          attempts += 1;
          if (down) throw new KindError('unavailable');
        },
        {
          isAvailable: async () => {
            if (++polls === 10) down = false;
            return !down;
          },
          heartbeat: async () => void heartbeats++,
          onWaiting: (w) => waiting.push(w),
        },
      ),
      policy,
    );
    expect(outcome.failed).toEqual([]);
    expect(polls).toBe(10);
    expect(attempts).toBe(2);
    expect(heartbeats).toBeGreaterThanOrEqual(10);
    expect(waiting).toEqual([true, false]);
  });

  it('gives up without storing when shutdown begins during an outage', async () => {
    let aborted = false;
    const promise = storeRecords(
      [event(1)],
      (e) => e,
      deps(
        async () => {
          throw new KindError('unavailable');
        },
        { isAvailable: async () => false, aborted: () => aborted },
      ),
      policy,
    );
    setTimeout(() => (aborted = true), 20);
    await expect(promise).rejects.toBeInstanceOf(StoreAborted);
  });
});
