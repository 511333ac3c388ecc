/**
 * Current ClickHouse (26.x) in-process through chdb, behind the same @clickhouse/client API. For tests and the
 * compatibility suite only: production code imports `./index`, which never loads chdb.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type * as ChdbConnection from 'chdb/connection';
import { CLIENT_SETTINGS, registerClient } from './client';

type ClientConnection = NonNullable<Parameters<typeof createClient>[0]>['connection'];

export interface ChdbClientOptions {
  /** Database that holds the PitchPulse schema. Default `default`. */
  database?: string;
}

/**
 * A client over an in-process chdb session. `path`: a data folder (kept) or `:memory:` (default: a temp folder
 * shared by every `:memory:` client of this process). libchdb binds one data folder per process: use one path.
 */
export function createChdbClient(path = ':memory:', options: ChdbClientOptions = {}): ClickHouseClient {
  // Loaded here, not at import: the native library (~0.5 s, a large mapping) is for whoever opens an engine, not
  // for every importer of the testing entry point (the benchmarks take its seeded fixtures).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof ChdbConnection;
  const client = createClient({
    // chdb types the connection against @clickhouse/client-common, which the client re-bundles: same shape.
    connection: createChdbConnection({ path }) as unknown as ClientConnection,
    clickhouse_settings: CLIENT_SETTINGS,
    log: { level: ClickHouseLogLevel.OFF },
  });
  // chdb has no per-request default database: every PitchPulse statement names its database explicitly.
  return registerClient(client, { database: options.database ?? 'default' });
}
