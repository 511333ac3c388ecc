/**
 * The highlights read model's write side (migration 006, docs/clickhouse.md): one row per version of a highlight,
 * keyed by its event id. A view writes version 0 (PENDING) with every insert of an event of a highlight type
 * (`setHighlightTypes`); the enrichment worker reads the due ones with `dueHighlights` and writes each outcome
 * with `recordHighlights`.
 * Every read takes a highlight's latest version (argMax by `version`), exact before ClickHouse merges the older
 * versions away. Reads: queries/highlights.ts.
 */
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { HighlightStatus } from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from './capabilities';
import { databaseOf } from './client';
import { splitDateTime } from './events';
import { execute, insertRows, selectRows } from './query';
import { identifier, inList, joinSql, sql, type Sql } from './sql';
import { checkCount, firstEventsSql, notRetracted, num, table } from './queries/common';

/**
 * The version of each state: a later state always wins however the rows arrive (migration 006). (006 also
 * reserved 2^41 for RETRACTED; a retracted highlight is decided at read time instead, from `retractions`
 * (migration 008), so a retraction stored before its event needs no row here.)
 */
export const HIGHLIGHT_VERSIONS = {
  /** PENDING, as the view creates it */
  created: 0,
  /** READY or FAILED */
  final: 2 ** 40,
} as const;

/**
 * The version of a READY highlight: 2^40 plus the rows of its match's `retractions` the pass that wrote it had
 * read (before it read the match's goals). Rows only grow, so a READY highlight whose version is behind its
 * match's rows was written without a retraction stored since (its running score may count a disallowed goal) and
 * is due again; one written after a retraction is above any earlier READY of it.
 */
export const readyVersion = (retractionRowsSeen: number): number =>
  HIGHLIGHT_VERSIONS.final + retractionRowsSeen;
/** A failed attempt that will be retried writes PENDING at version = the attempts so far (1, 2, …). */
export const MAX_HIGHLIGHT_ATTEMPTS = 1000;

const COLUMNS = [
  'highlight_id',
  'match_id',
  'event_type',
  'team_id',
  'player_id',
  'event_time',
  'event_time_ms',
  'feed_minute',
  'metadata',
  'status',
  'title',
  'summary',
  'error',
  'attempts',
  'next_attempt_ms',
  'created_ms',
  'updated_ms',
  'version',
] as const;

/** A highlight as the worker reads it: its event and its latest state. */
export interface StoredHighlightRow {
  highlightId: string;
  matchId: string;
  eventType: string;
  teamId: number;
  /** '' when the event names no player */
  playerId: string;
  /** epoch ms of the event */
  timeMs: number;
  /** the feed's minute, -1 if it sent none */
  feedMinute: number;
  /** the event's metadata, JSON */
  metadata: string;
  status: HighlightStatus;
  attempts: number;
  createdMs: number;
  /** rows of the match's `retractions` when this was read (its READY version: readyVersion) */
  retractionRows: number;
}

/** What the worker records about one highlight: its new state. */
export interface HighlightOutcome {
  highlight: StoredHighlightRow;
  status: HighlightStatus;
  title?: string;
  summary?: string;
  error?: string;
  attempts: number;
  /** epoch ms before which a PENDING highlight is not retried */
  nextAttemptMs?: number;
  version: number;
}

/**
 * Makes `types` the event types that become highlights from the next insert on (the others stop): one version of
 * highlight_types per type, newer than any before (`nowMs`).
 */
export async function setHighlightTypes(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  types: readonly string[],
  nowMs: number = Date.now(),
): Promise<void> {
  const known = await selectRows<{ event_type: string }>(
    client,
    caps,
    sql`SELECT event_type FROM ${table(caps, 'highlight_types')} GROUP BY event_type`,
  );
  const all = new Set([...types, ...known.map((r) => r.event_type)]);
  const rows = [...all].map((t) => sql`(${t}, ${types.includes(t) ? 1 : 0}, ${nowMs})`);
  await execute(
    client,
    caps,
    sql`INSERT INTO ${table(caps, 'highlight_types')} (event_type, enabled, version) VALUES ${joinSql(rows, sql`, `)}`,
  );
}

