/**
 * A replica that lags, on the test stack's cluster (`pnpm test:cluster`): the first replica of the first shard
 * stops fetching one table's new parts while rows are stored on the second replica, as after an outage of the
 * first. Everything else (the views' tables, the markers) still reaches it.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { StoredEvent } from '@pitchpulse/contract';
import { createClickHouseClient } from '../client';
import { insertEvents } from '../events';
import { execute, selectRows } from '../query';
import { identifier, sql } from '../sql';
import { clusterNodes } from './engines';

const caps = { nativeParams: false };

/** The first shard's two replicas, each a client of `database` on that node alone; close them when done. */
function firstShardReplicas(database: string): [ClickHouseClient, ClickHouseClient] {
  const nodes = clusterNodes();
  if (nodes.length !== 4) throw new Error('run through `pnpm test:cluster`: it starts the 2 × 2 cluster');
  // listed s1r1, s1r2, s2r1, s2r2
  return [
    createClickHouseClient({ url: nodes[0]!, database }),
    createClickHouseClient({ url: nodes[1]!, database }),
  ];
}

/** The first `${prefix}-N` whose rows go to the first shard (weights 1 and 1: cityHash64 % 2 = 0). */
export async function matchOnFirstShard(client: ClickHouseClient, prefix: string): Promise<string> {
  for (let i = 0; ; i++) {
    const [row] = await selectRows<{ shard: number }>(
      client,
      caps,
      sql`SELECT cityHash64(${`${prefix}-${i}`}) % 2 AS shard`,
    );
    if (Number(row!.shard) === 0) return `${prefix}-${i}`;
  }
}

/**
 * Stores `events` (of a first-shard match) on the second replica while the first fetches none of `events_local`,
 * waits until the first holds `waitFor` (tables the views wrote, e.g. the match's new marker), runs `body`, then
 * lets the first replica catch up.
 */
export async function withLaggingFirstReplica<T>(
  database: string,
  events: readonly StoredEvent[],
  waitFor: readonly string[],
  body: () => Promise<T>,
): Promise<T> {
  const [first, second] = firstShardReplicas(database);
  const eventsLocal = identifier(database, 'events_local');
  try {
    for (const node of [first, second]) await execute(node, caps, sql`SYSTEM SYNC REPLICA ${eventsLocal}`);
    await execute(first, caps, sql`SYSTEM STOP FETCHES ${eventsLocal}`);
    try {
      // a node's own Distributed table writes the rows of its shard to the node itself
      await insertEvents(second, events);
      for (const name of waitFor)
        await execute(first, caps, sql`SYSTEM SYNC REPLICA ${identifier(database, name)}`);
      return await body();
    } finally {
      await execute(first, caps, sql`SYSTEM START FETCHES ${eventsLocal}`);
      await execute(first, caps, sql`SYSTEM SYNC REPLICA ${eventsLocal}`);
    }
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
}
