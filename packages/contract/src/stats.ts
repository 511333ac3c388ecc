import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPES } from './event';
import { Closed, Count, oneOf } from './schema';

/**
 * The stats across matches (`GET /api/stats/…`): response shapes and parameter limits, declared once for the API,
 * the store, the dashboard and the tests. Days are UTC calendar days written `YYYY-MM-DD`.
 */

export {
  ISO_DATE_PATTERN,
  RETENTION_WINDOWS,
  STATS_LIMITS,
  STATS_PLAYER_SORTS,
  isoDateDays,
  isoDateOf,
  type RetentionWindow,
  type StatsPlayerSort,
} from './stats-limits';
import {
  ISO_DATE_PATTERN,
  RETENTION_WINDOWS,
  STATS_LIMITS,
  STATS_PLAYER_SORTS,
  type RetentionWindow,
} from './stats-limits';

const IsoDate = (description: string) =>
  Type.String({ pattern: ISO_DATE_PATTERN, description, examples: ['2024-01-15'] });

const range = {
  from: IsoDate('First UTC day of the range'),
  to: IsoDate('Last UTC day of the range (included)'),
};

const EXACT =
  'Counts are exact: distinct eventIds, an event delivered twice counts once. Finished matches are read from ' +
  'their sealed per-day figures, live or changed ones from their raw rows, each match from one state. Answers ' +
  'are kept in memory while no event has been stored since (checked at most 1 s ago).';

export const DailyStatsDay = Closed('DailyStatsDay', {
  day: IsoDate('The UTC day'),
  matches: Count({ description: 'Matches with at least one event that day' }),
  events: Count({ description: 'Distinct events' }),
  goals: Count(),
  cards: Count({ description: 'Yellow + red cards' }),
  activePlayers: Count({ description: 'Distinct playerIds with at least one event that day (across teams)' }),
});
export type DailyStatsDay = Static<typeof DailyStatsDay>;

/** `GET /api/stats/daily`. */
export const DailyStats = Closed(
  'DailyStats',
  {
    ...range,
    days: Type.Array(DailyStatsDay, {
      description: 'Every day of the range in order, days without events included (all zero)',
    }),
  },
  { description: EXACT },
);
export type DailyStats = Static<typeof DailyStats>;

export const EventTypeCount = Closed('EventTypeCount', {
  eventType: oneOf(EVENT_TYPES),
  events: Count({ description: 'Distinct events of this type in the range' }),
});
export type EventTypeCount = Static<typeof EventTypeCount>;

/** `GET /api/stats/top-events`. */
export const TopEvents = Closed(
  'TopEvents',
  {
    ...range,
    limit: Count(),
    items: Type.Array(EventTypeCount, {
      maxItems: STATS_LIMITS.topEvents.max,
      description:
        'Event types, most distinct events first (ties: type name in byte order); types without events ' +
        'in the range are listed too, with 0, so the list always has `limit` items',
    }),
  },
  { description: EXACT },
);
export type TopEvents = Static<typeof TopEvents>;

export const PlayerStats = Closed('PlayerStats', {
  playerId: Type.String(),
  matches: Count({ description: 'Distinct matches with an event of the player in the range' }),
  goals: Count(),
  shots: Count({ description: '`shot` events (goals are counted separately)' }),
  cards: Count({ description: 'Yellow + red cards' }),
  events: Count({ description: 'Distinct events of the player (every type)' }),
});
export type PlayerStats = Static<typeof PlayerStats>;

/** `GET /api/stats/players`. */
export const PlayerLeaderboard = Closed(
  'PlayerLeaderboard',
  {
    ...range,
    by: oneOf(STATS_PLAYER_SORTS),
    total: Count({ description: 'Players with at least one event in the range' }),
    limit: Count(),
    offset: Count(),
    items: Type.Array(PlayerStats, {
      description:
        'Players across matches and teams (by playerId; events without a player are not counted), sorted by ' +
        '`by` (most first), then events (most first), then playerId (byte order)',
    }),
  },
  { description: EXACT },
);
export type PlayerLeaderboard = Static<typeof PlayerLeaderboard>;

export const RetentionWindowCount = Closed('RetentionWindowCount', {
  window: Type.Integer({
    minimum: 0,
    description: 'Window number k: days [start + k·length, start + (k+1)·length)',
  }),
  from: IsoDate('First UTC day of the window'),
  to: IsoDate('Last UTC day of the window (included)'),
  players: Count({ description: 'Cohort players with at least one event in the window' }),
  share: Type.Number({
    minimum: 0,
    maximum: 1,
    description: '`players` / cohort size (window 0: 1); 0 when the cohort is empty',
  }),
});
export type RetentionWindowCount = Static<typeof RetentionWindowCount>;

/** `GET /api/stats/retention`. */
export const Retention = Closed(
  'Retention',
  {
    start: IsoDate('First UTC day of window 0'),
    window: oneOf(Object.keys(RETENTION_WINDOWS) as RetentionWindow[]),
    windows: Count({ description: 'Number of windows' }),
    cohort: Count({
      description:
        'Players whose first event ever (over all stored events, not just these windows) falls in window 0',
    }),
    items: Type.Array(RetentionWindowCount, { description: 'Windows 0 … windows − 1, in order' }),
  },
  { description: EXACT },
);
export type Retention = Static<typeof Retention>;
