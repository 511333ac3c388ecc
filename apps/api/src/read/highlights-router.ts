import express, { type Router } from 'express';
import {
  HIGHLIGHT_STATUSES,
  MATCH_ID_PATTERN,
  MATCH_ID_RULE,
  READ_LIMITS,
  type HighlightList,
  type HighlightStatus,
} from '@pitchpulse/contract';
import type { AppContext } from '../context';
import { ProblemError, methodNotAllowed } from '../http/problem';
import { integer, invalid, oneOf, queryOf, read, sendJson } from './router';
import type { ReadService } from './service';
import { requestSpan } from '../http/observe';

const MATCH_ID = new RegExp(MATCH_ID_PATTERN);
/** A highlight's id is its event's id: a UUID. */
const HIGHLIGHT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LIMITS = READ_LIMITS.highlightList;

const matchIdParam = (raw: string, name: string): string => {
  if (!MATCH_ID.test(raw)) throw invalid(name, `must be ${MATCH_ID_RULE}`);
  return raw;
};

/**
 * GET /api/highlights (every match's highlights or one match's, of one status or all, newest first, paged) and
 * GET /api/highlights/{highlightId}. Parameters checked like every read route (400 `invalid-parameter` naming
 * the parameter); an unknown highlight is a 404 problem.
 */
export function createHighlightsRouter(ctx: AppContext, service: ReadService): Router {
  const router = express.Router();
  const shed = ctx.lifecycle.shed;

  router.get(
    '/api/highlights',
    shed,
    read(async (req, res) => {
      const q = queryOf(req, {
        matchId: { parse: matchIdParam, default: undefined },
        status: { parse: oneOf(HIGHLIGHT_STATUSES), default: undefined },
        page: { parse: integer(1, LIMITS.maxPage), default: 1 },
        pageSize: { parse: integer(1, LIMITS.maxPageSize), default: LIMITS.defaultPageSize },
      });
      const page = q.page as number;
      const pageSize = q.pageSize as number;
      const slice = await service.highlights(
        {
          matchId: q.matchId as string | undefined,
          status: q.status as HighlightStatus | undefined,
          limit: pageSize,
          offset: (page - 1) * pageSize,
        },
        requestSpan(res),
      );
      const body: HighlightList = { page, pageSize, total: slice?.total ?? 0, items: slice?.items ?? [] };
      sendJson(res, body);
    }),
  );

  router.get(
    '/api/highlights/:highlightId',
    shed,
    read(async (req, res) => {
      const id = req.params.highlightId;
      if (typeof id !== 'string' || !HIGHLIGHT_ID.test(id)) {
        throw invalid('highlightId', 'must be a UUID (the eventId of the highlighted event)');
      }
      queryOf(req, {});
      const highlight = await service.highlight(id, requestSpan(res));
      if (!highlight) {
        throw new ProblemError({
          type: 'not-found',
          status: 404,
          title: 'Highlight not found',
          detail: `No highlight has the id ${JSON.stringify(id)}`,
        });
      }
      sendJson(res, highlight);
    }),
  );

  for (const path of ['/api/highlights', '/api/highlights/:highlightId']) {
    router.all(path, methodNotAllowed(['GET', 'HEAD']));
  }
  return router;
}
