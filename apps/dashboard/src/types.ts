/**
 * Shapes of the read API's answers (README "Read API", /openapi.json): the query results of
 * @pitchpulse/clickhouse (type-only imports, erased from the bundle) plus what the api adds to them, so a change
 * of a field there fails this page's build instead of its users.
 */
import type {
  Highlight as StoredHighlight,
  MatchMetrics as StoredMetrics,
  MatchSummary,
  MinuteCount,
  TeamMetrics,
  Timeline,
  TimelineEntry,
  TopPlayer,
} from '@pitchpulse/clickhouse';

export type { MatchSummary, MinuteCount, TeamMetrics, Timeline, TimelineEntry, TopPlayer };

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** GET /api/matches/{id}/metrics (and each SSE `metrics` push). */
export interface MatchMetrics extends StoredMetrics {
  /** the ingest API's response times (ms) over a sliding window; null without ingest traffic */
  responseTimePercentiles: Percentiles | null;
}

/** GET /api/matches */
export interface MatchList {
  total: number;
  items: MatchSummary[];
}

/** An item of GET /api/matches/{id}/highlights, with the API's generated title. */
export interface Highlight extends StoredHighlight {
  title?: string;
}

export interface HighlightPage {
  total: number;
  items: Highlight[];
}
