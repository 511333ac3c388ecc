import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPES, MatchId, TEAM_IDS } from './event';
import { Closed, Count, DateTime, FreeObject, oneOf } from './schema';

/** A match is `live` while the API received one of its events at most this long ago. */
export const LIVE_WINDOW_MINUTES = 5;
/** How many minutes `peakEngagementPeriods` and `peakMatchMinutes` list. */
export const PEAK_PERIODS = 5;
export const TIMELINE_BUCKETS = { '1m': 1, '5m': 5 } as const;
export type TimelineBucket = keyof typeof TIMELINE_BUCKETS;
export const PLAYER_SORTS = ['events', 'goals', 'shots'] as const;
export type PlayerSort = (typeof PLAYER_SORTS)[number];
/** The event types that become highlights unless configured otherwise (`HIGHLIGHT_TYPES`). */
export const HIGHLIGHT_TYPES = ['goal', 'red_card'] as const;
export type HighlightType = (typeof HIGHLIGHT_TYPES)[number];
/**
 * A highlight's life: created PENDING when its event is stored, READY once enriched (title and summary), FAILED
 * when the enricher kept failing, RETRACTED when its event was retracted.
 */
export const HIGHLIGHT_STATUSES = ['PENDING', 'READY', 'FAILED', 'RETRACTED'] as const;
export type HighlightStatus = (typeof HIGHLIGHT_STATUSES)[number];

/** Page sizes and bounds of the read routes' query parameters. */
export const READ_LIMITS = {
  matches: { default: 20, max: 100 },
  highlights: { default: 20, max: 100 },
  /** `GET /api/highlights`: `pageSize` and the last reachable `page` */
  highlightList: { defaultPageSize: 20, maxPageSize: 100, maxPage: 1000 },
  players: { default: 10, max: 100 },
  maxOffset: 100_000,
} as const;

export const Percentiles = Closed('Percentiles', {
  p50: Type.Number(),
  p95: Type.Number(),
  p99: Type.Number(),
});
export type Percentiles = Static<typeof Percentiles>;

export const TeamMetrics = Closed('TeamMetrics', {
  events: Count(),
  goals: Count(),
  shots: Count(),
  cards: Count({ description: 'Yellow + red cards' }),
});
export type TeamMetrics = Static<typeof TeamMetrics>;

const byTeam = <T extends Parameters<typeof Type.Object>[0][string]>(title: string, value: T) =>
  Closed(title, { '1': value, '2': value });

export const PeakMinute = Closed(
  'PeakMinute',
  {
    minute: DateTime({
      description: 'Start of the wall-clock UTC minute (`toStartOfMinute` of the event time)',
      examples: ['2024-01-15T14:45:00Z'],
    }),
    eventCount: Count(),
  },
  { description: 'The wall-clock UTC minute with the most distinct events (earliest on a tie)' },
);
export type PeakMinute = Static<typeof PeakMinute>;

export const EngagementPeriod = Closed('EngagementPeriod', {
  timestamp: DateTime({
    description: 'Start of the wall-clock UTC minute',
    examples: ['2024-01-15T14:45:00Z'],
  }),
  eventCount: Count(),
});
export type EngagementPeriod = Static<typeof EngagementPeriod>;

export const MatchMinuteCount = Closed('MatchMinuteCount', {
  minute: Type.Integer({
    minimum: 0,
    description:
      'Minute of play: the feed’s `metadata.minute`, else whole minutes since the match’s first event',
  }),
  eventCount: Count(),
});
export type MatchMinuteCount = Static<typeof MatchMinuteCount>;

const FRESHNESS =
  'Answers come from ClickHouse’s aggregate tables and are kept in memory while the match’s change marker says ' +
  'they are current (checked by one shared poll, at most 1 s ago): no answer lags the stored events by more ' +
  'than a second. Counts are exact: an event delivered twice is counted once.';

/** `GET /api/matches/{matchId}/metrics`, and each `metrics` event of the match's SSE stream. */
export const MatchMetrics = Closed(
  'MatchMetrics',
  {
    matchId: Type.String(),
    totalEvents: Count({ description: 'Distinct events (by eventId)' }),
    eventsByType: Closed(
      'EventsByType',
      Object.fromEntries(EVENT_TYPES.map((t) => [t, Count()])) as Record<
        (typeof EVENT_TYPES)[number],
        ReturnType<typeof Count>
      >,
      { description: 'Distinct events per type; every type is listed, 0 when none' },
    ),
    goals: Count(),
    yellowCards: Count(),
    redCards: Count(),
    firstEventAt: DateTime({ description: 'Earliest event timestamp (UTC, milliseconds)' }),
    lastEventAt: DateTime({ description: 'Latest event timestamp (UTC, milliseconds)' }),
    peakMinute: PeakMinute,
    peakEngagementPeriods: Type.Array(EngagementPeriod, {
      maxItems: PEAK_PERIODS,
      description: `The ${PEAK_PERIODS} wall-clock minutes with the most distinct events, most first (earliest on a tie)`,
    }),
    peakMatchMinute: Closed('PeakMatchMinute', MatchMinuteCount.properties, {
      description: 'The minute of play with the most distinct events (earliest on a tie)',
    }),
    peakMatchMinutes: Type.Array(MatchMinuteCount, {
      maxItems: PEAK_PERIODS,
      description: `The ${PEAK_PERIODS} minutes of play with the most distinct events, most first (earliest on a tie)`,
    }),
    byTeam: byTeam('MetricsByTeam', TeamMetrics),
    flaggedEvents: Count({
      description:
        'Distinct events of the match a feed-integrity rule flagged, retracted ones included ' +
        '(GET /api/matches/{matchId}/anomalies says which rules)',
    }),
    responseTimePercentiles: Type.Union([Percentiles, Type.Null()], {
      description:
        'Response times (ms) of this API instance’s ingest routes (every status) over the last 60 s, 1 % ' +
        'resolution; null without ingest requests in that time',
    }),
    pipelineLatencyMs: Closed('PipelineLatency', Percentiles.properties, {
      description:
        'API receipt → row in ClickHouse (ms) over every stored row of the match (exact quantiles)',
    }),
  },
  { description: FRESHNESS },
);
export type MatchMetrics = Static<typeof MatchMetrics>;

