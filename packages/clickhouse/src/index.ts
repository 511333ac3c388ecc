export {
  CLICKHOUSE_COMPRESSIONS,
  CLIENT_SETTINGS,
  clientUnder,
  createClickHouseClient,
  databaseOf,
  type ClickHouseClientOptions,
  type ClickHouseCompression,
} from './client';
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
export { ClickHouseStore } from './store';
export { settle, settleMs, upToDateReads } from './replicas';
export {
  pendingMatches,
  sealMatch,
  sealPending,
  settleMarkers,
  type NotSealed,
  type PendingOptions,
  type SealResult,
  type SettledMarkers,
} from './seals';
export { foundRetractions, insertRetractions, matchRetractions } from './retractions';
export { matchAnomalies } from './queries/anomalies';
export { writeSeasonDays, type SeasonDaysResult } from './season-days';
export type { Versioned } from './queries/common';
export {
  MAX_HIGHLIGHTS_PAGE,
  type HighlightQuery,
  type HighlightSlice,
  type StoredHighlight,
} from './queries/highlights';
export { minuteOf, parseMetadata } from './queries/common';
export {
  HIGHLIGHT_VERSIONS,
  readyVersion,
  MAX_HIGHLIGHT_ATTEMPTS,
  dueHighlights,
  highlightBacklog,
  matchGoals,
  matchStarts,
  recordHighlights,
  setHighlightTypes,
  type HighlightOutcome,
  type MatchGoal,
  type StoredHighlightRow,
} from './highlights';
export {
  MAX_PAGE_SIZE,
  summaryOf,
  type ListMatchesParams,
  type MatchPage,
  type MatchPageItem,
  type MatchTotals,
} from './queries/matches';
export type { StoredMetrics } from './queries/metrics';
export { MAX_TOP_PLAYERS } from './queries/players';
export { MAX_MARKER_MATCHES, type MatchLastInsert } from './queries/freshness';
export {
  MAX_UNSEALED,
  checkStatsRange,
  rankPlayers,
  type CohortRetention,
  type CohortRetentionParams,
  type StatsRangeParams,
  type StatsSnapshot,
} from './queries/stats';
export {
  RAW_TABLES,
  applyRetention,
  partitionExpired,
  partitionMonth,
  rawPartitions,
  retentionHorizon,
  type DroppedPartition,
  type RawTable,
  type RetentionOptions,
  type RetentionResult,
  type SkippedPartition,
} from './retention';
export { dbSpanAttributes } from './traced';
