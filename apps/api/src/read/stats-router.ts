import express, { type Request, type Router } from 'express';
import {
  RETENTION_WINDOWS,
  STATS_LIMITS,
  STATS_PLAYER_SORTS,
  isoDateDays,
  type DailyStats,
  type PlayerLeaderboard,
  type Retention,
  type RetentionWindow,
  type StatsPlayerSort,
  type TopEvents,
} from '@pitchpulse/contract';
import type { AppContext } from '../context';
import { methodNotAllowed } from '../http/problem';
import { integer, invalid, oneOf, queryOf, read, sendJson } from './router';
import type { StatsService } from './stats';
import { requestSpan } from '../http/observe';

/** The default of a parameter that must be given. */
const REQUIRED = Symbol('required');

function required<T>(value: unknown, name: string): T {
  if (value === REQUIRED) throw invalid(name, 'is required');
  return value as T;
}

/** A real calendar day `YYYY-MM-DD` within the contract's bounds; answers its text. */
const isoDate = (raw: string, name: string): string => {
  if (isoDateDays(raw) === null) {
    throw invalid(
      name,
      `must be a calendar date YYYY-MM-DD from ${STATS_LIMITS.minDate} to ${STATS_LIMITS.maxDate}`,
    );
  }
  return raw;
};

const rangeSpec = {
  from: { parse: isoDate, default: REQUIRED },
  to: { parse: isoDate, default: REQUIRED },
};

/** `from` and `to`, each a date, from ≤ to, spanning at most STATS_LIMITS.maxSpanDays days. */
function rangeOf(q: { from: unknown; to: unknown }): { from: string; to: string } {
  const from = required<string>(q.from, 'from');
  const to = required<string>(q.to, 'to');
  const span = isoDateDays(to)! - isoDateDays(from)! + 1;
  if (span < 1) throw invalid('to', 'must not be before from');
  if (span > STATS_LIMITS.maxSpanDays) {
    throw invalid('to', `must be at most ${STATS_LIMITS.maxSpanDays - 1} days after from`);
  }
  return { from, to };
}

/**
 * The stats across matches: GET /api/stats/daily, /top-events, /players and /retention. Open like the match
 * routes, shedding load like every /api route; parameters checked with the read router's machinery (unknown,
 * repeated, missing or invalid → 400 `invalid-parameter` naming the parameter).
 */
export function createStatsRouter(ctx: AppContext, stats: StatsService): Router {
  const router = express.Router();
  const shed = ctx.lifecycle.shed;

  router.get(
    '/api/stats/daily',
    shed,
    read(async (req: Request, res) => {
      const { from, to } = rangeOf(queryOf(req, rangeSpec));
      const body: DailyStats = { from, to, days: await stats.daily(from, to, requestSpan(res)) };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/stats/top-events',
    shed,
    read(async (req, res) => {
      const q = queryOf(req, {
        ...rangeSpec,
        limit: {
          parse: integer(1, STATS_LIMITS.topEvents.max),
          default: STATS_LIMITS.topEvents.default,
        },
      });
      const { from, to } = rangeOf(q);
      const limit = q.limit as number;
      const items = (await stats.eventTypes(from, to, requestSpan(res))).slice(0, limit);
      const body: TopEvents = { from, to, limit, items };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/stats/players',
    shed,
    read(async (req, res) => {
      const q = queryOf(req, {
        ...rangeSpec,
        by: { parse: oneOf(STATS_PLAYER_SORTS), default: 'events' },
        limit: { parse: integer(1, STATS_LIMITS.players.max), default: STATS_LIMITS.players.default },
        offset: { parse: integer(0, STATS_LIMITS.maxOffset), default: 0 },
      });
      const { from, to } = rangeOf(q);
      const by = q.by as StatsPlayerSort;
      const limit = q.limit as number;
      const offset = q.offset as number;
      const ranking = await stats.players(from, to, by, requestSpan(res));
      const body: PlayerLeaderboard = {
        from,
        to,
        by,
        total: ranking.length,
        limit,
        offset,
        items: ranking.slice(offset, offset + limit),
      };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/stats/retention',
    shed,
    read(async (req, res) => {
      const { maxWindows, defaultWindows, defaultWindow } = STATS_LIMITS.retention;
      const q = queryOf(req, {
        start: { parse: isoDate, default: REQUIRED },
        window: {
          parse: oneOf(Object.keys(RETENTION_WINDOWS) as RetentionWindow[]),
          default: defaultWindow,
        },
        windows: { parse: integer(1, Math.max(...Object.values(maxWindows))), default: defaultWindows },
      });
      const start = required<string>(q.start, 'start');
      const window = q.window as RetentionWindow;
      const windows = q.windows as number;
      if (windows > maxWindows[window]) {
        throw invalid('windows', `must be an integer from 1 to ${maxWindows[window]} for window=${window}`);
      }
      const { cohort, items } = await stats.retention(start, window, windows, requestSpan(res));
      const body: Retention = { start, window, windows, cohort, items };
      sendJson(res, body);
    }),
  );

  for (const path of [
    '/api/stats/daily',
    '/api/stats/top-events',
    '/api/stats/players',
    '/api/stats/retention',
  ]) {
    router.all(path, methodNotAllowed(['GET', 'HEAD']));
  }
  return router;
}
