/**
 * Stats across matches (`GET /api/stats/…`), exact under duplicates and under seals changing while they run.
 *
 * Where the figures come from: a match with a current seal is read from its seal's rows of `daily_figures`
 * (distinct events per UTC day, match, type, team and player); a match without one (live, or changed since its
 * seal) from its raw rows in `events`, grouped to the same shape with uniqExact(event_id). A match's state may
 * flip between two subqueries of one statement, so each answer is read in two steps:
 *   1. the snapshot: one query of match_activity (one row per match) answers the stats version and the matches
 *      with rows and no current seal (normally a few live ones). The API reads it once per poll for every stats
 *      route, so a computation there is step 2 alone;
 *   2. the stats query reads daily_figures for the matches not listed, of their latest seal (the head of
 *      match_activity: the seal current at the snapshot, or a newer one, complete either way), UNION ALL the raw
 *      rows of the listed matches.
 * Each match is so counted once, from one state, and the answer holds at least what the version counts. Past
 * MAX_UNSEALED listed matches the whole answer is computed from `events` instead (exact, slower) rather than
 * sending a huge IN list. Retention needs every day (a player's first appearance ever), so it reads no range.
 * The daily figures skip step 2 when the snapshot lists no match and season_days holds its version whole (the
 * sealer stores it, season-days.ts).
 */
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import {
  EVENT_TYPES,
  RETENTION_WINDOWS,
  STATS_LIMITS,
  STATS_PLAYER_SORTS,
  isoDateDays,
  isoDateOf,
  type DailyStatsDay,
  type EventTypeCount,
  type PlayerStats,
  type RetentionWindow,
  type RetentionWindowCount,
  type StatsPlayerSort,
} from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { inList, joinSql, sql, type Sql } from '../sql';
import { byteOrder, checkCount, notRetracted, num, table, type Versioned } from './common';
import { NO_CURRENT_SEAL, headsSql } from './figures';

/** Matches without a current seal read from their raw rows at most; beyond, the answer comes from `events`. */
export const MAX_UNSEALED = 1000;

const DAY_MS = 86_400_000;

/** A checked range of UTC days (days since 1970-01-01, both ends included). */
interface DayRange {
  first: number;
  last: number;
}

export interface StatsRangeParams {
  /** first UTC day, `YYYY-MM-DD` */
  from: string;
  /** last UTC day (included), `YYYY-MM-DD` */
  to: string;
}

function checkDate(name: string, value: unknown): number {
  const days = typeof value === 'string' ? isoDateDays(value) : null;
  if (days === null) {
    throw new RangeError(
      `${name} must be a calendar date YYYY-MM-DD from ${STATS_LIMITS.minDate} to ${STATS_LIMITS.maxDate}`,
    );
  }
  return days;
}

/** `from`…`to` as days: real dates, from ≤ to, at most STATS_LIMITS.maxSpanDays days. */
export function checkStatsRange(params: StatsRangeParams): DayRange {
  const first = checkDate('from', params.from);
  const last = checkDate('to', params.to);
  if (last < first) throw new RangeError('to must not be before from');
  if (last - first + 1 > STATS_LIMITS.maxSpanDays) {
    throw new RangeError(`from…to must span at most ${STATS_LIMITS.maxSpanDays} days`);
  }
  return { first, last };
}

const dateSql = (days: number): Sql => sql`toDate(${isoDateOf(days)})`;
const dateTimeSql = (days: number): Sql => sql`${new Date(days * DAY_MS)}`;

/** Reads of one row per match, of seals, or of a few live matches: one thread beats one per part. */
const SMALL_READ: ClickHouseSettings = { max_threads: 1 };

/**
 * What the stats across matches are computed against, read in one query of match_activity (one row per match)
 * before the figures: an answer computed after it holds at least the events `version` counts.
 */
export interface StatsSnapshot {
  /**
   * Every match's marker plus its retirements: both only grow and every insert into `events` moves the version,
   * so while it stays the same no stats answer can change.
   */
  version: number;
  /** the matches with rows and no current seal (read from their raw rows); `null`: more than MAX_UNSEALED */
  unsealed: string[] | null;
}

export async function statsSnapshot(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
): Promise<StatsSnapshot> {
  const [row] = await selectRows<{ version: number; unsealed: string[] }>(
    client,
    caps,
    sql`SELECT sum(head_marker) + sum(head_retired) AS version,
               groupArrayIf(${MAX_UNSEALED + 1})(match_id, ${NO_CURRENT_SEAL}) AS unsealed
        FROM (${headsSql(caps, sql`1`)})`,
    SMALL_READ,
  );
  const unsealed = row?.unsealed ?? [];
  return {
    version: num(row?.version ?? 0),
    unsealed: unsealed.length > MAX_UNSEALED ? null : unsealed.sort(),
  };
}

