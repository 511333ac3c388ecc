import {
  settleMs,
  summaryOf,
  type ClickHouseStore,
  type HighlightQuery,
  type HighlightSlice,
  type MatchPage,
  type MatchTotals,
  type StoredHighlight,
  type StoredMetrics,
  type Versioned,
} from '@pitchpulse/clickhouse';
import type {
  Highlight,
  MatchMetrics,
  MatchAnomalies,
  MatchRetractions,
  MatchSummary,
  Percentiles,
  PlayerSort,
  Timeline,
  TimelineBucket,
  TopPlayer,
} from '@pitchpulse/contract';
import type { Response } from 'express';
import type { Span } from '@pitchpulse/tracing';
import type { Logger, Registry } from '@pitchpulse/observability';
import { plainTitle } from '@pitchpulse/highlights';
import type { ResponseTimeWindow } from '../ingest/response-times';
import { ReadCache } from './cache';
import { HighlightWatch } from './highlight-watch';
import { MarkerPoller } from './markers';
import { ShortLived } from './short-lived';
import { createReadMetrics } from './metrics';
import { StatsService } from './stats';
import { StreamHub, type StreamSnapshot } from './stream-hub';

/** What the read API is given: its store and its tuning. */
export interface ReadOptions {
  store: ClickHouseStore;
  /** Longest time an answer may lag ClickHouse (ms). Default 1000. */
  maxStalenessMs?: number;
  /** Background poll of the change markers of recently read matches (ms). Default 250. */
  pollIntervalMs?: number;
  /** Live streams open at once at most (503 beyond). Default 10,000. */
  maxStreams?: number;
  /** SSE heartbeat (ms). Default 15,000. */
  heartbeatMs?: number;
  /** SSE `retry:` hint (ms). Default 3,000. */
  retryMs?: number;
  /** Answers kept in memory at most. Default 5,000. */
  cacheEntries?: number;
  now?: () => number;
}

export interface ReadServiceOptions extends ReadOptions {
  logger: Logger;
  registry?: Registry;
  /** The ingest API's response times (the metrics' responseTimePercentiles). */
  responseTimes?: ResponseTimeWindow;
  /** Called with each live stream's response once it is open (the app stops counting it as in flight). */
  streamOpened?: (res: Response) => void;
}

/** A metrics answer with its JSON, rendered once per computation and per second of response times. */
interface RenderedMetrics {
  stored: StoredMetrics;
  flaggedEvents: number;
  /** JSON of `stored`: what a live stream compares to tell a change */
  key: string;
  rendered?: { percentiles: Percentiles | null; json: string };
}

/** Until the enricher wrote one, a highlight's title is built from its event alone. */
const withTitle = (h: StoredHighlight): Highlight => (h.title ? h : { ...h, title: plainTitle(h) });

/** The wire body: the stored metrics with this instance's response times in their documented place. */
function metricsBody(m: RenderedMetrics, percentiles: Percentiles | null): MatchMetrics {
  const { pipelineLatencyMs, ...rest } = m.stored;
  return {
    ...rest,
    flaggedEvents: m.flaggedEvents,
    responseTimePercentiles: percentiles,
    pipelineLatencyMs,
  };
}

/**
 * The read side of the API: every answer comes from the aggregate tables (highlights: the match's goal and
 * red-card rows), kept in memory while the match's change marker says it is current, so a match is computed
 * once per change however many clients read or stream it, and no answer lags ClickHouse by more than
 * `maxStalenessMs`.
 */
export class ReadService {
  readonly markers: MarkerPoller;
  readonly cache: ReadCache;
  readonly hub: StreamHub;
  /** Pushes `highlight` events to live streams when a highlight of their match becomes READY. */
  private readonly highlightWatch: HighlightWatch;
  /** The stats across matches (`/api/stats/…`), cached against the store-wide stats version. */
  readonly stats: StatsService;
  /** Match list pages, shared for half the staleness bound. */
  private readonly pages: ShortLived<MatchPage>;
  /** The first highlight page of each match, and of every match per status, shared within the staleness bound. */
  private readonly highlightPages: ShortLived<HighlightSlice>;
  private readonly now: () => number;
  private readonly maxStalenessMs: number;

