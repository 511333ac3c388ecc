/**
 * The stats routes' parameter limits and date helpers, with no dependency at all: the dashboard's bundle imports
 * this file itself (`@pitchpulse/contract/src/stats-limits`), the rest through the contract's index.
 */
/** Leaderboard rankings of `GET /api/stats/players`. */
export const STATS_PLAYER_SORTS = ['goals', 'shots', 'cards', 'events'] as const;
export type StatsPlayerSort = (typeof STATS_PLAYER_SORTS)[number];

/** Retention windows: their length in days (`week` = 7 days from `start`, not calendar weeks). */
export const RETENTION_WINDOWS = { day: 1, week: 7 } as const;
export type RetentionWindow = keyof typeof RETENTION_WINDOWS;

/** Bounds of the stats routes' query parameters. */
export const STATS_LIMITS = {
  /** `from`…`to` spans at most this many days, both ends included */
  maxSpanDays: 366,
  /** the earliest and latest day a parameter may name (ClickHouse's Date type holds 1970–2105) */
  minDate: '1970-01-01',
  maxDate: '2099-12-31',
  /** max: every event type (EVENT_TYPES.length; written out to keep this file free of imports, stats.test.ts checks it) */
  topEvents: { default: 10, max: 11 },
  players: { default: 10, max: 100 },
  maxOffset: 100_000,
  /** `windows`: how many windows, by window length; default `retention.defaultWindows` */
  retention: { maxWindows: { day: 366, week: 52 }, defaultWindows: 8, defaultWindow: 'week' },
} as const;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const ISO_DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const DAY_MS = 86_400_000;

/**
 * Days since 1970-01-01 of a real calendar date written `YYYY-MM-DD` (2024-02-30 is not one), or `null`. Dates
 * outside STATS_LIMITS' minDate…maxDate are `null` too.
 */
export function isoDateDays(text: string): number | null {
  const m = ISO_DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  if (text < STATS_LIMITS.minDate || text > STATS_LIMITS.maxDate) return null;
  return ms / DAY_MS;
}

/** The `YYYY-MM-DD` of a day number (days since 1970-01-01). */
export function isoDateOf(days: number): string {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}
