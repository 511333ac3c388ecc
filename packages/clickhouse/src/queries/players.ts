import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql, type Sql } from '../sql';
import {
  PLAYER_SORTS,
  READ_LIMITS,
  type PlayerSort,
  type TeamId,
  type TopPlayer,
} from '@pitchpulse/contract';
import { checkCount, checkMatchId, num, table, type Versioned } from './common';

export const MAX_TOP_PLAYERS = READ_LIMITS.players.max;

export interface TopPlayersParams {
  matchId: string;
  limit: number;
  /** ranking column, default `events`; ties fall back to events, goals, shots, then player id */
  by?: PlayerSort;
}

const ORDER: Record<PlayerSort, Sql> = {
  events: sql`events DESC`,
  goals: sql`goals DESC`,
  shots: sql`shots DESC`,
};

/**
 * Players of a match ranked from `match_player_counts` (`null` for a match with no events), with the stored rows
 * the answer is complete up to (see Versioned). One read: each state row
 * counts twice through ARRAY JOIN, once for its player (kind 1, ranked, `limit` kept) and once for the match's
 * stored rows (kind 2, one row, no id set merged).
 */
export async function topPlayers(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: TopPlayersParams,
): Promise<Versioned<TopPlayer[] | null>> {
  const matchId = checkMatchId(params.matchId);
  const limit = checkCount('limit', params.limit, 1, MAX_TOP_PLAYERS);
  const by = params.by ?? 'events';
  if (!PLAYER_SORTS.includes(by)) throw new RangeError(`by must be one of ${PLAYER_SORTS.join(', ')}`);
  const rows = await selectRows<{
    kind: number;
    player_id: string;
    team_id: number;
    events: number;
    goals: number;
    shots: number;
    stored_rows: number;
  }>(
    client,
    caps,
    sql`SELECT kind, player_id_k AS player_id, team_id_k AS team_id, events, goals, shots, stored_rows
        FROM (
          SELECT kind,
                 if(kind = 1, player_id, '') AS player_id_k,
                 if(kind = 1, team_id, 0) AS team_id_k,
                 uniqExactMergeIf(event_ids, kind = 1) AS events,
                 uniqExactMergeIf(event_ids, kind = 1 AND event_type = 'goal') AS goals,
                 uniqExactMergeIf(event_ids, kind = 1 AND event_type = 'shot') AS shots,
                 countMergeIf(stored_rows, kind = 2) AS stored_rows
          FROM ${table(caps, 'match_player_counts')} ARRAY JOIN [1, 2] AS kind
          WHERE match_id = ${matchId} AND (kind = 2 OR player_id != '')
          GROUP BY kind, player_id_k, team_id_k
        )
        ORDER BY kind ASC, ${ORDER[by]}, events DESC, goals DESC, shots DESC, player_id ASC, team_id ASC
        LIMIT ${limit} BY kind`,
  );
  const total = rows.find((r) => num(r.kind) === 2);
  const storedRows = num(total?.stored_rows ?? 0);
  if (storedRows === 0) return { value: null, storedRows };
  const players = rows
    .filter((r) => num(r.kind) === 1)
    .map((r) => ({
      playerId: r.player_id,
      teamId: num(r.team_id) as TeamId,
      events: num(r.events),
      goals: num(r.goals),
      shots: num(r.shots),
    }));
  return { value: players, storedRows };
}
