import {
  settleMs,
  type ClickHouseStore,
  type CohortRetention,
  type StatsSnapshot,
  type Versioned,
} from '@pitchpulse/clickhouse';
import type {
  DailyStatsDay,
  EventTypeCount,
  PlayerStats,
  RetentionWindow,
  StatsPlayerSort,
} from '@pitchpulse/contract';
import type { Span } from '@pitchpulse/tracing';
import { ReadCache, type CacheResult } from './cache';
import { MarkerPoller } from './markers';

export interface StatsServiceOptions {
  store: ClickHouseStore;
  /** Longest time an answer may lag ClickHouse (ms). */
  maxStalenessMs: number;
  /** Background poll of the stats version while stats are being read (ms). */
  pollIntervalMs: number;
  /** Answers kept at most (least recently used dropped first). */
  cacheEntries?: number;
  onResult?: (resource: string, result: CacheResult) => void;
  onCompute?: (resource: string) => void;
  onError?: (err: unknown) => void;
  now?: () => number;
}

/** The one "match" the stats cache tracks: the whole store. */
const ALL = '*';

/**
 * The stats across matches, cached like the match routes: the same ReadCache and MarkerPoller, with one marker
 * for the whole store instead of one per match — the stats version (every stored row plus every retirement; it
 * moves with every insert). An answer is served while the version it was computed after is still the version,
 * confirmed at most `maxStalenessMs` ago (a shared poll every `pollIntervalMs` while stats are read, one cheap
 * query that also lists the matches without a current seal, so a computation is then one query); any insert anywhere recomputes what is read next, once however many requests wait for it. A finished
 * season is so computed once; during live matches each answer at most once per insert batch.
 *
 * Answers are cached per normalised query, by what they compute: the daily figures per range, every event
 * type per range (`limit` slices it), the whole player ranking per range and sort (pages slice it, so `total`
 * and every page come from one computation), retention per start, window and count.
 */
export class StatsService {
  private readonly markers: MarkerPoller;
  private readonly cache: ReadCache;
  /** The latest poll's snapshot: each computation reads its figures against it, one query instead of two. */
  private snapshot: StatsSnapshot | undefined;

  constructor(private readonly o: StatsServiceOptions) {
    this.markers = new MarkerPoller({
      // +1: the cache answers a marker of 0 ("no rows") without computing; an empty store still has its answer
      // (days of zeros), so the version is shifted by one here and in `versioned`.
      fetch: async (_ids, parent) => {
        const snapshot = await o.store.under(parent).statsSnapshot();
        this.snapshot = snapshot;
        return new Map([[ALL, { matchId: ALL, storedRows: snapshot.version + 1, lastInsertedMs: 0 }]]);
      },
      intervalMs: o.pollIntervalMs,
      maxAgeMs: o.maxStalenessMs,
      onError: o.onError,
      now: o.now,
    });
    this.cache = new ReadCache({
      markers: this.markers,
      maxEntries: o.cacheEntries ?? 500,
      settleMs: settleMs(o.store.client),
      onResult: o.onResult,
      onCompute: o.onCompute,
      onError: o.onError,
      now: o.now,
    });
  }

  start(): void {
    this.markers.start();
  }

  close(): void {
    this.markers.stop();
  }

  private async get<T>(
    resource: string,
    compute: (parent: Span | undefined) => Promise<Versioned<T>>,
    parent: Span | undefined,
  ): Promise<T> {
    const shifted = async (span: Span | undefined) => {
      const answer = await compute(span);
      return { value: answer.value, storedRows: answer.storedRows + 1 };
    };
    return (await this.cache.get<T | null>(ALL, resource, shifted, null, { parent })).value!;
  }

  daily(from: string, to: string, parent?: Span): Promise<DailyStatsDay[]> {
    return this.get(
      `stats-daily:${from}:${to}`,
      (span) => this.o.store.under(span).dailyStats({ from, to }, this.snapshot),
      parent,
    );
  }

  /** Every event type, ranked: the caller takes the first `limit`. */
  eventTypes(from: string, to: string, parent?: Span): Promise<EventTypeCount[]> {
    return this.get(
      `stats-top-events:${from}:${to}`,
      (span) => this.o.store.under(span).eventTypeStats({ from, to }, this.snapshot),
      parent,
    );
  }

  /** Every player of the range, ranked by `by`: the caller takes a page. */
  players(from: string, to: string, by: StatsPlayerSort, parent?: Span): Promise<PlayerStats[]> {
    return this.get(
      `stats-players:${from}:${to}:${by}`,
      (span) => this.o.store.under(span).playerRanking({ from, to, by }, this.snapshot),
      parent,
    );
  }

  retention(
    start: string,
    window: RetentionWindow,
    windows: number,
    parent?: Span,
  ): Promise<CohortRetention> {
    return this.get(
      `stats-retention:${start}:${window}:${windows}`,
      (span) => this.o.store.under(span).cohortRetention({ start, window, windows }, this.snapshot),
      parent,
    );
  }
}
