import type { MatchLastInsert } from '@pitchpulse/clickhouse';
import { sampled, type Span } from '@pitchpulse/tracing';

/**
 * Fetches the change markers of some matches in one query (getMatchesLastInsert); absent = no events. `parent`:
 * the span of the first asking request whose trace is sampled, if any.
 */
export type MarkerFetch = (matchIds: string[], parent?: Span) => Promise<Map<string, MatchLastInsert>>;

export interface MarkerPollerOptions {
  fetch: MarkerFetch;
  /** The background poll of recently read and watched matches runs this often. Default 250 ms. */
  intervalMs?: number;
  /** A marker confirmed longer ago than this is fetched again before it is used. Default 1000 ms. */
  maxAgeMs?: number;
  /** A match nobody read for this long (and nobody watches) is no longer polled. Default 30 s. */
  idleMs?: number;
  /** Matches tracked at most; the least recently read unwatched ones are dropped beyond it. Default 10,000. */
  maxMatches?: number;
  /** Match ids per marker query. Default 200. */
  batchSize?: number;
  /** Called when a tracked match's stored rows changed (not on its first fetch). */
  onChange?: (matchId: string, storedRows: number) => void;
  /** A background poll failed (requests then fetch on demand and fail themselves if ClickHouse is down). */
  onError?: (err: unknown) => void;
  now?: () => number;
}

export interface Marker {
  /** rows stored for the match (0: no events) */
  storedRows: number;
  /** when the query that saw this value was sent (epoch ms): the value held at least until then */
  confirmedAt: number;
  /** when the first query that saw this value was sent (epoch ms): the rows it counts were stored about then */
  since: number;
  /** the value before the last change, and when it was last seen: data that held it was current until then */
  previous?: { storedRows: number; confirmedAt: number };
}

interface Entry extends Marker {
  lastUsed: number;
  watchers: number;
}

const markerOf = (e: Entry): Marker => ({
  storedRows: e.storedRows,
  confirmedAt: e.confirmedAt,
  since: e.since,
  ...(e.previous ? { previous: e.previous } : {}),
});

interface Batch {
  sentAt: number;
  done: Promise<void>;
}

/**
 * One shared poll for every match the API serves: the change markers (rows stored per match, a cheap query on
 * small states) of all recently read or watched matches are fetched together every `intervalMs`, and a match
 * whose marker is older than `maxAgeMs` when a request needs it is fetched on demand, batched with every other
 * match asked for in the same tick. Caches compare the marker with the rows their answer holds; live streams
 * hear of changes through `onChange`. However many clients read or watch a match, it costs one poll.
 */
export class MarkerPoller {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Batch>();
  private pending: string[] = [];
  private pendingBatch:
    | { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void; parent: Span | undefined }
    | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly o: Required<Omit<MarkerPollerOptions, 'onChange' | 'onError'>> &
    Pick<MarkerPollerOptions, 'onChange' | 'onError'>;

  constructor(options: MarkerPollerOptions) {
    this.o = {
      intervalMs: 250,
      maxAgeMs: 1000,
      idleMs: 30_000,
      maxMatches: 10_000,
      batchSize: 200,
      now: Date.now,
      ...options,
    };
  }

  get maxAgeMs(): number {
    return this.o.maxAgeMs;
  }

  /** Matches tracked now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The match's marker, confirmed at most `maxAgeMs` ago (fetched first if need be, in a batch with every match
   * asked for in the same tick: its span a child of the first of their requests whose trace is sampled).
   */
  async marker(matchId: string, parent?: Span): Promise<Marker> {
    const now = this.o.now();
    const entry = this.touch(matchId, now);
    if (now - entry.confirmedAt <= this.o.maxAgeMs) return markerOf(entry);
    const batch = this.inFlight.get(matchId);
    if (batch && now - batch.sentAt <= this.o.maxAgeMs) await batch.done;
    else await this.fetchSoon(matchId, parent);
    return markerOf(this.entries.get(matchId)!);
  }

