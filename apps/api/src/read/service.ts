import {
  createClickHouseClient,
  detectCapabilities,
  getHighlightsVersioned,
  getMatchMetricsVersioned,
  getMatchTotals,
  getMatchesLastInsert,
  getTimelineVersioned,
  getTopPlayersVersioned,
  listMatchPage,
  summaryOf,
  type ClickHouseCapabilities,
  type Highlight,
  type MatchMetrics,
  type MatchPage,
  type MatchSummary,
  type MatchTotals,
  type PlayerSort,
  type Timeline,
  type TimelineBucket,
  type TopPlayer,
  type Versioned,
} from '@pitchpulse/clickhouse';
import type { Response } from 'express';
import type { Logger, Registry } from '@pitchpulse/observability';
import { Counter, Gauge } from 'prom-client';
import { ReadCache } from './cache';
import { MarkerPoller } from './markers';
import type { ResponseTimeWindow } from '../ingest/response-times';
import { StreamHub, type StreamSnapshot } from './stream-hub';

/** The metrics body of GET /api/matches/{id}/metrics, in the order DESIGN.md lists the fields. */
export type MetricsBody = Omit<MatchMetrics, 'pipelineLatencyMs'> & {
  responseTimePercentiles: { p50: number; p95: number; p99: number } | null;
  pipelineLatencyMs: MatchMetrics['pipelineLatencyMs'];
};

export interface HighlightItem extends Highlight {
  /** e.g. `GOAL — Team 1, player-456 (45')` */
  title: string;
}

/** A client from @pitchpulse/clickhouse's createClickHouseClient (or createChdbClient). */
export type ClickHouseClient = ReturnType<typeof createClickHouseClient>;

export interface ReadServiceOptions {
  clickhouse: ClickHouseClient;
  logger: Logger;
  registry?: Registry;
  /** The ingest API's response times (the metrics' responseTimePercentiles). */
  responseTimes?: ResponseTimeWindow;
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
  /** Called with each live stream's response once it is open (the app stops counting it as in flight). */
  streamOpened?: (res: Response) => void;
  /** Answers kept in memory at most. Default 5,000. */
  cacheEntries?: number;
  now?: () => number;
}

/** A metrics answer rendered once per computation: the JSON around the per-request response times. */
interface RenderedMetrics {
  metrics: MatchMetrics;
  /** `{"matchId":…,"byTeam":{…}` (no closing brace) */
  head: string;
  /** `"pipelineLatencyMs":{…}}` */
  tail: string;
}

const TITLES: Record<Highlight['eventType'], string> = { goal: 'GOAL', red_card: 'RED CARD' };

/** `GOAL — Team 1, player-456 (45')`; without a player: `RED CARD — Team 2 (67')`. */
export function highlightTitle(h: Pick<Highlight, 'eventType' | 'teamId' | 'playerId' | 'minute'>): string {
  const who = h.playerId ? `Team ${h.teamId}, ${h.playerId}` : `Team ${h.teamId}`;
  return `${TITLES[h.eventType] ?? h.eventType.toUpperCase()} — ${who} (${h.minute}')`;
}

