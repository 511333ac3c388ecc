import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { render, type RenderMode, type Sql } from './sql';

/** Runs a SELECT built with `sql` and returns its rows (JSONEachRow). */
export async function selectRows<T>(
  client: ClickHouseClient,
  mode: RenderMode,
  fragment: Sql,
  settings?: ClickHouseSettings,
): Promise<T[]> {
  const { query, query_params } = render(fragment, mode);
  const result = await client.query({
    query,
    query_params,
    format: 'JSONEachRow',
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
  return result.json<T>();
}

/** Runs a statement built with `sql` that returns no rows (DDL, INSERT … SELECT). */
export async function execute(client: ClickHouseClient, mode: RenderMode, fragment: Sql): Promise<void> {
  const { query, query_params } = render(fragment, mode);
  await client.command({ query, query_params });
}
