import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { BreakerOpenError } from '@pitchpulse/breaker';
import { classifyClickHouseError } from '@pitchpulse/clickhouse';
import {
  MATCH_ID_PATTERN,
  MATCH_ID_RULE,
  PLAYER_SORTS,
  READ_LIMITS,
  TIMELINE_BUCKETS,
  type HighlightPage,
  type MatchList,
  type PlayerList,
  type TimelineBucket,
} from '@pitchpulse/contract';
import type { AppContext } from '../context';
import { ProblemError, breakerOpen, methodNotAllowed, serviceUnavailable } from '../http/problem';
import type { ReadService } from './service';
import { requestSpan } from '../http/observe';

const MATCH_ID = new RegExp(MATCH_ID_PATTERN);
const INTEGER = /^(0|[1-9][0-9]{0,9})$/;

/** A 400 `invalid-parameter` naming the parameter (this and the helpers below serve stats-router.ts too). */
export const invalid = (name: string, message: string): ProblemError =>
  new ProblemError({
    type: 'invalid-parameter',
    status: 400,
    title: 'Invalid parameter',
    detail: `${name}: ${message}`,
    errors: [{ path: name, message }],
  });

const noMatch = (matchId: string): ProblemError =>
  new ProblemError({
    type: 'not-found',
    status: 404,
    title: 'Match not found',
    detail: `No events have been stored for match ${JSON.stringify(matchId)}`,
  });

/** The path's matchId, checked against the event contract's pattern. */
function matchIdOf(req: Request): string {
  const value = req.params.matchId;
  if (typeof value !== 'string' || !MATCH_ID.test(value)) {
    throw invalid('matchId', `must be ${MATCH_ID_RULE}`);
  }
  return value;
}

export type QuerySpec = Record<string, { parse: (raw: string, name: string) => unknown; default: unknown }>;

export const integer = (min: number, max: number) => (raw: string, name: string) => {
  const n = INTEGER.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw invalid(name, `must be an integer from ${min} to ${max}`);
  return n;
};

export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string, name: string): T => {
    if (!(values as readonly string[]).includes(raw))
      throw invalid(name, `must be one of ${values.join(', ')}`);
    return raw as T;
  };

