/**
 * Writing season_days (migration 007, docs/clickhouse.md): the daily stats of every day, stored per stats version
 * once every match with rows has a current seal, so GET /api/stats/daily and an analyst read a few rows instead of
 * computing from the seals. Reading them: dailyStats in queries/stats.ts.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from './capabilities';
import { insertRows, selectRows } from './query';
import { settle, upToDateReads } from './replicas';
import { sql } from './sql';
import { num, table } from './queries/common';
import { seasonDailyRows, statsSnapshot } from './queries/stats';

export interface SeasonDaysResult {
  /** the stats version the days were computed at */
  version: number;
  /** days with events */
  days: number;
}

const COLUMNS = [
  'version',
  'day',
  'is_commit',
  'matches',
  'events',
  'goals',
  'cards',
  'active_players',
  'computed_ms',
] as const;

/**
 * Stores the daily stats of the current stats version unless a match is read from its raw rows (live, or changed
 * since its seal: no whole answer to store yet) or the version is stored already. The version is read before the
 * seals, so the stored days hold at least what it counts (a seal written meanwhile only adds events). Every day
 * and the commit row go in one INSERT (one block, one part): a reader sees the version whole or not at all.
 * On a cluster the days are read after the replicas settled, from none that lags (replicas.ts); `signal` ends that
 * wait early, storing nothing. `null` when there was nothing to store.
 */
export async function writeSeasonDays(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  options: { now?: () => number; signal?: AbortSignal } = {},
): Promise<SeasonDaysResult | null> {
  const { now = Date.now, signal } = options;
  const snapshot = await statsSnapshot(client, caps);
  if (snapshot.unsealed === null || snapshot.unsealed.length > 0) return null;
  const { version } = snapshot;
  if (await isStored(client, caps, version)) return null;
  // kept until the version moves: on a cluster, read the seals' days from no lagging replica (replicas.ts)
  await settle(client, signal);
  if (signal?.aborted) return null;
  const days = await seasonDailyRows(client, caps, upToDateReads(client));
  const computedMs = now();
  const values = [
    ...days.map((d) => ({
      version,
      day: d.day_text,
      is_commit: 0,
      matches: num(d.matches),
      events: num(d.total_events),
      goals: num(d.goal_events),
      cards: num(d.card_events),
      active_players: num(d.active_players),
      computed_ms: computedMs,
    })),
    {
      version,
      day: '1970-01-01',
      is_commit: 1,
      matches: 0,
      events: 0,
      goals: 0,
      cards: 0,
      active_players: 0,
      computed_ms: computedMs,
    },
  ];
  await insertRows(client, table(caps, 'season_days'), COLUMNS, values);
  return { version, days: days.length };
}

async function isStored(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  version: number,
): Promise<boolean> {
  const [row] = await selectRows<{ n: number }>(
    client,
    caps,
    sql`SELECT count() AS n FROM ${table(caps, 'season_days')} WHERE version = ${version} AND is_commit = 1`,
  );
  return num(row?.n ?? 0) > 0;
}
