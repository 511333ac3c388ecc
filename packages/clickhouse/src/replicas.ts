/**
 * Reads that must not miss a stored row, on a cluster. A Distributed read takes whichever replica of a shard
 * answers, and a replica may lag behind the one an insert went to: one that was down and has just returned (it
 * answers before it has fetched what its shard stored meanwhile), or a busy one. Replication also copies each
 * table on its own, so a replica may hold a match's new marker, or a new highlight, before the raw rows stored
 * with it. Whatever is computed once and kept (a seal, a highlight's title) must not be computed from such a
 * replica. So such a computation on a cluster:
 * 1. notes what it will compute from (the markers of the matches to seal, the highlights due),
 * 2. waits SETTLE_MS (`settle`), so each row stored before step 1 was stored more than MAX_REPLICA_LAG_S ago,
 * 3. reads with `upToDateReads`: only replicas less than MAX_REPLICA_LAG_S behind (client.ts: other reads fall back
 *    to a replica further behind when no replica is closer; these fail instead, and the next pass tries again),
 *    each of which therefore holds those rows.
 * On one server there is nothing to wait for and no setting to send.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { MAX_REPLICA_LAG_S, clusterOf } from './client';
/** How long `settle` waits: a second more than the lag allowed (ClickHouse counts the lag in whole seconds). */
const SETTLE_MS = (MAX_REPLICA_LAG_S + 1) * 1000;

/** The settings of a read that must not be served by a lagging replica; `undefined` on one server. */
export function upToDateReads(client: ClickHouseClient): ClickHouseSettings | undefined {
  if (clusterOf(client) === undefined) return undefined;
  return {
    max_replica_delay_for_distributed_queries: String(MAX_REPLICA_LAG_S),
    fallback_to_stale_replicas_for_distributed_queries: 0,
  };
}

/**
 * How long after a value was stored a read of it may be trusted not to come from a replica that lags (SETTLE_MS on
 * a cluster, 0 on one server): for caches that keep an answer while a marker stays the same.
 */
export function settleMs(client: ClickHouseClient): number {
  return clusterOf(client) === undefined ? 0 : SETTLE_MS;
}

/** On a cluster, waits SETTLE_MS (at once on one server); returns early, without an error, when `signal` aborts. */
export async function settle(client: ClickHouseClient, signal?: AbortSignal): Promise<void> {
  const ms = settleMs(client);
  if (ms === 0) return;
  await sleep(ms, undefined, { signal }).catch((err: unknown) => {
    if (!signal?.aborted) throw err;
  });
}