/** Writes each outcome as the highlight's next version. */
export async function recordHighlights(
  client: ClickHouseClient,
  outcomes: readonly HighlightOutcome[],
  now: Date = new Date(),
): Promise<void> {
  await insertRows(
    client,
    identifier(databaseOf(client), 'highlights'),
    COLUMNS,
    outcomes.map(({ highlight: h, ...o }) => {
      const [eventTime, eventTimeMs] = splitDateTime(h.timeMs, 'event time');
      return {
        highlight_id: h.highlightId,
        match_id: h.matchId,
        event_type: h.eventType,
        team_id: h.teamId,
        player_id: h.playerId,
        event_time: eventTime,
        event_time_ms: eventTimeMs,
        feed_minute: h.feedMinute,
        metadata: h.metadata,
        status: o.status,
        title: o.title ?? '',
        summary: o.summary ?? '',
        error: o.error ?? '',
        attempts: o.attempts,
        next_attempt_ms: o.nextAttemptMs ?? 0,
        created_ms: h.createdMs,
        updated_ms: now.getTime(),
        version: o.version,
      };
    }),
  );
}

/**
 * Each highlight's latest version, as columns prefixed `h_` (18.16: an alias must not name a column it reads). The
 * event's fields come from its first stored copy (every later version copies them), the state from the highest
 * version; a highlight still at version 0 was last updated when it was created. A highlight whose event is
 * retracted is RETRACTED, whatever its versions say (the enricher no longer picks it up).
 */
export function latestHighlightsSql(caps: ClickHouseCapabilities, where: Sql): Sql {
  return sql`SELECT highlight_id,
                    any(match_id) AS h_match,
                    argMin(event_type, created_ms) AS h_type,
                    argMin(team_id, created_ms) AS h_team,
                    argMin(player_id, created_ms) AS h_player,
                    argMin(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms, created_ms) AS h_time_ms,
                    argMin(feed_minute, created_ms) AS h_feed_minute,
                    argMin(metadata, created_ms) AS h_metadata,
                    if((any(match_id), highlight_id) IN (SELECT match_id, event_id FROM ${table(caps, 'retractions')}),
                       'RETRACTED', argMax(status, version)) AS h_status,
                    argMax(title, version) AS h_title,
                    argMax(summary, version) AS h_summary,
                    argMax(error, version) AS h_error,
                    argMax(attempts, version) AS h_attempts,
                    argMax(next_attempt_ms, version) AS h_next_ms,
                    min(created_ms) AS h_created_ms,
                    max(version) AS h_version,
                    if(max(version) = 0, min(created_ms), argMax(updated_ms, version)) AS h_updated_ms
             FROM ${table(caps, 'highlights')} ${where}
             GROUP BY highlight_id`;
}

export interface LatestHighlightRow {
  highlight_id: string;
  h_match: string;
  h_type: string;
  h_team: number;
  h_player: string;
  h_time_ms: number;
  h_feed_minute: number;
  h_metadata: string;
  h_status: string;
  h_title: string;
  h_summary: string;
  h_error: string;
  h_attempts: number;
  h_next_ms: number;
  h_created_ms: number;
  h_updated_ms: number;
  h_version: number;
}

function toStoredHighlight(r: LatestHighlightRow & { retraction_rows: number }): StoredHighlightRow {
  return {
    highlightId: r.highlight_id,
    matchId: r.h_match,
    eventType: r.h_type,
    teamId: num(r.h_team),
    playerId: r.h_player,
    timeMs: num(r.h_time_ms),
    feedMinute: num(r.h_feed_minute),
    metadata: r.h_metadata,
    status: r.h_status as HighlightStatus,
    attempts: num(r.h_attempts),
    createdMs: num(r.h_created_ms),
    retractionRows: num(r.retraction_rows),
  };
}

