import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import { checkMatchId, num, table } from './common';

export interface MatchLastInsert {
  matchId: string;
  /** epoch ms of the latest insert that stored rows of this match (a redelivery counts too) */
  lastInsertedMs: number;
}

/**
 * A cheap change marker (a few small states, no event-id sets): when it has not moved, no read query of this
 * match can answer differently, so a cache or a live-update poller may skip recomputing. `null`: no events.
 */
export async function getMatchLastInsert(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { matchId: string },
): Promise<MatchLastInsert | null> {
  const matchId = checkMatchId(params.matchId);
  const [row] = await selectRows<{ state_rows: number; last_ms: number }>(
    client,
    caps,
    sql`SELECT count() AS state_rows, maxMerge(last_inserted_ms) AS last_ms
        FROM ${table(caps, 'match_event_counts')} WHERE match_id = ${matchId}`,
  );
  if (!row || num(row.state_rows) === 0) return null;
  return { matchId, lastInsertedMs: num(row.last_ms) };
}
