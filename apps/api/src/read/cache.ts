import type { Versioned } from '@pitchpulse/clickhouse';
import type { MarkerPoller } from './markers';

export interface CacheStats {
  /** answered from memory: the stored answer holds every row the match's marker counts */
  hit(resource: string): void;
  /** computed (first read, or the match changed) */
  miss(resource: string): void;
}

export interface ReadCacheOptions {
  markers: MarkerPoller;
  /** Answers kept at most (least recently used dropped first). Default 5,000. */
  maxEntries?: number;
  stats?: CacheStats;
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
 * holds. An answer is served while that number equals the match's marker (confirmed by the shared poll at most
 * `markers.maxAgeMs` ago), so it is never older than that bound: a match that changes is recomputed once,
 * however many requests are waiting (they share one computation), and a finished match is computed once.
 * The one exception keeps an answer whose tables were fed differently from the marker's table (e.g. a view that
 * failed an insert) from being recomputed for every request: an answer computed after the marker was confirmed
 * and less than `maxAgeMs` ago is served as it is.
 */
export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: ReadCacheOptions) {
    this.maxEntries = options.maxEntries ?? 5000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The answer of `compute` for the match, from memory when still current. `resource` names what is computed,
   * parameters included (e.g. `timeline:5m`). When the marker says the match has no rows, `empty` is returned
   * without computing.
   */
  async get<T>(
    matchId: string,
    resource: string,
    compute: () => Promise<Versioned<T>>,
    empty: T,
  ): Promise<Versioned<T>> {
    const marker = await this.options.markers.marker(matchId);
    if (marker.storedRows === 0) return { value: empty, storedRows: 0 };
    const key = `${resource}\u0000${matchId}`;
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry) {
      const current = entry.storedRows === marker.storedRows;
      const recent =
        entry.startedAt >= marker.confirmedAt && now - entry.startedAt <= this.options.markers.maxAgeMs;
      if (current || recent) {
        this.entries.delete(key);
        this.entries.set(key, entry);
        this.options.stats?.hit(resource);
        return { value: entry.value as T, storedRows: entry.storedRows };
      }
    }
    let flight = this.flights.get(key);
    // A computation that started after the marker was confirmed sees at least what the marker counts.
    if (!flight || flight.startedAt < marker.confirmedAt) {
      this.options.stats?.miss(resource);
      const startedAt = now;
      const promise = compute().then((result): Entry => {
        const fresh: Entry = { value: result.value, storedRows: result.storedRows, startedAt };
        const stored = this.entries.get(key);
        if (!stored || stored.startedAt <= startedAt) this.store(key, fresh);
        return fresh;
      });
      flight = { startedAt, promise };
      this.flights.set(key, flight);
      const mine = flight;
      void promise
        .finally(() => {
          if (this.flights.get(key) === mine) this.flights.delete(key);
        })
        .catch(() => undefined);
    } else {
      this.options.stats?.hit(resource);
    }
    const result = await flight.promise;
    return { value: result.value as T, storedRows: result.storedRows };
  }

  /** The stored answer if it holds exactly `storedRows` rows of the match (a marker the caller just read). */
  peek<T>(matchId: string, resource: string, storedRows: number): T | undefined {
    const key = `${resource}\u0000${matchId}`;
    const entry = this.entries.get(key);
    if (!entry || entry.storedRows !== storedRows) {
      this.options.stats?.miss(resource);
      return undefined;
    }
    this.store(key, entry);
    this.options.stats?.hit(resource);
    return entry.value as T;
  }

  /** Stores an answer computed elsewhere (e.g. many matches' totals in one query), started at `startedAt`. */
  put<T>(matchId: string, resource: string, answer: Versioned<T>, startedAt: number): void {
    this.store(`${resource}\u0000${matchId}`, {
      value: answer.value,
      storedRows: answer.storedRows,
      startedAt,
    });
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
