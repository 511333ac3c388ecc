export { CLIENT_SETTINGS, createClickHouseClient, databaseOf, type ClickHouseClientOptions } from './client';
export { detectCapabilities, type ClickHouseCapabilities } from './capabilities';
export {
  EventRowError,
  classifyClickHouseError,
  clickHouseErrorCode,
  type ClickHouseErrorKind,
} from './errors';
export { execute, selectRows } from './query';
export {
  identifier,
  inList,
  joinSql,
  param,
  render,
  sql,
  type RenderMode,
  type RenderedQuery,
  type Sql,
  type SqlArg,
  type SqlType,
  type SqlValue,
} from './sql';
export { EVENT_COLUMNS, insertEvents, toEventRow, type EventRow } from './events';
export {
  MIGRATIONS_DIR,
  MigrationChecksumError,
  loadMigrations,
  runMigrations,
  type MigrationResult,
  type RunMigrationsOptions,
} from './migrations';
export { HIGHLIGHT_TYPES, type Versioned } from './queries/common';
export {
  getHighlights,
  getHighlightsVersioned,
  type Highlight,
  type HighlightPage,
  type HighlightsParams,
} from './queries/highlights';
export {
  LIVE_WINDOW_MINUTES,
  MAX_PAGE_SIZE,
  getMatchTotals,
  listMatchPage,
  listMatches,
  summaryOf,
  type ListMatchesParams,
  type MatchList,
  type MatchPage,
  type MatchPageItem,
  type MatchSummary,
  type MatchTotals,
} from './queries/matches';
export {
  PEAK_PERIODS,
  getMatchMetrics,
  getMatchMetricsFromEvents,
  getMatchMetricsVersioned,
  type MatchMetrics,
  type MatchMetricsParams,
  type MinuteCount,
  type TeamMetrics,
} from './queries/metrics';
export {
  MAX_TOP_PLAYERS,
  PLAYER_SORTS,
  getTopPlayers,
  getTopPlayersVersioned,
  type PlayerSort,
  type TopPlayer,
  type TopPlayersParams,
} from './queries/players';
export {
  TIMELINE_BUCKETS,
  getTimeline,
  getTimelineVersioned,
  type Timeline,
  type TimelineBucket,
  type TimelineEntry,
  type TimelineParams,
} from './queries/timeline';
export {
  MAX_MARKER_MATCHES,
  getMatchLastInsert,
  getMatchesLastInsert,
  type MatchLastInsert,
} from './queries/freshness';