/** Every query parameter checked: only known names, each once, each valid; defaults for the missing ones. */
export function queryOf<S extends QuerySpec>(req: Request, spec: S): { [K in keyof S]: unknown } {
  const query = req.query as Record<string, unknown>;
  for (const name of Object.keys(query)) {
    if (!Object.hasOwn(spec, name)) {
      const known = Object.keys(spec);
      throw invalid(
        name,
        known.length > 0 ? `unknown parameter (use ${known.join(', ')})` : 'unknown parameter',
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, { parse, default: fallback }] of Object.entries(spec)) {
    const raw = query[name];
    if (raw === undefined) out[name] = fallback;
    else if (typeof raw !== 'string') throw invalid(name, 'must be given once, as a plain value');
    else out[name] = parse(raw, name);
  }
  return out as { [K in keyof S]: unknown };
}

/** A 200 with JSON: a body typed as its contract shape, or JSON text already rendered from one. */
export function sendJson(res: Response, body: object | string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** What a failed read means to the caller: ClickHouse down or busy is a 503 with Retry-After. */
function asReadProblem(err: unknown): unknown {
  if (err instanceof ProblemError) return err;
  if (err instanceof BreakerOpenError) {
    return breakerOpen(
      'clickhouse-unavailable',
      'ClickHouse has been failing, so reads are refused at once until it answers again (circuit breaker open)',
      err,
    );
  }
  const kind = classifyClickHouseError(err);
  if (kind === 'unavailable' || kind === 'transient') {
    return new ProblemError({
      type: 'clickhouse-unavailable',
      status: 503,
      title: 'ClickHouse unavailable',
      detail: 'The analytics store did not answer; retry shortly',
      headers: { 'Retry-After': '2' },
    });
  }
  return err;
}

/** Wraps a handler so every failure becomes a problem (express 5 forwards the rejection to the error handler). */
export const read =
  (handler: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      throw asReadProblem(err);
    }
  };

/**
 * The read API: GET /api/matches, /api/matches/{matchId}/metrics, /timeline, /highlights, /players and /stream
 * (Server-Sent Events). Reads are open (no API key: they serve dashboards) and shed load like every /api route.
 */
export function createReadRouter(ctx: AppContext, service: ReadService): Router {
  const router = express.Router();
  const shed = ctx.lifecycle.shed;

  router.get(
    '/api/matches',
    shed,
    read(async (req, res) => {
      const q = queryOf(req, {
        limit: { parse: integer(1, READ_LIMITS.matches.max), default: READ_LIMITS.matches.default },
        offset: { parse: integer(0, READ_LIMITS.maxOffset), default: 0 },
      });
      const limit = q.limit as number;
      const offset = q.offset as number;
      const page = await service.matches(limit, offset, requestSpan(res));
      const body: MatchList = { total: page.total, limit, offset, items: page.items };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/matches/:matchId/metrics',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      queryOf(req, {});
      const body = await service.metricsJson(matchId, requestSpan(res));
      if (body === null) throw noMatch(matchId);
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/matches/:matchId/timeline',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      const q = queryOf(req, {
        bucket: {
          parse: oneOf(Object.keys(TIMELINE_BUCKETS) as TimelineBucket[]),
          default: '1m',
        },
      });
      const timeline = await service.timeline(matchId, q.bucket as TimelineBucket, requestSpan(res));
      if (timeline === null) throw noMatch(matchId);
      sendJson(res, timeline);
    }),
  );

  router.get(
    '/api/matches/:matchId/highlights',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      const q = queryOf(req, {
        limit: { parse: integer(1, READ_LIMITS.highlights.max), default: READ_LIMITS.highlights.default },
        offset: { parse: integer(0, READ_LIMITS.maxOffset), default: 0 },
      });
      const limit = q.limit as number;
      const offset = q.offset as number;
      const page = await service.highlights({ matchId, limit, offset }, requestSpan(res));
      if (page === null) throw noMatch(matchId);
      const body: HighlightPage = { matchId, total: page.total, limit, offset, items: page.items };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/matches/:matchId/players',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      const q = queryOf(req, {
        limit: { parse: integer(1, READ_LIMITS.players.max), default: READ_LIMITS.players.default },
        by: { parse: oneOf(PLAYER_SORTS), default: 'events' },
      });
      const by = q.by as (typeof PLAYER_SORTS)[number];
      const players = await service.players(matchId, q.limit as number, by, requestSpan(res));
      if (players === null) throw noMatch(matchId);
      const body: PlayerList = { matchId, by, items: players };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/matches/:matchId/retractions',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      queryOf(req, {});
      const retractions = await service.retractions(matchId, requestSpan(res));
      if (retractions === null) throw noMatch(matchId);
      sendJson(res, retractions);
    }),
  );

  router.get(
    '/api/matches/:matchId/anomalies',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      queryOf(req, {});
      const anomalies = await service.anomalies(matchId, requestSpan(res));
      if (anomalies === null) throw noMatch(matchId);
      sendJson(res, anomalies);
    }),
  );

  router.get(
    '/api/matches/:matchId/stream',
    shed,
    read(async (req, res) => {
      const matchId = matchIdOf(req);
      queryOf(req, {});
      const outcome = await service.stream(matchId, req, res, requestSpan(res));
      if (outcome === 'no-match') throw noMatch(matchId);
      if (outcome === 'full') {
        throw serviceUnavailable('overloaded', 'Too many live streams are open on this instance', 5);
      }
    }),
  );

  for (const path of [
    '/api/matches',
    '/api/matches/:matchId/metrics',
    '/api/matches/:matchId/timeline',
    '/api/matches/:matchId/highlights',
    '/api/matches/:matchId/players',
    '/api/matches/:matchId/retractions',
    '/api/matches/:matchId/anomalies',
    '/api/matches/:matchId/stream',
  ]) {
    router.all(path, methodNotAllowed(['GET', 'HEAD']));
  }

  // A path segment that is not valid percent-encoding (`%E0%A4%A`, a lone `%`) fails before any handler runs.
  const undecodable: ErrorRequestHandler = (err: unknown, req, _res, next) => {
    if ((err as Error | undefined)?.name === 'URIError' && req.path.startsWith('/api/matches/')) {
      next(invalid('matchId', 'is not valid percent-encoded UTF-8'));
      return;
    }
    next(err);
  };
  router.use(undecodable);
  return router;
}