  constructor(private readonly o: ReadServiceOptions) {
    this.now = o.now ?? Date.now;
    this.maxStalenessMs = o.maxStalenessMs ?? 1000;
    this.pages = new ShortLived(this.maxStalenessMs / 2, 100, this.now);
    this.highlightPages = new ShortLived(this.maxStalenessMs, 1000, this.now);
    const metrics = createReadMetrics(o.registry, {
      streamClients: () => this.hub.clients,
      trackedMatches: () => this.markers.size,
    });
    this.markers = new MarkerPoller({
      fetch: (ids, parent) => this.o.store.under(parent).lastInserts(ids),
      intervalMs: o.pollIntervalMs ?? 250,
      maxAgeMs: this.maxStalenessMs,
      onChange: (matchId) => this.changed(matchId),
      onError: (err) => this.pollFailed(err),
      now: this.now,
    });
    this.cache = new ReadCache({
      markers: this.markers,
      maxEntries: o.cacheEntries,
      settleMs: settleMs(o.store.client),
      now: this.now,
      onResult: (resource, result) => metrics.cacheRequests.inc({ resource: resource.split(':')[0], result }),
      onCompute: (resource) => metrics.computations.inc({ resource: resource.split(':')[0] }),
      onError: (err) => o.logger.warn({ err }, 'background recomputation failed'),
    });
    this.stats = new StatsService({
      store: o.store,
      maxStalenessMs: this.maxStalenessMs,
      pollIntervalMs: o.pollIntervalMs ?? 250,
      now: this.now,
      onResult: (resource, result) => metrics.cacheRequests.inc({ resource: resource.split(':')[0], result }),
      onCompute: (resource) => metrics.computations.inc({ resource: resource.split(':')[0] }),
      onError: (err) => o.logger.warn({ err }, 'stats version poll or recomputation failed'),
    });
    this.hub = new StreamHub({
      markers: this.markers,
      load: (matchId) => this.snapshot(matchId),
      logger: o.logger,
      heartbeatMs: o.heartbeatMs,
      retryMs: o.retryMs,
      opened: o.streamOpened,
      maxClients: o.maxStreams,
    });
    const hub = this.hub;
    this.highlightWatch = new HighlightWatch({
      streams: {
        get matches() {
          return hub.matches;
        },
        // A page read after the event must show the highlight READY: drop the cached pages that may hold it.
        push: (matchId, name, data) => {
          this.highlightPages.forget((key) => key.startsWith(`${matchId}:`) || key.startsWith('*:'));
          hub.push(matchId, name, data);
        },
      },
      load: async (ids, since) => (await o.store.highlightsReadySince(ids, since)).map(withTitle),
      intervalMs: Math.max(250, this.maxStalenessMs),
      now: this.now,
      onError: (err) => o.logger.warn({ err }, 'highlight poll for live streams failed'),
    });
  }

  start(): void {
    this.markers.start();
    this.stats.start();
    this.highlightWatch.start();
  }

  /** Stops polling and ends every live stream. */
  close(): void {
    this.markers.stop();
    this.stats.close();
    this.highlightWatch.stop();
    this.hub.close();
  }

  /**
   * The shared poll saw the match change: its metrics, if anyone read them, are recomputed now (requests keep
   * getting the previous answer meanwhile, within the staleness bound), and live streams get the new ones.
   */
  private changed(matchId: string): void {
    if (this.cache.has(matchId, 'metrics')) {
      this.metrics(matchId, true).catch((err: unknown) =>
        this.o.logger.warn({ err, matchId }, 'metrics refresh failed'),
      );
    }
    this.hub.changed(matchId);
  }

  private pollFailures = 0;
  private pollFailureLoggedAt = -Infinity;

  /** A failed background poll, logged at most every 30 s (ClickHouse down would otherwise log 4 lines a second). */
  private pollFailed(err: unknown): void {
    this.pollFailures++;
    const now = this.now();
    if (now - this.pollFailureLoggedAt < 30_000) return;
    this.o.logger.warn(
      { err, failures: this.pollFailures },
      'change-marker poll failed; reads wait for ClickHouse meanwhile (logged every 30 s at most)',
    );
    this.pollFailureLoggedAt = now;
    this.pollFailures = 0;
  }

  /** The metrics body as JSON text, or null for a match without events. */
  async metricsJson(matchId: string, parent?: Span): Promise<string | null> {
    const m = await this.metrics(matchId, true, parent);
    return m && this.render(m.value);
  }

  async timeline(matchId: string, bucket: TimelineBucket, parent?: Span): Promise<Timeline | null> {
    const { value } = await this.cache.get(
      matchId,
      `timeline:${bucket}`,
      (span) => this.o.store.under(span).timeline(matchId, bucket),
      null,
      { parent },
    );
    return value;
  }

  /**
   * A page of highlights, newest first: one match's (null when the match has no events) or every match's, of one
   * status or all. First pages come from memory for up to the staleness bound: the enrichment worker changes
   * highlights without moving the match's marker, so they are kept by time.
   */
  async highlights(query: HighlightQuery, parent?: Span): Promise<HighlightSlice | null> {
    if (query.matchId !== undefined && (await this.markers.marker(query.matchId, parent)).storedRows === 0)
      return null;
    const load = async () => {
      const slice = await this.o.store.under(parent).highlights(query);
      return { total: slice.total, items: slice.items.map(withTitle) };
    };
    if (query.offset !== 0) return load();
    return this.highlightPages.get(`${query.matchId ?? '*'}:${query.status ?? '*'}:${query.limit}`, load);
  }

  /** What the feed-integrity rules flagged in the match, cached like the figures; null for a match without rows. */
  async anomalies(matchId: string, parent?: Span): Promise<MatchAnomalies | null> {
    const { value } = await this.cache.get(
      matchId,
      'anomalies',
      async (span) => {
        const read = await this.o.store.under(span).anomalies(matchId);
        return { ...read, value: read.storedRows === 0 ? null : read.value };
      },
      null,
      { parent },
    );
    return value;
  }