function render(m: MatchMetrics): RenderedMetrics {
  const { pipelineLatencyMs, ...rest } = m;
  const head = JSON.stringify(rest);
  return {
    metrics: m,
    head: head.slice(0, -1),
    tail: `"pipelineLatencyMs":${JSON.stringify(pipelineLatencyMs)}}`,
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
  private capsPromise: Promise<ClickHouseCapabilities> | undefined;
  private readonly pages = new Map<string, { at: number; promise: Promise<MatchPage> }>();
  private percentilesJson: { at: number; text: string } | undefined;
  private readonly now: () => number;
  private readonly maxStalenessMs: number;

  constructor(private readonly o: ReadServiceOptions) {
    this.now = o.now ?? Date.now;
    this.maxStalenessMs = o.maxStalenessMs ?? 1000;
    const registers = o.registry ? [o.registry] : [];
    const cacheRequests = new Counter({
      name: 'read_cache_requests_total',
      help:
        'Read API answers by resource: hit = current answer from memory (per the change marker), stale = the ' +
        'previous answer (changed < 1 s ago) while the new one is computed, miss = computed for the request',
      labelNames: ['resource', 'result'] as const,
      registers,
    });
    const computations = new Counter({
      name: 'read_computations_total',
      help: 'Read answers computed in ClickHouse, by resource (once per match change however many readers wait)',
      labelNames: ['resource'] as const,
      registers,
    });
    this.markers = new MarkerPoller({
      fetch: async (ids) => getMatchesLastInsert(this.o.clickhouse, await this.caps(), { matchIds: ids }),
      intervalMs: o.pollIntervalMs ?? 250,
      maxAgeMs: this.maxStalenessMs,
      onChange: (matchId) => this.changed(matchId),
      onError: (err) => this.pollFailed(err),
      now: this.now,
    });
    this.cache = new ReadCache({
      markers: this.markers,
      maxEntries: o.cacheEntries,
      now: this.now,
      onResult: (resource, result) => cacheRequests.inc({ resource: resource.split(':')[0], result }),
      onCompute: (resource) => computations.inc({ resource: resource.split(':')[0] }),
      onError: (err) => o.logger.warn({ err }, 'background recomputation failed'),
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
    const markers = this.markers;
    new Gauge({
      name: 'read_stream_clients',
      help: 'Server-Sent Events streams open now',
      registers,
      collect() {
        this.set(hub.clients);
      },
    });
    new Gauge({
      name: 'read_tracked_matches',
      help: 'Matches whose change marker the shared poll keeps current',
      registers,
      collect() {
        this.set(markers.size);
      },
    });
  }

  start(): void {
    this.markers.start();
  }

  /** Stops polling and ends every live stream. */
  close(): void {
    this.markers.stop();
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

  /** The server's capabilities, asked once (again after a failure). */
  caps(): Promise<ClickHouseCapabilities> {
    if (!this.capsPromise) {
      this.capsPromise = detectCapabilities(this.o.clickhouse);
      this.capsPromise.catch(() => (this.capsPromise = undefined));
    }
    return this.capsPromise;
  }

  /** The metrics body as JSON text, or null for a match without events. */
  async metricsJson(matchId: string): Promise<string | null> {
    const m = await this.metrics(matchId, true);
    return m && `${m.value.head},"responseTimePercentiles":${this.percentiles()},${m.value.tail}`;
  }

  async metricsBody(matchId: string): Promise<MetricsBody | null> {
    const json = await this.metricsJson(matchId);
    return json === null ? null : (JSON.parse(json) as MetricsBody);
  }

  async timeline(matchId: string, bucket: TimelineBucket): Promise<Timeline | null> {
    const caps = await this.caps();
    const { value } = await this.cache.get(
      matchId,
      `timeline:${bucket}`,
      () => getTimelineVersioned(this.o.clickhouse, caps, { matchId, bucket }),
      null,
    );
    return value;
  }

  async highlights(
    matchId: string,
    limit: number,
    offset: number,
  ): Promise<{ total: number; items: HighlightItem[] } | null> {
    const caps = await this.caps();
    const { value } = await this.cache.get(
      matchId,
      `highlights:${limit}:${offset}`,
      async () => {
        const page = await getHighlightsVersioned(this.o.clickhouse, caps, { matchId, limit, offset });
        return {
          storedRows: page.storedRows,
          value: page.value && {
            total: page.value.total,
            items: page.value.items.map((h) => ({ ...h, title: highlightTitle(h) })),
          },
        };
      },
      null,
    );
    return value;
  }

  async players(matchId: string, limit: number, by: PlayerSort): Promise<TopPlayer[] | null> {
    const caps = await this.caps();
    const { value } = await this.cache.get(
      matchId,
      `players:${by}:${limit}`,
      () => getTopPlayersVersioned(this.o.clickhouse, caps, { matchId, limit, by }),
      null,
    );
    return value;
  }

  /**
   * A page of the match list. Which matches are on it (and their times and markers) is read from small states
   * and shared for up to half the staleness bound; each match's totals are kept while its marker stays the same,
   * and the missing ones are merged in one query.
   */
  async matches(limit: number, offset: number): Promise<{ total: number; items: MatchSummary[] }> {
    const caps = await this.caps();
    const page = await this.page(caps, limit, offset);
    const totals = new Map<string, MatchTotals>();
    const missing: string[] = [];
    for (const item of page.items) {
      const known = this.cache.peek<MatchTotals>(item.matchId, 'totals', item.storedRows);
      if (known) totals.set(item.matchId, known);
      else missing.push(item.matchId);
    }
    if (missing.length > 0) {
      const startedAt = this.now();
      const fetched = await getMatchTotals(this.o.clickhouse, caps, { matchIds: missing });
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
  ): Promise<'open' | 'no-match' | 'full'> {
    if (!this.hub.accepting) return 'full';
    const first = await this.snapshot(matchId);
    if (!first) return 'no-match';
    if (!this.hub.accepting) return 'full';
    this.hub.subscribe(matchId, first, req, res);
    return 'open';
  }

  /** The metrics; `allowPrevious`: the answer before the last change may do while it is under a second old. */
  private async metrics(matchId: string, allowPrevious: boolean): Promise<Versioned<RenderedMetrics> | null> {
    const caps = await this.caps();
    const result = await this.cache.get(
      matchId,
      'metrics',
      async () => {
        const v = await getMatchMetricsVersioned(this.o.clickhouse, caps, { matchId });
        return { value: v.value && render(v.value), storedRows: v.storedRows };
      },
      null,
      { allowPrevious },
    );
    return result.value ? { value: result.value, storedRows: result.storedRows } : null;
  }

  private async snapshot(matchId: string): Promise<StreamSnapshot | null> {
    const m = await this.metrics(matchId, false);
    if (!m) return null;
    return {
      key: m.value.head + m.value.tail,
      data: `${m.value.head},"responseTimePercentiles":${this.percentiles()},${m.value.tail}`,
      storedRows: m.storedRows,
    };
  }

  private percentiles(): string {
    const now = this.now();
    if (!this.percentilesJson || now - this.percentilesJson.at >= 1000) {
      this.percentilesJson = { at: now, text: JSON.stringify(this.o.responseTimes?.percentiles() ?? null) };
    }
    return this.percentilesJson.text;
  }

  private page(caps: ClickHouseCapabilities, limit: number, offset: number): Promise<MatchPage> {
    const key = `${limit}:${offset}`;
    const now = this.now();
    const cached = this.pages.get(key);
    if (cached && now - cached.at <= this.maxStalenessMs / 2) return cached.promise;
    const promise = listMatchPage(this.o.clickhouse, caps, { limit, offset, now: new Date(now) });
    this.pages.set(key, { at: now, promise });
    promise.catch(() => {
      if (this.pages.get(key)?.promise === promise) this.pages.delete(key);
    });
    if (this.pages.size > 100) this.pages.delete(this.pages.keys().next().value as string);
    return promise;
  }
}
