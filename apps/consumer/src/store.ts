import type { FailureKind } from '@pitchpulse/contract';
import { backoffDelay, sleep, type BackoffPolicy } from './backoff';

export type InsertErrorKind = Exclude<FailureKind, 'undecodable'>;

/** `R`: what one insert takes (the consumer's: events and retractions, StoredRecord). */
export interface StoreDeps<R> {
  insert(rows: R[]): Promise<void>;
  classify(err: unknown): InsertErrorKind;
  /** Resolves once ClickHouse answers again (used while it is unavailable). */
  isAvailable(): Promise<boolean>;
  /** Keeps the consumer-group membership alive during long waits. */
  heartbeat(): Promise<void>;
  /** True once shutdown began: stop waiting, give up without storing. */
  aborted(): boolean;
  onError?(kind: InsertErrorKind, err: unknown): void;
  onWaiting?(waiting: boolean): void;
}

export interface StorePolicy {
  /** In-place attempts for transient errors before the events go to the retry topic. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** How often to re-check an unavailable ClickHouse. */
  unavailablePollMs: number;
}

export interface StoreFailure<T> {
  item: T;
  kind: InsertErrorKind;
  error: string;
}

export interface StoreOutcome<T> {
  stored: T[];
  failed: Array<StoreFailure<T>>;
}

export class StoreAborted extends Error {
  override readonly name = 'StoreAborted';
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Inserts the rows of `items` in one insert. A data error splits the batch in halves until only the bad
 * items fail; transient errors are retried in place with backoff, then reported as failed; while ClickHouse is
 * unavailable it waits (heartbeating) instead of failing anything.
 */
export async function storeRecords<T, R>(
  items: T[],
  rowOf: (item: T) => R,
  deps: StoreDeps<R>,
  policy: StorePolicy,
): Promise<StoreOutcome<T>> {
  const outcome: StoreOutcome<T> = { stored: [], failed: [] };
  if (items.length === 0) return outcome;

  let attempt = 0;
  for (;;) {
    if (deps.aborted()) throw new StoreAborted('shutting down before the batch was stored');
    attempt += 1;
    try {
      const dataFailures = await insertBisecting(items, rowOf, deps);
      const failedItems = new Set(dataFailures.map((f) => f.item));
      outcome.stored.push(...items.filter((item) => !failedItems.has(item)));
      outcome.failed.push(...dataFailures);
      return outcome;
    } catch (err) {
      const kind = deps.classify(err);
      deps.onError?.(kind, err);
      if (kind === 'unavailable') {
        attempt -= 1;
        await waitUntilAvailable(deps, policy);
        continue;
      }
      if (attempt >= policy.maxAttempts) {
        outcome.failed.push(...items.map((item) => ({ item, kind, error: messageOf(err) })));
        return outcome;
      }
      await sleepWithHeartbeats(backoffDelay(attempt, policy.backoff), deps);
    }
  }
}

/** Inserts items; on a data error bisects. Returns the items that fail for a data reason on their own. */
async function insertBisecting<T, R>(
  items: T[],
  rowOf: (item: T) => R,
  deps: StoreDeps<R>,
): Promise<Array<StoreFailure<T>>> {
  try {
    await deps.insert(items.map(rowOf));
    return [];
  } catch (err) {
    if (deps.classify(err) !== 'data') throw err;
    deps.onError?.('data', err);
    if (items.length === 1) return [{ item: items[0]!, kind: 'data', error: messageOf(err) }];
    const middle = Math.ceil(items.length / 2);
    await deps.heartbeat();
    const left = await insertBisecting(items.slice(0, middle), rowOf, deps);
    const right = await insertBisecting(items.slice(middle), rowOf, deps);
    return [...left, ...right];
  }
}

async function waitUntilAvailable<R>(deps: StoreDeps<R>, policy: StorePolicy): Promise<void> {
  deps.onWaiting?.(true);
  try {
    while (!deps.aborted()) {
      await sleepWithHeartbeats(policy.unavailablePollMs, deps);
      if (await deps.isAvailable()) return;
    }
    throw new StoreAborted('shutting down while ClickHouse is unavailable');
  } finally {
    deps.onWaiting?.(false);
  }
}

/**
 * Sleeps in slices of at most a second so heartbeats keep flowing and shutdown is noticed; heartbeats at least
 * once, even when a busy event loop let a short wait expire before its first slice.
 */
async function sleepWithHeartbeats<R>(ms: number, deps: StoreDeps<R>): Promise<void> {
  const until = Date.now() + ms;
  while (!deps.aborted()) {
    await sleep(Math.max(0, Math.min(until - Date.now(), 1000)));
    await deps.heartbeat().catch(() => undefined);
    if (Date.now() >= until) return;
  }
}
