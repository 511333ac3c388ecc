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
  Sql,
  identifier,
  inList,
  joinSql,
  param,
  render,
  sql,
  type RenderMode,
  type RenderedQuery,
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
