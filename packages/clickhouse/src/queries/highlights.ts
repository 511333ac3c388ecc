/**
 * Reading highlights (migration 006; written by ../highlights.ts): each highlight's latest version, newest event
 * first (ties by id), for every match or one, of every status or one, and one highlight by id. The minute of play
 * is computed when read (the feed's minute, else minutes since the match's first event), like the other reads.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { HIGHLIGHT_STATUSES, type Highlight, type HighlightStatus, type TeamId } from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from '../capabilities';
import { latestHighlightsSql, type LatestHighlightRow } from '../highlights';
import { selectRows } from '../query';
import { inList, sql, type Sql } from '../sql';
import {
  checkCount,
  checkMatchId,
  firstEventsSql,
  isoFromMs,
  minuteOf,
  num,
  parseMetadata,
  table,
} from './common';

/** A highlight as stored: the wire shape, with an empty title until the enricher wrote one. */
export type StoredHighlight = Highlight;

export interface HighlightQuery {
  /** one match's highlights; all matches' without */
  matchId?: string;
  status?: HighlightStatus;
  limit: number;
  offset: number;
}

export interface HighlightSlice {
  /** highlights matching the filters */
  total: number;
  items: StoredHighlight[];
}

/** Highlights asked for at once, at most. */
export const MAX_HIGHLIGHTS_PAGE = 1000;

type ViewRow = LatestHighlightRow & { first_ms: number };

function toHighlight(r: ViewRow): StoredHighlight {
  const timeMs = num(r.h_time_ms);
  const status = r.h_status as HighlightStatus;
  const minuteStart = Math.floor(timeMs / 60_000) * 60;
  // No first event that counts (every event of the match retracted): its minutes count from its own.
  const matchStart = num(r.first_ms) > 0 ? Math.floor(num(r.first_ms) / 60_000) * 60 : minuteStart;
  return {
    highlightId: r.highlight_id,
    matchId: r.h_match,
    eventId: r.highlight_id,
    eventType: r.h_type as Highlight['eventType'],
    teamId: num(r.h_team) as TeamId,
    playerId: r.h_player === '' ? null : r.h_player,
    minute: minuteOf(num(r.h_feed_minute), minuteStart, matchStart),
    timestamp: isoFromMs(timeMs),
    metadata: parseMetadata(r.h_metadata),
    status,
    title: r.h_title,
    summary: status === 'READY' ? r.h_summary : null,
    error: r.h_error === '' ? null : r.h_error,
    attempts: num(r.h_attempts),
    createdAt: isoFromMs(num(r.h_created_ms)),
    updatedAt: isoFromMs(num(r.h_updated_ms)),
  };
}

function filters(q: { matchId?: string }): Sql {
  return q.matchId === undefined ? sql`` : sql`WHERE match_id = ${q.matchId}`;
}

function checkStatus(status: unknown): HighlightStatus | undefined {
  if (status === undefined) return undefined;
  if (!HIGHLIGHT_STATUSES.includes(status as HighlightStatus)) {
    throw new RangeError(`status must be one of ${HIGHLIGHT_STATUSES.join(', ')}`);
  }
  return status as HighlightStatus;
}

/** The latest versions under `where`, with the first event time of their matches only (for the minute). */
function viewSql(caps: ClickHouseCapabilities, where: Sql, status: HighlightStatus | undefined): Sql {
  const ofStatus = status === undefined ? sql`` : sql`WHERE h_status = ${status}`;
  return sql`SELECT * FROM (
               SELECT * FROM (${latestHighlightsSql(caps, where)}) ${ofStatus}
             ) AS latest LEFT JOIN (
               SELECT match_id AS h_match, first_ms
               FROM (${firstEventsSql(caps, sql`(SELECT match_id FROM ${table(caps, 'highlights')} ${where})`)})
             ) AS activity USING h_match`;
}

/** A page of highlights, newest event first (ties by id), with the total under the filters. */
export async function listHighlights(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  q: HighlightQuery,
): Promise<HighlightSlice> {
  const matchId = q.matchId === undefined ? undefined : checkMatchId(q.matchId);
  const status = checkStatus(q.status);
  const limit = checkCount('limit', q.limit, 1, MAX_HIGHLIGHTS_PAGE);
  const offset = checkCount('offset', q.offset, 0, 1_000_000_000);
  const where = filters({ matchId });
  const ofStatus = status === undefined ? sql`` : sql`WHERE h_status = ${status}`;
  const [totals, rows] = await Promise.all([
    selectRows<{ n: number }>(
      client,
      caps,
      sql`SELECT count() AS n FROM (${latestHighlightsSql(caps, where)}) ${ofStatus}`,
    ),
    selectRows<ViewRow>(
      client,
      caps,
      sql`${viewSql(caps, where, status)} ORDER BY h_time_ms DESC, highlight_id ASC LIMIT ${offset}, ${limit}`,
    ),
  ]);
  return { total: num(totals[0]?.n ?? 0), items: rows.map(toHighlight) };
}

/** One highlight by id (its event id), or null. */
export async function getHighlight(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  highlightId: string,
): Promise<StoredHighlight | null> {
  if (typeof highlightId !== 'string' || highlightId.length === 0 || highlightId.length > 64) {
    throw new RangeError('highlightId must be an event id');
  }
  const rows = await selectRows<ViewRow>(
    client,
    caps,
    viewSql(caps, sql`WHERE highlight_id = ${highlightId}`, undefined),
  );
  return rows[0] ? toHighlight(rows[0]) : null;
}

/** Highlights of the given matches that became READY after `sinceMs` (their update time), oldest first. */
export async function readySince(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { matchIds: readonly string[]; sinceMs: number },
): Promise<StoredHighlight[]> {
  const ids = params.matchIds.map(checkMatchId);
  if (ids.length === 0) return [];
  const rows = await selectRows<ViewRow>(
    client,
    caps,
    sql`SELECT * FROM (${viewSql(caps, sql`WHERE match_id IN ${inList(ids)}`, 'READY')})
        WHERE h_updated_ms > ${Math.max(0, Math.floor(params.sinceMs))}
        ORDER BY h_updated_ms ASC, highlight_id ASC
        LIMIT ${MAX_HIGHLIGHTS_PAGE}`,
  );
  return rows.map(toHighlight);
}