/**
 * What a source yields: per (day, match, type, team, player) distinct events; per (day, match) distinct events,
 * goals, cards and the players with an event; or distinct (player, day) pairs.
 */
type Shape = 'figures' | 'day-match' | 'player-days';

interface SourceOptions {
  shape: Shape;
  range: DayRange | null;
  /** matches read raw; `null`: every match raw (too many unsealed) */
  unsealed: string[] | null;
  /** only rows that name a player */
  playersOnly: boolean;
}

const where = (conditions: Sql[]): Sql =>
  conditions.length === 0 ? sql`` : sql`WHERE ${joinSql(conditions, sql` AND `)}`;

/**
 * Step 2's source as a FROM clause of one shape, each match from one state: the seals' table itself when every
 * match comes from a seal (no subquery, cheaper on 18.16), else a subquery.
 */
function source(caps: ClickHouseCapabilities, o: SourceOptions): Sql {
  const rawConditions: Sql[] = [];
  if (o.unsealed && o.unsealed.length > 0) rawConditions.push(sql`match_id IN ${inList(o.unsealed)}`);
  if (o.range) {
    rawConditions.push(
      sql`event_time >= ${dateTimeSql(o.range.first)}`,
      sql`event_time < ${dateTimeSql(o.range.last + 1)}`,
    );
  }
  if (o.playersOnly) rawConditions.push(sql`player_id != ''`);
  const unsealedOnly = o.unsealed && o.unsealed.length > 0 ? sql`match_id IN ${inList(o.unsealed)}` : sql`1`;
  rawConditions.push(notRetracted(caps, unsealedOnly));
  const events = table(caps, 'events');
  const raw = {
    figures: sql`SELECT toDate(event_time) AS day, match_id, event_type, team_id, player_id,
                        uniqExact(event_id) AS events
                 FROM ${events} ${where(rawConditions)}
                 GROUP BY day, match_id, event_type, team_id, player_id`,
    'day-match': sql`SELECT toDate(event_time) AS day, match_id, uniqExact(event_id) AS events,
                            uniqExactIf(event_id, event_type = 'goal') AS goals,
                            uniqExactIf(event_id, event_type IN ('yellow_card', 'red_card')) AS cards,
                            groupUniqArrayIf(player_id, player_id != '') AS players
                     FROM ${events} ${where(rawConditions)}
                     GROUP BY day, match_id`,
    'player-days': sql`SELECT player_id, toDate(event_time) AS day
                       FROM ${events} ${where(rawConditions)}
                       GROUP BY player_id, day`,
  }[o.shape];
  if (o.unsealed === null) return sql`FROM (${raw})`;

  const sealedConditions: Sql[] = [];
  if (o.range)
    sealedConditions.push(sql`day >= ${dateSql(o.range.first)}`, sql`day <= ${dateSql(o.range.last)}`);
  if (o.unsealed.length > 0) sealedConditions.push(sql`match_id NOT IN ${inList(o.unsealed)}`);
  if (o.playersOnly) sealedConditions.push(sql`player_id != ''`);
  sealedConditions.push(
    sql`seal_id IN (SELECT argMaxMerge(latest_seal_id) FROM ${table(caps, 'match_activity')} GROUP BY match_id)`,
  );
  const daily = table(caps, 'daily_figures');
  if (o.unsealed.length === 0 && o.shape !== 'player-days') {
    const sealedTable = o.shape === 'figures' ? daily : table(caps, 'daily_match_figures');
    return sql`FROM ${sealedTable} ${where(sealedConditions)}`;
  }
  const sealed = {
    figures: sql`SELECT day, match_id, event_type, team_id, player_id, events FROM ${daily} ${where(sealedConditions)}`,
    'day-match': sql`SELECT day, match_id, events, goals, cards, players
                     FROM ${table(caps, 'daily_match_figures')} ${where(sealedConditions)}`,
    'player-days': sql`SELECT player_id, day FROM ${daily} ${where(sealedConditions)} GROUP BY player_id, day`,
  }[o.shape];
  return o.unsealed.length === 0 ? sql`FROM (${sealed})` : sql`FROM (${sealed} UNION ALL ${raw})`;
}

/** `query` on the source of `snapshot` (read now if not given): each match from one state. */
async function versioned<T>(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  range: DayRange | null,
  options: Omit<SourceOptions, 'range' | 'unsealed'> & StatsReadOptions,
  query: (from: Sql, settings: ClickHouseSettings | undefined) => Promise<T>,
): Promise<Versioned<T>> {
  const snapshot = options.snapshot ?? (await statsSnapshot(client, caps));
  const unsealed = options.rawOnly ? null : snapshot.unsealed;
  const settings = unsealed === null ? undefined : SMALL_READ;
  const value = await query(source(caps, { ...options, range, unsealed }), settings);
  return { value, storedRows: snapshot.version };
}

