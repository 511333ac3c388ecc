/**
 * Writing seals: a match's figures computed once from its raw rows and kept as plain numbers in match_figures
 * and daily_figures (migration 003, docs/clickhouse.md). Reading them: queries/figures.ts.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { ClickHouseCapabilities } from './capabilities';
import { clusterOf } from './client';
import { settle, upToDateReads } from './replicas';
import { execute, selectRows } from './query';
import { sql, type Sql } from './sql';
import { EVENT_MS, checkCount, checkMatchId, num, rawRowsOf, table } from './queries/common';
import { NO_CURRENT_SEAL, headsSql, readHeads } from './queries/figures';
import { encodeSealedMetrics, metricsFromRawRows } from './queries/metrics';

export interface SealResult {
  matchId: string;
  sealId: string;
  /** the match's marker when the seal was computed */
  version: number;
  /** distinct events the seal counted */
  totalEvents: number;
}

/** The columns of match_figures a seal's INSERT … SELECT fills; the rest keep their defaults. */
const FIGURE_COLUMNS = sql`(match_id, kind, seal_id, event_type, team_id, player_id, feed_minute, minute_start, events,
                            first_event_ms, last_event_ms)`;

function figureStatements(caps: ClickHouseCapabilities, matchId: string, sealId: string): Sql[] {
  const figures = table(caps, 'match_figures');
  const zeroMinute = sql`toDateTime(0, 'UTC')`;
  const insert = (select: Sql) => sql`INSERT INTO ${figures} ${FIGURE_COLUMNS} ${select}`;
  const of = rawRowsOf(caps, matchId);
  return [
    insert(sql`SELECT match_id, 'event_type_team', ${sealId}, event_type, team_id, '', toInt16(0), ${zeroMinute},
                      uniqExact(event_id), min(${EVENT_MS}), max(${EVENT_MS})
               ${of} GROUP BY match_id, event_type, team_id`),
    insert(sql`SELECT match_id, 'minute', ${sealId}, '', toUInt8(0), '', feed_minute, toStartOfMinute(event_time) AS m,
                      uniqExact(event_id), toUInt64(0), toUInt64(0)
               ${of} GROUP BY match_id, feed_minute, m`),
    insert(sql`SELECT match_id, 'minute_type', ${sealId}, event_type, toUInt8(0), '', feed_minute,
                      toStartOfMinute(event_time) AS m, uniqExact(event_id), toUInt64(0), toUInt64(0)
               ${of} GROUP BY match_id, feed_minute, m, event_type`),
    insert(sql`SELECT match_id, 'player', ${sealId}, event_type, team_id, player_id, toInt16(0), ${zeroMinute},
                      uniqExact(event_id), toUInt64(0), toUInt64(0)
               ${of} AND player_id != '' GROUP BY match_id, player_id, team_id, event_type`),
    sql`INSERT INTO ${table(caps, 'daily_match_figures')} (day, match_id, seal_id, events, goals, cards, players)
        SELECT toDate(event_time) AS event_day, match_id, ${sealId}, uniqExact(event_id),
               uniqExactIf(event_id, event_type = 'goal'),
               uniqExactIf(event_id, event_type IN ('yellow_card', 'red_card')),
               groupUniqArrayIf(player_id, player_id != '')
        ${of} GROUP BY event_day, match_id`,
    sql`INSERT INTO ${table(caps, 'daily_figures')} (day, match_id, seal_id, event_type, team_id, player_id, events)
        SELECT toDate(event_time) AS event_day, match_id, ${sealId}, event_type, team_id, player_id, uniqExact(event_id)
        ${of} GROUP BY event_day, match_id, event_type, team_id, player_id`,
  ];
}

/** The markers of matches read before the replicas settled (cluster mode; replicas.ts). */
export type SettledMarkers = ReadonlyMap<string, number>;

/**
 * Reads the markers of `matchIds` and lets the replicas settle, once for all of them: what sealMatch compares
 * each match's marker with before sealing it on a cluster (replicas.ts: a seal of a lagging replica's rows would
 * count fewer events than its version promises, and stay current). `undefined` on one server, at once.
 */
export async function settleMarkers(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  signal?: AbortSignal,
): Promise<SettledMarkers | undefined> {
  if (clusterOf(client) === undefined || matchIds.length === 0) return undefined;
  const heads = await readHeads(client, caps, matchIds.map(checkMatchId), upToDateReads(client));
  await settle(client, signal); // stopped early: the caller checks `signal` before each seal
  return new Map([...heads].map(([id, head]) => [id, head.marker]));
}

/**
 * Why sealMatch wrote no seal: `empty`, the match has no rows to seal or retention retired it (its latest seal
 * stays); `moving`, on a cluster, rows of the match were stored while the replicas settled (it is live again:
 * a later pass seals it once it is quiet).
 */
