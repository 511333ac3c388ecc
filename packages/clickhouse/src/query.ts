import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { render, sql, type RenderMode, type Sql, type SqlIdentifier } from './sql';
import { traced } from './traced';

/** Runs a SELECT built with `sql` and returns its rows (JSONEachRow). */
export async function selectRows<T>(
  client: ClickHouseClient,
  mode: RenderMode,
  fragment: Sql,
  settings?: ClickHouseSettings,
): Promise<T[]> {
  const { query, query_params } = render(fragment, mode);
  return traced(client, 'SELECT', { query }, async () => {
    const result = await client.query({
      query,
      query_params,
      format: 'JSONEachRow',
      ...(settings ? { clickhouse_settings: settings } : {}),
    });
    return result.json<T>();
  });
}

/**
 * Inserts `rows` (one object per row, keyed by column) into `into` in one JSONEachRow insert naming `columns`, so
 * a column a row leaves out gets its default; nothing is sent for no rows.
 */
export async function insertRows<C extends string>(
  client: ClickHouseClient,
  into: SqlIdentifier,
  columns: readonly [C, ...C[]],
  rows: ReadonlyArray<Record<C, unknown>>,
): Promise<void> {
  if (rows.length === 0) return;
  const table = render(sql`${into}`, { nativeParams: false }).query;
  await traced(client, 'INSERT', { table, rows: rows.length }, () =>
    client.insert({ table, values: [...rows], format: 'JSONEachRow', columns: [...columns] }),
  );
}

/** Runs a statement built with `sql` that returns no rows (DDL, INSERT … SELECT, OPTIMIZE). */
export async function execute(
  client: ClickHouseClient,
  mode: RenderMode,
  fragment: Sql,
  settings?: ClickHouseSettings,
): Promise<void> {
  const { query, query_params } = render(fragment, mode);
  await client.command({ query, query_params, ...(settings ? { clickhouse_settings: settings } : {}) });
}