export const MatchSummary = Closed('MatchSummary', {
  matchId: Type.String(),
  totalEvents: Count(),
  score: byTeam('Score', Count()),
  firstEventAt: DateTime(),
  lastEventAt: DateTime(),
  live: Type.Boolean({
    description:
      `An event of the match received in the last ${LIVE_WINDOW_MINUTES} minutes (receipt time: an event ` +
      'stamped in the future does not keep a match live)',
  }),
});
export type MatchSummary = Static<typeof MatchSummary>;

const page = { total: Count(), limit: Count(), offset: Count() };

/** `GET /api/matches`: live matches first, then by latest event, newest first. */
export const MatchList = Closed('MatchList', {
  ...page,
  total: Count({ description: 'Matches with at least one event' }),
  items: Type.Array(MatchSummary),
});
export type MatchList = Static<typeof MatchList>;

export const TimelineEntry = Closed('TimelineEntry', {
  minute: Type.Integer({ minimum: 0, description: 'First minute of play of the bucket' }),
  total: Count(),
  counts: Type.Record(Type.String(), Count(), { description: 'Distinct events per event type (types seen)' }),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

/** `GET /api/matches/{matchId}/timeline`. */
export const Timeline = Closed('Timeline', {
  matchId: Type.String(),
  bucket: oneOf(Object.keys(TIMELINE_BUCKETS) as TimelineBucket[]),
  buckets: Type.Array(TimelineEntry, { description: 'Buckets with at least one event, in minute order' }),
});
export type Timeline = Static<typeof Timeline>;

const nullable = (schema: ReturnType<typeof Type.String>) => Type.Union([schema, Type.Null()]);

export const Highlight = Closed('Highlight', {
  highlightId: Type.String({ format: 'uuid', description: 'The eventId of the event it shows' }),
  matchId: Type.String(),
  eventId: Type.String({ format: 'uuid' }),
  eventType: oneOf(EVENT_TYPES),
  teamId: oneOf(TEAM_IDS),
  playerId: Type.Union([Type.String(), Type.Null()]),
  minute: Type.Integer({ minimum: 0, description: 'Minute of play' }),
  timestamp: DateTime(),
  metadata: FreeObject(),
  status: oneOf(HIGHLIGHT_STATUSES),
  title: Type.String({
    description: "The enricher's title once READY; until then one built from the event",
    examples: ["GOAL — Team 1 2–1, Smith (45')", "RED CARD — Team 2, player-9 (67')"],
  }),
  summary: nullable(Type.String({ description: 'One sentence, once READY' })),
  error: nullable(
    Type.String({ description: "The enricher's last error (FAILED, or PENDING after a failed attempt)" }),
  ),
  attempts: Count({ description: 'Enrichment attempts that failed' }),
  createdAt: DateTime({ description: 'When the pipeline stored its event' }),
  updatedAt: DateTime({ description: 'When its status last changed' }),
});
export type Highlight = Static<typeof Highlight>;

/** `GET /api/highlights`: every match's highlights (or one match's), newest first, optionally of one status. */
export const HighlightList = Closed('HighlightList', {
  page: Type.Integer({ minimum: 1 }),
  pageSize: Type.Integer({ minimum: 1 }),
  total: Count({ description: 'Highlights that match the filters' }),
  items: Type.Array(Highlight),
});
export type HighlightList = Static<typeof HighlightList>;

/** `GET /api/matches/{matchId}/highlights`: goals and red cards, newest first. */
export const HighlightPage = Closed('HighlightPage', {
  matchId: Type.String(),
  ...page,
  total: Count({ description: 'Highlights of the match' }),
  items: Type.Array(Highlight),
});
export type HighlightPage = Static<typeof HighlightPage>;

export const TopPlayer = Closed('TopPlayer', {
  playerId: Type.String(),
  teamId: oneOf(TEAM_IDS),
  events: Count(),
  goals: Count(),
  shots: Count({ description: '`shot` events (goals are counted separately)' }),
});
export type TopPlayer = Static<typeof TopPlayer>;

/** `GET /api/matches/{matchId}/players`. */
export const PlayerList = Closed('PlayerList', {
  matchId: Type.String(),
  by: oneOf(PLAYER_SORTS),
  items: Type.Array(TopPlayer),
});
export type PlayerList = Static<typeof PlayerList>;

/** The events of `GET /api/matches/{matchId}/stream` (`text/event-stream`), by SSE event name. */
export const STREAM_EVENTS = {
  metrics: MatchMetrics,
  /** a highlight of the match that became READY */
  highlight: Highlight,
} as const;
export type StreamEventName = keyof typeof STREAM_EVENTS;

export const MatchIdParam = MatchId({ description: `The match, as sent in events` });
