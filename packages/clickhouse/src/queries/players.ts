import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql, type Sql } from '../sql';
import { checkCount, checkMatchId, num, table } from './common';

export const PLAYER_SORTS = ['events', 'goals', 'shots'] as const;
export type PlayerSort = (typeof PLAYER_SORTS)[number];
export const MAX_TOP_PLAYERS = 100;

export interface TopPlayer {
  playerId: string;
  teamId: number;
  /** distinct events naming the player */
  events: number;
  goals: number;
  /** `shot` events (goals are counted separately) */
  shots: number;
}

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

/** Players of a match ranked from `match_player_counts`. `null` for a match with no events. */
export async function getTopPlayers(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: TopPlayersParams,
): Promise<TopPlayer[] | null> {
  const matchId = checkMatchId(params.matchId);
  const limit = checkCount('limit', params.limit, 1, MAX_TOP_PLAYERS);
  const by = params.by ?? 'events';
  if (!PLAYER_SORTS.includes(by)) throw new RangeError(`by must be one of ${PLAYER_SORTS.join(', ')}`);
  const [rows, exists] = await Promise.all([
    selectRows<{ player_id: string; team_id: number; events: number; goals: number; shots: number }>(
      client,
      caps,
      sql`SELECT player_id, team_id,
                 uniqExactMerge(event_ids) AS events,
                 uniqExactMergeIf(event_ids, event_type = 'goal') AS goals,
                 uniqExactMergeIf(event_ids, event_type = 'shot') AS shots
          FROM ${table(caps, 'match_player_counts')} WHERE match_id = ${matchId}
          GROUP BY player_id, team_id
          ORDER BY ${ORDER[by]}, events DESC, goals DESC, shots DESC, player_id ASC, team_id ASC
          LIMIT ${limit}`,
    ),
    selectRows<{ n: number }>(
      client,
      caps,
      sql`SELECT count() AS n FROM ${table(caps, 'match_event_counts')} WHERE match_id = ${matchId}`,
    ),
  ]);
  if (num(exists[0]?.n ?? 0) === 0) return null;
  return rows.map((r) => ({
    playerId: r.player_id,
    teamId: num(r.team_id),
    events: num(r.events),
    goals: num(r.goals),
    shots: num(r.shots),
  }));
}