/**
 * Highlights due for the enricher at `nowMs`, oldest first, at most `limit`: PENDING ones whose next attempt is
 * due, and READY ones whose version is behind the rows of their match's `retractions` (written before a retraction
 * stored since: their title's running score may count a disallowed goal). A match retired by retention
 * is left as it is: its raw rows, which the score is read from, are gone, and its figures are final.
 */
export async function dueHighlights(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: { nowMs: number; limit: number },
): Promise<StoredHighlightRow[]> {
  const limit = checkCount('limit', params.limit, 1, 10_000);
  const rows = await selectRows<LatestHighlightRow & { retraction_rows: number }>(
    client,
    caps,
    sql`SELECT * FROM (${latestHighlightsSql(caps, sql``)}) AS latest
        LEFT JOIN (
            SELECT match_id AS h_match, count() AS retraction_rows
            FROM ${table(caps, 'retractions')} GROUP BY match_id
        ) AS retracted USING h_match
        WHERE (h_status = 'PENDING' AND h_next_ms <= ${params.nowMs})
           OR (h_status = 'READY' AND h_version < ${HIGHLIGHT_VERSIONS.final} + retraction_rows
               AND h_match NOT IN (SELECT match_id FROM ${table(caps, 'match_activity')}
                                   GROUP BY match_id HAVING sumMerge(retirements) > 0))
        ORDER BY h_created_ms ASC, highlight_id ASC
        LIMIT ${limit}`,
  );
  return rows.map(toStoredHighlight);
}

/** Highlights per status, and the creation time of the oldest PENDING one (0 without any). */
export async function highlightBacklog(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
): Promise<{ byStatus: Map<string, number>; oldestPendingMs: number }> {
  const rows = await selectRows<{ h_status: string; n: number; oldest: number }>(
    client,
    caps,
    sql`SELECT h_status, count() AS n, min(h_created_ms) AS oldest
        FROM (${latestHighlightsSql(caps, sql``)}) GROUP BY h_status`,
  );
  const byStatus = new Map(rows.map((r) => [r.h_status, num(r.n)]));
  const pending = rows.find((r) => r.h_status === 'PENDING');
  return { byStatus, oldestPendingMs: pending ? num(pending.oldest) : 0 };
}

/** A goal of a match: its time and team, for the running score. */
export interface MatchGoal {
  matchId: string;
  eventId: string;
  teamId: number;
  timeMs: number;
}

/** The distinct goals of the given matches (a redelivered goal once), in match order. */
export async function matchGoals(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  settings?: ClickHouseSettings,
): Promise<MatchGoal[]> {
  if (matchIds.length === 0) return [];
  const rows = await selectRows<{ match_id: string; event_id: string; g_team: number; g_time_ms: number }>(
    client,
    caps,
    sql`SELECT match_id, event_id, any(team_id) AS g_team,
               any(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS g_time_ms
        FROM ${table(caps, 'events')}
        WHERE match_id IN ${inList(matchIds)} AND event_type = 'goal'
          AND ${notRetracted(caps, sql`match_id IN ${inList(matchIds)}`)}
        GROUP BY match_id, event_id
        ORDER BY match_id, g_time_ms, event_id`,
    settings,
  );
  return rows.map((r) => ({
    matchId: r.match_id,
    eventId: r.event_id,
    teamId: num(r.g_team),
    timeMs: num(r.g_time_ms),
  }));
}

/** The first event time (epoch ms) of each given match that has events. */
export async function matchStarts(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchIds: readonly string[],
  settings?: ClickHouseSettings,
): Promise<Map<string, number>> {
  if (matchIds.length === 0) return new Map();
  const rows = await selectRows<{ match_id: string; first_ms: number }>(
    client,
    caps,
    firstEventsSql(caps, inList(matchIds)),
    settings,
  );
  return new Map(rows.map((r) => [r.match_id, num(r.first_ms)]));
}