export type NotSealed = 'empty' | 'moving';

/**
 * Computes a seal of `matchId` from its raw rows: the figures first, the commit row (kind 'seal') last, so a seal
 * interrupted half-way is never read. A failed statement abandons the seal (never retried under the same id: the
 * summing table would add the rows twice). Safe beside inserts (the marker is read before the raw rows, so a seal
 * racing an insert is simply not current) and beside another sealer (each seal is complete; the latest wins).
 * On a cluster the marker must also equal the one `settled` read earlier (settleMarkers, called here for this
 * match alone when `settled` does not have it).
 */
export async function sealMatch(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
  settled?: SettledMarkers,
): Promise<SealResult | NotSealed> {
  const match = checkMatchId(matchId);
  const earlier = settled?.has(match) ? settled : await settleMarkers(client, caps, [match]);
  const head = (await readHeads(client, caps, [match], upToDateReads(client))).get(match);
  // A retired match has lost raw rows: a new seal would count only those left and replace the complete one.
  if (!head || head.marker === 0 || head.retired) return 'empty';
  if (earlier && earlier.get(match) !== head.marker) return 'moving';
  return (await writeSeal(client, caps, match, head.marker, Date.now)) ?? 'empty';
}

/**
 * Writes a seal of `matchId` computed from its raw rows, recording `version`: the match's marker, read before
 * this reads the raw rows.
 */
export async function writeSeal(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  match: string,
  version: number,
  now: () => number,
): Promise<SealResult | null> {
  const sealId = randomUUID();
  const reads = upToDateReads(client);
  await Promise.all(figureStatements(caps, match, sealId).map((s) => execute(client, caps, s, reads)));
  // computed from the raw rows, not read back from the figures just written: another replica may answer that read
  const { metrics, latency } = await metricsFromRawRows(client, caps, match, reads);
  // No event counts: its rows were dropped under it (nothing to seal), or every one is retracted (a seal of nothing).
  if (!metrics && !(await hasRetractions(client, caps, match, reads))) return null;
  await execute(
    client,
    caps,
    sql`INSERT INTO ${table(caps, 'match_figures')}
          (match_id, kind, seal_id, events, first_event_ms, last_event_ms, version, sealed_ms,
           latency_p50_ms, latency_p95_ms, latency_p99_ms, metrics)
        SELECT ${match}, 'seal', ${sealId}, ${metrics?.totalEvents ?? 0},
               ${metrics ? Date.parse(metrics.firstEventAt) : 0}, ${metrics ? Date.parse(metrics.lastEventAt) : 0},
               ${version}, ${now()},
               ${latency[0]!}, ${latency[1]!}, ${latency[2]!}, ${encodeSealedMetrics(metrics)}`,
  );
  return { matchId: match, sealId, version, totalEvents: metrics?.totalEvents ?? 0 };
}

async function hasRetractions(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  match: string,
  settings: ClickHouseSettings | undefined,
) {
  const [row] = await selectRows<{ n: number }>(
    client,
    caps,
    sql`SELECT count() AS n FROM ${table(caps, 'retractions')} WHERE match_id = ${match}`,
    settings,
  );
  return num(row?.n ?? 0) > 0;
}

export interface PendingOptions {
  /** only matches without an insert for this long (ms): a live match is read from its raw rows meanwhile */
  quietMs: number;
  limit: number;
  now?: number;
}

/**
 * Matches with rows whose latest seal is missing or stale (the marker moved), not retired, and without an insert
 * for `quietMs`: the longest quiet first.
 */
export async function pendingMatches(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  options: PendingOptions,
): Promise<string[]> {
  const limit = checkCount('limit', options.limit, 1, 100_000);
  const quietMs = checkCount('quietMs', options.quietMs, 0, 365 * 86_400_000);
  const quietSince = Math.max(0, (options.now ?? Date.now()) - quietMs);
  const rows = await selectRows<{ match_id: string }>(
    client,
    caps,
    sql`SELECT match_id FROM (${headsSql(caps, sql`1`, sql`, maxMerge(last_inserted_ms) AS last_inserted`)})
        WHERE ${NO_CURRENT_SEAL} AND head_retired = 0 AND last_inserted <= ${quietSince}
        ORDER BY last_inserted ASC, match_id ASC
        LIMIT ${limit}`,
  );
  return rows.map((r) => r.match_id);
}

/** Seals up to `limit` pending matches one after the other; answers the seals written. */
export async function sealPending(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  options: PendingOptions,
): Promise<SealResult[]> {
  const pending = await pendingMatches(client, caps, options);
  const settled = await settleMarkers(client, caps, pending);
  const sealed: SealResult[] = [];
  for (const matchId of pending) {
    const seal = await sealMatch(client, caps, matchId, settled);
    if (typeof seal !== 'string') sealed.push(seal);
  }
  return sealed;
}
