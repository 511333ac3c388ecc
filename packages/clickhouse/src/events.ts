import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { parseTimestampMs, type StoredEvent } from '@pitchpulse/contract';
import { databaseOf } from './client';
import { EventRowError } from './errors';
import { identifier, render, sql } from './sql';
import { traced } from './traced';

/** One row of `events`, as sent with JSONEachRow. Every column is always present. */
export interface EventRow {
  event_id: string;
  match_id: string;
  event_type: string;
  /** `YYYY-MM-DD hh:mm:ss`, UTC */
  event_time: string;
  event_time_ms: number;
  team_id: number;
  /** '' when the event names no player */
  player_id: string;
  /** the feed's `metadata.minute` when it is a whole number 0–1000, else -1 */
  feed_minute: number;
  /** the event's metadata as JSON ('{}' when absent) */
  metadata: string;
  received_at: string;
  received_at_ms: number;
  inserted_at: string;
  inserted_at_ms: number;
  /** the feed-integrity rules the event was flagged with (migration 010) */
  anomalies: string[];
}

export const EVENT_COLUMNS = [
  'event_id',
  'match_id',
  'event_type',
  'event_time',
  'event_time_ms',
  'team_id',
  'player_id',
  'feed_minute',
  'metadata',
  'received_at',
  'received_at_ms',
  'inserted_at',
  'inserted_at_ms',
  'anomalies',
] as const satisfies readonly (keyof EventRow)[];

/** The columns of a batch without flagged events: `anomalies` keeps its default. */
const UNFLAGGED_COLUMNS = EVENT_COLUMNS.slice(0, -1) as [string, ...string[]];

export const MAX_FEED_MINUTE = 1000;
const MAX_DATETIME_MS = 4_294_967_295_999;

/** `YYYY-MM-DD hh:mm:ss` (UTC) and the milliseconds, for a DateTime column and its *_ms companion. */
export function splitDateTime(epochMs: number, what: string): [string, number] {
  if (!Number.isFinite(epochMs) || epochMs < 0 || epochMs > MAX_DATETIME_MS) {
    throw new RangeError(`${what} ${epochMs} is outside ClickHouse DateTime's range (1970 – 2106)`);
  }
  const ms = Math.floor(epochMs);
  return [dateTimeOfSecond(Math.floor(ms / 1000)), ms % 1000];
}

// Events of a batch share few distinct seconds (and one insertedAt): formatting each second once keeps the row
// mapper off the consumer's critical path.
const formattedSeconds = new Map<number, string>();

