import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import {
  PLAYER_SORTS,
  READ_LIMITS,
  type PlayerSort,
  type TeamId,
  type TopPlayer,
} from '@pitchpulse/contract';
import { byteOrder, checkCount, checkMatchId, num, rawRowsOf, type Versioned } from './common';
import { readSealed, type SealedRead } from './figures';

export const MAX_TOP_PLAYERS = READ_LIMITS.players.max;

export interface TopPlayersParams {
  matchId: string;
  limit: number;
  /** ranking column, default `events`; ties fall back to events, goals, shots, then player id */
  by?: PlayerSort;
}

interface PlayerTypeRow {
  player_id: string;
  team_id: number;
  event_type: string;
  events: number;
}

/**
 * Players of a match ranked (`null` for a match with no events), complete up to the marker (see Versioned): the
 * distinct events per (player, team, type) from the match's current seal when it has one, else from its raw
 * rows, summed and ranked here (a match has a few dozen players).
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
  const read = await readSealed(client, caps, matchId, ['player']);
  if (read.marker === 0) return { value: null, storedRows: 0 };
  const rows: PlayerTypeRow[] = read.sealed
    ? read.figures
    : await selectRows<PlayerTypeRow>(
        client,
        caps,
        sql`SELECT player_id, team_id, event_type, uniqExact(event_id) AS events
            ${rawRowsOf(caps, matchId)} AND player_id != ''
            GROUP BY player_id, team_id, event_type`,
      );
  if (rows.length === 0 && !(await countsEvents(client, caps, matchId, read))) {
    return { value: null, storedRows: read.marker }; // every event of the match is retracted
  }
  return { value: rank(rows, by).slice(0, limit), storedRows: read.marker };
}

/** Whether any event of the match counts (is not retracted): from its seal, else from its raw rows. */
async function countsEvents(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  read: SealedRead,
): Promise<boolean> {
  if (read.sealed) return num(read.head.events) > 0;
  const [row] = await selectRows<{ n: number }>(
    client,
    caps,
    sql`SELECT count() AS n ${rawRowsOf(caps, matchId)}`,
  );
  return num(row?.n ?? 0) > 0;
}

/** Sorted by `by`, then events, goals, shots (most first), then player id (byte order) and team. */
function rank(rows: PlayerTypeRow[], by: PlayerSort): TopPlayer[] {
  const players = new Map<string, TopPlayer>();
  for (const r of rows) {
    const teamId = num(r.team_id) as TeamId;
    const key = JSON.stringify([r.player_id, teamId]);
    let p = players.get(key);
    if (!p) players.set(key, (p = { playerId: r.player_id, teamId, events: 0, goals: 0, shots: 0 }));
    const n = num(r.events);
    p.events += n;
    if (r.event_type === 'goal') p.goals += n;
    if (r.event_type === 'shot') p.shots += n;
  }
  return [...players.values()].sort(
    (a, b) =>
      b[by] - a[by] ||
      b.events - a.events ||
      b.goals - a.goals ||
      b.shots - a.shots ||
      byteOrder(a.playerId, b.playerId) ||
      a.teamId - b.teamId,
  );
}