  /** Keeps the match polled (and reported through onChange) until the returned function is called. */
  watch(matchId: string): () => void {
    const entry = this.touch(matchId, this.o.now());
    entry.watchers++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      entry.watchers--;
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** One background poll now (the loop calls it; tests may too). */
  async pollOnce(): Promise<void> {
    const now = this.o.now();
    const ids: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.watchers > 0 || now - e.lastUsed <= this.o.idleMs) ids.push(id);
      else this.entries.delete(id);
    }
    for (let i = 0; i < ids.length; i += this.o.batchSize) {
      await this.fetch(ids.slice(i, i + this.o.batchSize));
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.pollOnce()
        .catch((err: unknown) => this.o.onError?.(err))
        .finally(() => this.schedule());
    }, this.o.intervalMs);
    this.timer.unref();
  }

  private touch(matchId: string, now: number): Entry {
    let entry = this.entries.get(matchId);
    if (entry) {
      // Map order = recency order, for eviction.
      this.entries.delete(matchId);
    } else {
      entry = { storedRows: 0, confirmedAt: -Infinity, since: -Infinity, lastUsed: now, watchers: 0 };
      this.evict();
    }
    entry.lastUsed = now;
    this.entries.set(matchId, entry);
    return entry;
  }

  private evict(): void {
    if (this.entries.size < this.o.maxMatches) return;
    for (const [id, e] of this.entries) {
      if (e.watchers === 0) {
        this.entries.delete(id);
        if (this.entries.size < this.o.maxMatches) return;
      }
    }
  }

  /** Adds the match to the batch sent on the next tick, shared with every caller of this tick. */
  private fetchSoon(matchId: string, parent: Span | undefined): Promise<void> {
    this.pending.push(matchId);
    if (!this.pendingBatch) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pendingBatch = { promise, resolve, reject, parent: undefined };
      setImmediate(() => {
        const batch = this.pendingBatch!;
        const ids = [...new Set(this.pending)];
        this.pending = [];
        this.pendingBatch = undefined;
        const chunks: Promise<void>[] = [];
        for (let i = 0; i < ids.length; i += this.o.batchSize) {
          chunks.push(this.fetch(ids.slice(i, i + this.o.batchSize), batch.parent));
        }
        Promise.all(chunks).then(() => batch.resolve(), batch.reject);
      });
    }
    // The batch's span is a child of the first asking request whose trace is sampled.
    if (!sampled(this.pendingBatch.parent) && sampled(parent)) this.pendingBatch.parent = parent;
    return this.pendingBatch.promise;
  }

  private async fetch(ids: string[], parent?: Span): Promise<void> {
    const sentAt = this.o.now();
    const done = (async () => {
      const markers = await this.o.fetch(ids, parent);
      for (const id of ids) {
        // An entry dropped meanwhile (eviction) comes back: its caller is waiting for it.
        let entry = this.entries.get(id);
        if (!entry) {
          entry = { storedRows: 0, confirmedAt: -Infinity, since: -Infinity, lastUsed: sentAt, watchers: 0 };
          this.entries.set(id, entry);
        }
        if (sentAt < entry.confirmedAt) continue; // a later poll already answered
        const storedRows = markers.get(id)?.storedRows ?? 0;
        const changed = entry.confirmedAt !== -Infinity && storedRows !== entry.storedRows;
        if (changed) entry.previous = { storedRows: entry.storedRows, confirmedAt: entry.confirmedAt };
        if (changed || entry.confirmedAt === -Infinity) entry.since = sentAt;
        entry.storedRows = storedRows;
        entry.confirmedAt = sentAt;
        if (changed) this.o.onChange?.(id, storedRows);
      }
    })();
    const batch = { sentAt, done };
    for (const id of ids) this.inFlight.set(id, batch);
    try {
      await done;
    } finally {
      for (const id of ids) if (this.inFlight.get(id) === batch) this.inFlight.delete(id);
    }
  }
}
