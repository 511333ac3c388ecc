export {
  BatchAccepted,
  EVENT_TYPES,
  EventAccepted,
  EventBatch,
  FieldError,
  MATCH_ID_PATTERN,
  MATCH_ID_RULE,
  MAX_BATCH_EVENTS,
  MAX_METADATA_BYTES,
  MatchEvent,
  RejectedEvent,
  TEAM_IDS,
  type EventType,
  type TeamId,
} from './event';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  Problem,
  problemTypeUri,
  type ProblemBody,
  type ProblemType,
} from './problem';
export { CHECK_STATUSES, Health, Readiness, type CheckStatus } from './probes';
export {
  EngagementPeriod,
  HIGHLIGHT_TYPES,
  Highlight,
  HighlightPage,
  LIVE_WINDOW_MINUTES,
  MatchList,
  MatchMetrics,
  MatchMinuteCount,
  MatchSummary,
  PEAK_PERIODS,
  PLAYER_SORTS,
  PeakMinute,
  Percentiles,
  PlayerList,
  READ_LIMITS,
  STREAM_EVENTS,
  TIMELINE_BUCKETS,
  TeamMetrics,
  Timeline,
  TimelineEntry,
  TopPlayer,
  type HighlightType,
  type PlayerSort,
  type StreamEventName,
  type TimelineBucket,
} from './read';
export {
  DEFAULT_TOPICS,
  FAILURE_HEADERS,
  FAILURE_KINDS,
  FailureHeaders,
  MAX_FAILURE_ERROR_LENGTH,
  StoredEvent,
  type FailureKind,
} from './kafka';
export { EXAMPLE_EVENT, buildOpenApi, schemaComponents, type OpenApiOptions } from './openapi';
export { renderContractDoc } from './docs';
export { createAjv, validatorFor } from './validators';
export { isRfc3339DateTime, parseTimestampMs } from './timestamp';
