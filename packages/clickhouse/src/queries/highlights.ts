import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, sql } from '../sql';
import { HIGHLIGHT_TYPES, type Highlight, type HighlightType, type TeamId } from '@pitchpulse/contract';
import {
  checkCount,
  checkMatchId,
  isoFromMs,
  matchStartMinuteSql,
  minuteSql,
  num,
  table,
  type Versioned,
} from './common';
import { MAX_PAGE_SIZE } from './matches';

/** A highlight as stored: the wire shape less the title the API writes. */
export type StoredHighlight = Omit<Highlight, 'title'>;

export interface HighlightSlice {
  /** goals + red cards of the match */
  total: number;
  items: StoredHighlight[];
}

export interface HighlightsParams {
  matchId: string;
  limit: number;
  offset: number;
}

interface HighlightRow {
  event_id: string;
  h_type: string;
  h_team: number;
  h_player: string;
  h_time_ms: number;
  h_metadata: string;
  minute: number;
}

function parseMetadata(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Goals and red cards, newest first (ties by event id), one entry per event id however often it was stored
 * (`null` for a match with no events), with the stored rows the answer is complete up to (see Versioned). The
 * marker is read first, then the raw rows: an insert reaches `events` before any view, so the rows read after it
 * hold every insert the marker counted.
 */
export async function highlights(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: HighlightsParams,
): Promise<Versioned<HighlightSlice | null>> {
  const matchId = checkMatchId(params.matchId);
  const limit = checkCount('limit', params.limit, 1, MAX_PAGE_SIZE);
  const offset = checkCount('offset', params.offset, 0, 1_000_000_000);
  const types = inList([...HIGHLIGHT_TYPES]);
  // The marker is read (a scalar, before the scan) in the same SELECT as the total.
  const totals = await selectRows<{ total: number; stored_rows: number }>(
    client,
    caps,
    sql`SELECT uniqExact(event_id) AS total,
               (SELECT sumMerge(marker) FROM ${table(caps, 'match_activity')}
                WHERE match_id = ${matchId}) AS stored_rows
        FROM ${table(caps, 'events')} WHERE match_id = ${matchId} AND event_type IN ${types}`,
  );
  const storedRows = num(totals[0]?.stored_rows ?? 0);
  if (storedRows === 0) return { value: null, storedRows };
  const minute = minuteSql(
    sql`h_feed_minute`,
    sql`intDiv(h_time_ms, 60000) * 60`,
    matchStartMinuteSql(caps, matchId),
  );
  const rows = await selectRows<HighlightRow>(
    client,
    caps,
    sql`SELECT event_id, h_type, h_team, h_player, h_time_ms, h_metadata, ${minute} AS minute
        FROM (
          SELECT event_id,
                 argMin(event_type, ins) AS h_type,
                 argMin(team_id, ins) AS h_team,
                 argMin(player_id, ins) AS h_player,
                 argMin(feed_minute, ins) AS h_feed_minute,
                 argMin(time_ms, ins) AS h_time_ms,
                 argMin(metadata, ins) AS h_metadata
          FROM (
            SELECT event_id, event_type, team_id, player_id, feed_minute, metadata,
                   toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms AS time_ms,
                   toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms AS ins
            FROM ${table(caps, 'events')}
            WHERE match_id = ${matchId} AND event_type IN ${types}
          )
          GROUP BY event_id
        )
        ORDER BY h_time_ms DESC, event_id ASC
        LIMIT ${offset}, ${limit}`,
  );
  const page: HighlightSlice = {
    total: num(totals[0]!.total),
    items: rows.map((r) => ({
      eventId: r.event_id,
      eventType: r.h_type as HighlightType,
      teamId: num(r.h_team) as TeamId,
      playerId: r.h_player === '' ? null : r.h_player,
      minute: num(r.minute),
      timestamp: isoFromMs(num(r.h_time_ms)),
      metadata: parseMetadata(r.h_metadata),
    })),
  };
  return { value: page, storedRows };
}