  /** The match's retractions, cached like the figures (an event or retraction stored moves the marker). */
  async retractions(matchId: string, parent?: Span): Promise<MatchRetractions | null> {
    const { value: items } = await this.cache.get(
      matchId,
      'retractions',
      async (span) => {
        const read = await this.o.store.under(span).retractions(matchId);
        return { ...read, value: read.storedRows === 0 ? null : read.value };
      },
      null,
      { parent },
    );
    if (items === null) return null;
    return { matchId, total: items.length, notFound: items.filter((r) => !r.found).length, items };
  }

  /** One highlight by id, or null. */
  async highlight(highlightId: string, parent?: Span): Promise<Highlight | null> {
    const found = await this.o.store.under(parent).highlight(highlightId);
    return found && withTitle(found);
  }

  async players(matchId: string, limit: number, by: PlayerSort, parent?: Span): Promise<TopPlayer[] | null> {
    const { value } = await this.cache.get(
      matchId,
      `players:${by}:${limit}`,
      (span) => this.o.store.under(span).topPlayers(matchId, { limit, by }),
      null,
      { parent },
    );
    return value;
  }

  /**
   * A page of the match list. Which matches are on it (and their times and markers) is read from small states
   * and shared for up to half the staleness bound; each match's totals are kept while its marker stays the same,
   * and the missing ones are merged in one query.
   */
  async matches(
    limit: number,
    offset: number,
    parent?: Span,
  ): Promise<{ total: number; items: MatchSummary[] }> {
    const page = await this.page(limit, offset, parent);
    const totals = new Map<string, MatchTotals>();
    const missing: string[] = [];
    for (const item of page.items) {
      const known = this.cache.peek<MatchTotals>(item.matchId, 'totals', item.storedRows);
      if (known) totals.set(item.matchId, known);
      else missing.push(item.matchId);
    }
    if (missing.length > 0) {
      const startedAt = this.now();
      const fetched = await this.o.store.under(parent).matchTotals(missing);
      for (const [id, t] of fetched) {
        totals.set(id, t);
        this.cache.put(id, 'totals', { value: t, storedRows: t.storedRows }, startedAt);
      }
    }
    return { total: page.total, items: page.items.map((m) => summaryOf(m, totals.get(m.matchId))) };
  }

  /** Opens a live stream of the match's metrics: `no-match` when it has no events, `full` at the stream limit. */
  async stream(
    matchId: string,
    req: Parameters<StreamHub['subscribe']>[2],
    res: Parameters<StreamHub['subscribe']>[3],
    parent?: Span,
  ): Promise<'open' | 'no-match' | 'full'> {
    if (!this.hub.accepting) return 'full';
    const first = await this.snapshot(matchId, parent);
    if (!first) return 'no-match';
    if (!this.hub.accepting) return 'full';
    this.hub.subscribe(matchId, first, req, res);
    return 'open';
  }

  /** The metrics; `allowPrevious`: the answer before the last change may do while it is under a second old. */
  private async metrics(
    matchId: string,
    allowPrevious: boolean,
    parent?: Span,
  ): Promise<Versioned<RenderedMetrics> | null> {
    const result = await this.cache.get(
      matchId,
      'metrics',
      async (span) => {
        const store = this.o.store.under(span);
        // The flagged count is read after the figures, so it is complete up to at least their marker.
        const v = await store.metrics(matchId);
        const flaggedEvents = v.value ? await store.flaggedEvents(matchId) : 0;
        return {
          value: v.value && {
            stored: v.value,
            flaggedEvents,
            key: `${flaggedEvents} ${JSON.stringify(v.value)}`,
          },
          storedRows: v.storedRows,
        };
      },
      null,
      { allowPrevious, parent },
    );
    return result.value ? { value: result.value, storedRows: result.storedRows } : null;
  }

  private async snapshot(matchId: string, parent?: Span): Promise<StreamSnapshot | null> {
    const m = await this.metrics(matchId, false, parent);
    if (!m) return null;
    return { key: m.value.key, data: this.render(m.value), storedRows: m.storedRows };
  }

  /** The body's JSON, serialised again only when the metrics or the response times (once a second) changed. */
  private render(m: RenderedMetrics): string {
    const percentiles = this.percentiles();
    if (m.rendered?.percentiles !== percentiles) {
      m.rendered = { percentiles, json: JSON.stringify(metricsBody(m, percentiles)) };
    }
    return m.rendered.json;
  }

  /** This instance's ingest response times (the window recomputes them at most once a second). */
  private percentiles(): Percentiles | null {
    return this.o.responseTimes?.percentiles() ?? null;
  }

  private page(limit: number, offset: number, parent: Span | undefined): Promise<MatchPage> {
    return this.pages.get(`${limit}:${offset}`, () =>
      this.o.store.under(parent).matchPage({ limit, offset, now: new Date(this.now()) }),
    );
  }
}
