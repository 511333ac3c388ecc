import type { Versioned } from '@pitchpulse/clickhouse';
import type { Span } from '@pitchpulse/tracing';
import type { MarkerPoller } from './markers';

/** How an answer was served: `hit` current, `stale` the previous one (within the bound) while recomputing, `miss`
 *  computed for this request. */
export type CacheResult = 'hit' | 'stale' | 'miss';

export interface ReadCacheOptions {
  markers: MarkerPoller;
  /** Answers kept at most (least recently used dropped first). Default 5,000. */
  maxEntries?: number;
  onResult?: (resource: string, result: CacheResult) => void;
  /** A computation started (one per match change however many requests wait for it). */
  onCompute?: (resource: string) => void;
  /** A background recomputation failed (the next request tries again). */
  onError?: (err: unknown) => void;
  /**
   * On a cluster (settleMs of @pitchpulse/clickhouse): an answer computed sooner than this after its marker moved
   * may come from a replica that had the marker before the rows; it is served, but computed again once this has
   * passed, and only that answer is kept as current. Default 0 (one server: an answer is current at once).
   */
  settleMs?: number;
  now?: () => number;
}

interface Entry {
  value: unknown;
  /** rows of the match the answer holds (Versioned.storedRows) */
  storedRows: number;
  /** when its computation started (epoch ms) */
  startedAt: number;
}

interface Flight {
  startedAt: number;
  promise: Promise<Entry>;
}

/**
 * Answers of read queries kept in memory per (match, resource), each with the number of the match's rows it
 * holds. The shared marker poll tells how many rows the match has (confirmed at most `markers.maxAgeMs` ago):
 *  - an answer holding exactly that many rows is current: served (`hit`);
 *  - with `allowPrevious` (the metrics, which the poll recomputes as soon as it sees a change), an answer holding
 *    the count before the last change was current until that count was last confirmed; while that is less than
 *    `maxAgeMs` ago it is served (`stale`) and the new answer is computed in the background, so readers of a live
 *    match do not wait for ClickHouse;
 *  - otherwise the answer is computed (`miss`), once however many requests wait for it.
 * On a cluster (`settleMs`), a replica may hold a match's new marker before its rows: an answer computed less than
 * `settleMs` after the marker moved is served (`stale`) but computed again once that has passed, and only an answer
 * computed after it is current.
 * So no answer lags ClickHouse by more than `maxAgeMs`, a finished match is computed once and a live one once per
 * change. An answer read while a view was still being filled holds fewer rows than the marker: it is not current,
 * and the next reader computes it again.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly settleMs: number;

  constructor(private readonly options: ReadCacheOptions) {
    this.maxEntries = options.maxEntries ?? 5000;
    this.now = options.now ?? Date.now;
    this.settleMs = options.settleMs ?? 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether an answer for the match's resource is kept (current or not). */
  has(matchId: string, resource: string): boolean {
    return this.entries.has(keyOf(matchId, resource));
  }

  /**
   * The answer of `compute` for the match, from memory when allowed (see the class). `resource` names what is
   * computed, parameters included (e.g. `timeline:5m`). When the marker says the match has no rows, `empty` is
   * returned without computing. `allowPrevious`: see the class. `parent`: the asking request's span, given to the
   * marker fetch and the computation it waits for (a recomputation in the background gets none).
   */
  async get<T>(
    matchId: string,
    resource: string,
    compute: (parent: Span | undefined) => Promise<Versioned<T>>,
    empty: T,
    options: { allowPrevious?: boolean; parent?: Span } = {},
  ): Promise<Versioned<T>> {
    const marker = await this.options.markers.marker(matchId, options.parent);
    if (marker.storedRows === 0) return { value: empty, storedRows: 0 };
    const key = keyOf(matchId, resource);
    const now = this.now();
    const maxAge = this.options.markers.maxAgeMs;
    const entry = this.entries.get(key);
    if (entry) {
      if (entry.storedRows === marker.storedRows) {
        const settledAt = marker.since + this.settleMs;
        if (this.settleMs === 0 || entry.startedAt >= settledAt)
          return this.served(key, entry, resource, 'hit');
        if (now >= settledAt)
          this.flight(key, resource, settledAt, compute).promise.catch((err: unknown) =>
            this.options.onError?.(err),
          );
        return this.served(key, entry, resource, 'stale');
      }
      const previous = marker.previous;
      if (
        options.allowPrevious &&
        previous &&
        entry.storedRows === previous.storedRows &&
        now - previous.confirmedAt <= maxAge
      ) {
        this.flight(key, resource, marker.confirmedAt, compute).promise.catch((err: unknown) =>
          this.options.onError?.(err),
        );
        return this.served(key, entry, resource, 'stale');
      }
    }
    const joined = this.flights.get(key);
    const flight = this.flight(key, resource, marker.confirmedAt, compute, options.parent);
    this.options.onResult?.(resource, flight === joined ? 'hit' : 'miss');
    const result = await flight.promise;
    return { value: result.value as T, storedRows: result.storedRows };
  }

  /** The stored answer if it holds exactly `storedRows` rows of the match (a marker the caller just read). */
  peek<T>(matchId: string, resource: string, storedRows: number): T | undefined {
    const key = keyOf(matchId, resource);
    const entry = this.entries.get(key);
    if (!entry || entry.storedRows !== storedRows) {
      this.options.onResult?.(resource, 'miss');
      return undefined;
    }
    return this.served<T>(key, entry, resource, 'hit').value;
  }

  /** Stores an answer computed elsewhere (e.g. many matches' totals in one query), started at `startedAt`. */
  put<T>(matchId: string, resource: string, answer: Versioned<T>, startedAt: number): void {
    this.store(keyOf(matchId, resource), { value: answer.value, storedRows: answer.storedRows, startedAt });
  }

  private served<T>(key: string, entry: Entry, resource: string, result: CacheResult): Versioned<T> {
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.options.onResult?.(resource, result);
    return { value: entry.value as T, storedRows: entry.storedRows };
  }

  /** The computation in flight for `key` if it started at or after `notBefore` (it sees at least what the marker
   *  counted then), else a new one. */
  private flight<T>(
    key: string,
    resource: string,
    notBefore: number,
    compute: (parent: Span | undefined) => Promise<Versioned<T>>,
    parent?: Span,
  ): Flight {
    const existing = this.flights.get(key);
    if (existing && existing.startedAt >= notBefore) return existing;
    this.options.onCompute?.(resource);
    const startedAt = this.now();
    const promise = compute(parent).then((result): Entry => {
      const fresh: Entry = { value: result.value, storedRows: result.storedRows, startedAt };
      const stored = this.entries.get(key);
      if (!stored || stored.startedAt <= startedAt) this.store(key, fresh);
      return fresh;
    });
    const flight = { startedAt, promise };
    this.flights.set(key, flight);
    void promise
      .finally(() => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      })
      .catch(() => undefined);
    return flight;
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

const keyOf = (matchId: string, resource: string) => `${resource}\u0000${matchId}`;
