import type { ClickHouseClient } from '@clickhouse/client';
import { SpanKind, inSpan, tracingOn } from '@pitchpulse/tracing';
import { traceParentOf } from './client';

/** The longest query text a span carries (the text is parameterised: values travel as query parameters). */
const MAX_QUERY_TEXT = 2000;

/**
 * Runs one ClickHouse call of `client` in a client span named by the semantic conventions (`SELECT`, `INSERT
 * pitchpulse.events`), a child of the span `client` carries (clientUnder); with tracing off, just runs it.
 */
export function traced<T>(
  client: ClickHouseClient,
  operation: 'SELECT' | 'INSERT',
  detail: { table?: string; query?: string; rows?: number },
  call: () => Promise<T>,
): Promise<T> {
  if (!tracingOn()) return call();
  const attributes = dbSpanAttributes(operation, detail);
  const table = attributes['db.collection.name'];
  const name = table ? `${operation} ${table}` : operation;
  return inSpan(name, { kind: SpanKind.CLIENT, parent: traceParentOf(client), attributes }, call);
}

/** The semantic conventions' attributes of a ClickHouse call's span (for spans recorded elsewhere too). */
export function dbSpanAttributes(
  operation: 'SELECT' | 'INSERT',
  detail: { table?: string; query?: string; rows?: number },
): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'db.system.name': 'clickhouse',
    'db.operation.name': operation,
  };
  // `db`.`events` as the query has it; db.events as a reader would write it
  const table = detail.table?.replaceAll('`', '');
  if (table) attributes['db.collection.name'] = table;
  if (detail.query) attributes['db.query.text'] = detail.query.slice(0, MAX_QUERY_TEXT);
  if (detail.rows !== undefined) attributes['db.operation.batch.size'] = detail.rows;
  return attributes;
}