export interface StatsReadOptions {
  /** a snapshot read before (the API's poll reads one for every stats route); default: read one first */
  snapshot?: StatsSnapshot;
  /** every match from its raw rows, none from its seal: the baseline `pnpm bench:read` compares with */
  rawOnly?: boolean;
  /** daily stats computed even when season_days holds the snapshot's version (what `pnpm bench:read` compares) */
  computed?: boolean;
}

export interface DailyRow {
  day_text: string;
  matches: number;
  total_events: number;
  goal_events: number;
  card_events: number;
  active_players: number;
}

/** The daily figures of every day `from` has rows for (days without events have no row). */
async function dailyRows(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  from: Sql,
  settings: ClickHouseSettings | undefined,
): Promise<DailyRow[]> {
  return selectRows<DailyRow>(
    client,
    caps,
    // count(): each source has one row per (day, match); a Date comes back as YYYY-MM-DD.
    sql`SELECT day AS day_text, count() AS matches, sum(events) AS total_events,
               sum(goals) AS goal_events, sum(cards) AS card_events,
               uniqExactArray(players) AS active_players
        ${from} GROUP BY day`,
    settings,
  );
}

/** Every day of the whole season from the latest seals: what season_days stores (a snapshot without unsealed). */
export async function seasonDailyRows(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  settings?: ClickHouseSettings,
): Promise<DailyRow[]> {
  const from = source(caps, { shape: 'day-match', range: null, unsealed: [], playersOnly: false });
  return dailyRows(client, caps, from, { ...SMALL_READ, ...settings });
}

/**
 * The days of `range` as season_days stored them for stats version `version`, in one read of a few rows;
 * `null` when that version is not stored whole (no commit row): the answer is then computed.
 */
async function storedDays(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  version: number,
  range: DayRange,
): Promise<DailyRow[] | null> {
  const rows = await selectRows<DailyRow & { is_commit: number }>(
    client,
    caps,
    // LIMIT 1 BY: two sealers may store one version (each copy is a whole answer) before a merge folds them.
    sql`SELECT day AS day_text, is_commit, matches, events AS total_events, goals AS goal_events,
               cards AS card_events, active_players
        FROM ${table(caps, 'season_days')}
        WHERE version = ${version}
          AND (is_commit = 1 OR (day >= ${dateSql(range.first)} AND day <= ${dateSql(range.last)}))
        LIMIT 1 BY day, is_commit`,
    SMALL_READ,
  );
  if (!rows.some((r) => num(r.is_commit) === 1)) return null;
  return rows.filter((r) => num(r.is_commit) === 0);
}

function everyDay(range: DayRange, rows: DailyRow[]): DailyStatsDay[] {
  const byDay = new Map(rows.map((r) => [r.day_text, r]));
  const days: DailyStatsDay[] = [];
  for (let d = range.first; d <= range.last; d++) {
    const day = isoDateOf(d);
    const r = byDay.get(day);
    days.push({
      day,
      matches: num(r?.matches ?? 0),
      events: num(r?.total_events ?? 0),
      goals: num(r?.goal_events ?? 0),
      cards: num(r?.card_events ?? 0),
      activePlayers: num(r?.active_players ?? 0),
    });
  }
  return days;
}

/**
 * Per UTC day of the range, every day in order (days without events all zero). When every match has a current
 * seal and the sealer stored this version in season_days, one read of it; else computed from the seals and raw
 * rows.
 */
export async function dailyStats(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: StatsRangeParams,
  read: StatsReadOptions = {},
): Promise<Versioned<DailyStatsDay[]>> {
  const range = checkStatsRange(params);
  if (!read.rawOnly) {
    const snapshot = read.snapshot ?? (await statsSnapshot(client, caps));
    const stored =
      snapshot.unsealed?.length === 0 && !read.computed
        ? await storedDays(client, caps, snapshot.version, range)
        : null;
    if (stored) return { value: everyDay(range, stored), storedRows: snapshot.version };
    read = { ...read, snapshot };
  }
  return versioned(
    client,
    caps,
    range,
    { shape: 'day-match', playersOnly: false, ...read },
    async (from, settings) => everyDay(range, await dailyRows(client, caps, from, settings)),
  );
}

