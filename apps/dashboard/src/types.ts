/** Shapes of the read API's answers (DESIGN.md "Read API"; /openapi.json has the full schemas). */

export interface MinuteCount {
  minute: number;
  eventCount: number;
}

export interface TeamMetrics {
  events: number;
  goals: number;
  shots: number;
  /** yellow + red cards */
  cards: number;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface MatchMetrics {
  matchId: string;
  totalEvents: number;
  eventsByType: Record<string, number>;
  goals: number;
  yellowCards: number;
  redCards: number;
  firstEventAt: string;
  lastEventAt: string;
  peakMinute: MinuteCount;
  peakEngagementPeriods: MinuteCount[];
  byTeam: Record<'1' | '2', TeamMetrics>;
  /** the ingest API's response times (ms) over a sliding window */
  responseTimePercentiles?: Percentiles | null;
  /** API receipt → row in ClickHouse, for this match (ms) */
  pipelineLatencyMs?: Percentiles | null;
}

export interface MatchSummary {
  matchId: string;
  totalEvents: number;
  score: { '1': number; '2': number };
  firstEventAt: string;
  lastEventAt: string;
  live: boolean;
}

export interface MatchList {
  total: number;
  items: MatchSummary[];
}

export interface TimelineEntry {
  minute: number;
  total: number;
  counts: Record<string, number>;
}

export interface Timeline {
  matchId: string;
  bucket: '1m' | '5m';
  buckets: TimelineEntry[];
}

export interface Highlight {
  eventId: string;
  eventType: string;
  teamId: number;
  playerId: string | null;
  minute: number;
  timestamp: string;
  metadata: Record<string, unknown>;
  title?: string;
}

export interface HighlightPage {
  total: number;
  items: Highlight[];
}

export interface TopPlayer {
  playerId: string;
  teamId: number;
  events: number;
  goals: number;
  shots: number;
}
