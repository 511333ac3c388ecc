import type { ClickHouseClient } from '@clickhouse/client';
import { databaseOf } from './client';
import { clickHouseErrorCode } from './errors';

/** What the read queries need to know about the server behind a client. */
export interface ClickHouseCapabilities {
  /** `version()` of the server, e.g. `18.16.1` or `26.7.2.1`. */
  version: string;
  /** Server binds `{name:Type}` query parameters (19.x and later; not 18.16). */
  nativeParams: boolean;
  /** Database holding the PitchPulse schema (the client's, see `createClickHouseClient`). */
  database: string;
}

const UNKNOWN_SETTING = 115;

/** Asks the server for its version and probes `{name:Type}` binding with a harmless query. */
export async function detectCapabilities(client: ClickHouseClient): Promise<ClickHouseCapabilities> {
  const res = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
  const [row] = await res.json<{ version: string }>();
  if (!row) throw new Error('ClickHouse returned no version');
  let nativeParams: boolean;
  try {
    const probe = await client.query({
      query: 'SELECT {probe:UInt8} AS probe',
      query_params: { probe: 7 },
      format: 'JSONEachRow',
    });
    const [answer] = await probe.json<{ probe: number | string }>();
    nativeParams = Number(answer?.probe) === 7;
  } catch (err) {
    // 18.x takes `param_probe` for an unknown setting (code 115); anything else is a real failure.
    if (clickHouseErrorCode(err) !== UNKNOWN_SETTING) throw err;
    nativeParams = false;
  }
  return { version: row.version, nativeParams, database: databaseOf(client) };
}