/** Every event type (known to the contract) with its distinct events in the range: most first, ties by name. */
export async function eventTypeStats(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: StatsRangeParams,
  read: StatsReadOptions = {},
): Promise<Versioned<EventTypeCount[]>> {
  const range = checkStatsRange(params);
  return versioned(
    client,
    caps,
    range,
    { shape: 'figures', playersOnly: false, ...read },
    async (from, settings) => {
      const rows = await selectRows<{ event_type: string; total_events: number }>(
        client,
        caps,
        sql`SELECT event_type, sum(events) AS total_events ${from} GROUP BY event_type`,
        settings,
      );
      const counts = new Map(rows.map((r) => [r.event_type, num(r.total_events)]));
      return EVENT_TYPES.map((eventType) => ({ eventType, events: counts.get(eventType) ?? 0 })).sort(
        (a, b) => b.events - a.events || byteOrder(a.eventType, b.eventType),
      );
    },
  );
}

/** Sorted by `by` (most first), then events (most first), then playerId (byte order). */
export function rankPlayers(players: readonly PlayerStats[], by: StatsPlayerSort): PlayerStats[] {
  return [...players].sort(
    (a, b) => b[by] - a[by] || b.events - a.events || byteOrder(a.playerId, b.playerId),
  );
}

interface PlayerRow {
  player_id: string;
  matches: number;
  goals: number;
  shots: number;
  cards: number;
  total_events: number;
}

/** Every player with an event in the range (across matches and teams), ranked by `by` (see rankPlayers). */
export async function playerRanking(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: StatsRangeParams & { by?: StatsPlayerSort },
  read: StatsReadOptions = {},
): Promise<Versioned<PlayerStats[]>> {
  const range = checkStatsRange(params);
  const by = params.by ?? 'events';
  if (!STATS_PLAYER_SORTS.includes(by))
    throw new RangeError(`by must be one of ${STATS_PLAYER_SORTS.join(', ')}`);
  return versioned(
    client,
    caps,
    range,
    { shape: 'figures', playersOnly: true, ...read },
    async (from, settings) => {
      const rows = await selectRows<PlayerRow>(
        client,
        caps,
        sql`SELECT player_id, uniqExact(match_id) AS matches, sum(events) AS total_events,
                 sumIf(events, event_type = 'goal') AS goals, sumIf(events, event_type = 'shot') AS shots,
                 sumIf(events, event_type IN ('yellow_card', 'red_card')) AS cards
          ${from} GROUP BY player_id`,
        settings,
      );
      const players = rows.map((r) => ({
        playerId: r.player_id,
        matches: num(r.matches),
        goals: num(r.goals),
        shots: num(r.shots),
        cards: num(r.cards),
        events: num(r.total_events),
      }));
      return rankPlayers(players, by);
    },
  );
}

export interface CohortRetentionParams {
  /** first UTC day of window 0, `YYYY-MM-DD` */
  start: string;
  windows: number;
  window: RetentionWindow;
}

export interface CohortRetention {
  cohort: number;
  items: RetentionWindowCount[];
}

/**
 * Cohort retention: the cohort is the players whose first event ever (over every stored event) falls in window 0
 * (`[start, start + 1 window)`); for each window k, how many of them have an event in it, and their share.
 */
export async function cohortRetention(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: CohortRetentionParams,
  read: StatsReadOptions = {},
): Promise<Versioned<CohortRetention>> {
  const start = checkDate('start', params.start);
  if (!Object.hasOwn(RETENTION_WINDOWS, params.window)) {
    throw new RangeError(`window must be one of ${Object.keys(RETENTION_WINDOWS).join(', ')}`);
  }
  const windowDays = RETENTION_WINDOWS[params.window];
  const windows = checkCount('windows', params.windows, 1, STATS_LIMITS.retention.maxWindows[params.window]);
  const end = start + windows * windowDays;
  return versioned(
    client,
    caps,
    null,
    { shape: 'player-days', playersOnly: true, ...read },
    async (from, settings) => {
      const rows = await selectRows<{ k: number; players: number }>(
        client,
        caps,
        sql`SELECT k, count() AS players FROM (
            SELECT player_id, min(day) AS first_day,
                   groupUniqArrayIf(intDiv(toInt64(toUInt32(day)) - ${start}, ${windowDays}),
                                    day >= ${dateSql(start)} AND day < ${dateSql(end)}) AS ks
            ${from}
            GROUP BY player_id
            HAVING first_day >= ${dateSql(start)} AND first_day < ${dateSql(start + windowDays)}
          ) ARRAY JOIN ks AS k
          GROUP BY k`,
        settings,
      );
      const byWindow = new Map(rows.map((r) => [num(r.k), num(r.players)]));
      const cohort = byWindow.get(0) ?? 0;
      const items: RetentionWindowCount[] = [];
      for (let k = 0; k < windows; k++) {
        const players = byWindow.get(k) ?? 0;
        items.push({
          window: k,
          from: isoDateOf(start + k * windowDays),
          to: isoDateOf(start + (k + 1) * windowDays - 1),
          players,
          share: cohort === 0 ? 0 : players / cohort,
        });
      }
      return { cohort, items };
    },
  );
}