function dateTimeOfSecond(second: number): string {
  let text = formattedSeconds.get(second);
  if (text === undefined) {
    text = formatDateTime(second);
    if (formattedSeconds.size >= 4096) formattedSeconds.clear();
    formattedSeconds.set(second, text);
  }
  return text;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD hh:mm:ss` of an epoch second (1970 – 2106), by arithmetic: no Date, no ISO string to cut. */
function formatDateTime(epochSecond: number): string {
  const days = Math.floor(epochSecond / 86_400);
  const secondOfDay = epochSecond - days * 86_400;
  // civil-from-days (H. Hinnant), valid for every day after 1970-01-01
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  return `${year}-${pad2(month)}-${pad2(day)} ${pad2(hour)}:${pad2(minute)}:${pad2(secondOfDay % 60)}`;
}

function feedMinute(metadata: Record<string, unknown> | undefined): number {
  const minute = metadata?.minute;
  return typeof minute === 'number' && Number.isInteger(minute) && minute >= 0 && minute <= MAX_FEED_MINUTE
    ? minute
    : -1;
}

/** Maps a stored event to its row. Throws EventRowError (a `data` error) for what ClickHouse could not store. */
export function toEventRow(event: StoredEvent, insertedAt: Date): EventRow {
  try {
    const eventMs = parseTimestampMs(event.timestamp);
    if (eventMs === undefined)
      throw new RangeError(`timestamp ${JSON.stringify(event.timestamp)} is not RFC 3339`);
    const [eventTime, eventTimeMs] = splitDateTime(eventMs, 'timestamp');
    const [receivedAt, receivedAtMs] = splitDateTime(event.receivedAt, 'receivedAt');
    const [inserted, insertedMs] = splitDateTime(insertedAt.getTime(), 'insertedAt');
    const metadata = event.metadata as Record<string, unknown> | undefined;
    return {
      event_id: event.eventId,
      match_id: event.matchId,
      event_type: event.eventType,
      event_time: eventTime,
      event_time_ms: eventTimeMs,
      team_id: event.teamId,
      player_id: event.playerId ?? '',
      feed_minute: feedMinute(metadata),
      metadata: JSON.stringify(metadata ?? {}),
      received_at: receivedAt,
      received_at_ms: receivedAtMs,
      inserted_at: inserted,
      inserted_at_ms: insertedMs,
      anomalies: event.anomalies ? [...event.anomalies] : [],
    };
  } catch (err) {
    throw new EventRowError(
      `event ${event.eventId} cannot be stored: ${(err as Error).message}`,
      event.eventId,
    );
  }
}

// TabSeparated escaping (the characters ClickHouse's TSV reader would otherwise take as syntax).
const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_SPECIAL_ALL = /[\\\t\n\r\0]/g;
const TSV_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
};

function tsv(text: string): string {
  return TSV_SPECIAL.test(text) ? text.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]!) : text;
}

/** An Array(String) in TabSeparated: `['a','b']`, each element quoted and escaped. */
function tsvArray(values: readonly string[]): string {
  return `[${values.map((v) => `'${tsv(v).replace(/'/g, "\\'")}'`).join(',')}]`;
}

/**
 * One row as a TabSeparated line, columns in EVENT_COLUMNS order; without `anomalies` (the last) when
 * `withAnomalies` is false.
 */
export function tsvLine(row: EventRow, withAnomalies = true): string {
  return (
    `${tsv(row.event_id)}\t${tsv(row.match_id)}\t${tsv(row.event_type)}\t${row.event_time}\t${row.event_time_ms}\t` +
    `${row.team_id}\t${tsv(row.player_id)}\t${row.feed_minute}\t${tsv(row.metadata)}\t` +
    `${row.received_at}\t${row.received_at_ms}\t${row.inserted_at}\t${row.inserted_at_ms}` +
    `${withAnomalies ? `\t${tsvArray(row.anomalies)}` : ''}\n`
  );
}

/**
 * Inserts the events into `<database>.events` (database: `databaseOf(client)`), every column named, as one
 * TabSeparated body: ClickHouse parses it faster than JSONEachRow and building it costs a fraction of
 * serialising row objects (this is the consumer's hot path). `insertedAt` (default now) is stamped on every
 * row. Resolves to the number of rows sent.
 */
export async function insertEvents(
  client: ClickHouseClient,
  events: readonly StoredEvent[],
  insertedAt: Date = new Date(),
): Promise<number> {
  if (events.length === 0) return 0;
  // A batch without flagged events leaves `anomalies` to its default ([]): the insert then also suits a schema
  // from before migration 010 (an upgrade in progress, or tests of one).
  const withAnomalies = events.some((e) => e.anomalies !== undefined && e.anomalies.length > 0);
  let body = '';
  for (const event of events) body += tsvLine(toEventRow(event, insertedAt), withAnomalies);
  const table = render(sql`${identifier(databaseOf(client), 'events')}`, { nativeParams: false }).query;
  await traced(client, 'INSERT', { table, rows: events.length }, () =>
    client.insert({
      table,
      values: Readable.from([Buffer.from(body)], { objectMode: false }),
      format: 'TabSeparated',
      columns: withAnomalies ? [...EVENT_COLUMNS] : UNFLAGGED_COLUMNS,
    }),
  );
  return events.length;
}
