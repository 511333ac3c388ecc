import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemTypeUri, type ProblemBody } from '@pitchpulse/contract';
import type { HttpMetrics } from './http-metrics';
import type { Lifecycle } from './lifecycle';
import type { ProblemError } from './problem';
import { requestIdOf } from './request-id';
import type { createRequestLog } from './request-log';

/** Answers a request itself (true) or leaves it to the app (false). */
export type HeadShedder = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface HeadShedderDeps {
  lifecycle: Lifecycle;
  metrics: HttpMetrics;
  log: ReturnType<typeof createRequestLog>;
  /** The POST routes shed here (static paths, so the path is the route label). */
  paths: readonly string[];
}

const CONTENT_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;

const pathOf = (url: string | undefined): string => {
  const query = (url ?? '').indexOf('?');
  return query < 0 ? (url ?? '') : url!.slice(0, query);
};

/**
 * Load shedding on the request head, before express: a flood that ignores Retry-After is answered 503 for a few
 * microseconds each (no router, no body read or parsed, one prepared answer on the kept-alive connection), so the
 * event loop stays free for the requests that were admitted. The same limits as `Lifecycle.shed` decide.
 */
export function createHeadShedder(deps: HeadShedderDeps): HeadShedder {
  const { lifecycle, metrics, log } = deps;
  const paths = new Set(deps.paths);
  return (req, res) => {
    if (req.method !== 'POST' || !paths.has(pathOf(req.url))) return false;
    const refused = lifecycle.refusal(req.headers, lifecycle.inFlight);
    if (!refused) return false;
    const started = performance.now();
    const requestId = requestIdOf(req.headers);
    // what the request log and the metrics read of an express response
    const answered = Object.assign(res, {
      locals: { route: pathOf(req.url), requestId, problemDetail: refused.detail },
    }) as unknown as Response;
    const body = problemBody(refused, requestId);
    const headers: OutgoingHttpHeaders = {
      ...refused.headers,
      'Content-Type': CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'x-request-id': requestId,
    };
    if (lifecycle.draining) headers.Connection = 'close';
    res.writeHead(refused.status, headers);
    res.end(body, () => {
      const ms = performance.now() - started;
      metrics.record(req as Request, answered, ms / 1000);
      log(req as Request, answered, ms);
    });
    return true;
  };
}

function problemBody(problem: ProblemError, requestId: string): string {
  const body: ProblemBody = {
    type: problemTypeUri(problem.type),
    title: problem.title,
    status: problem.status,
    ...(problem.detail ? { detail: problem.detail } : {}),
    requestId,
  };
  return JSON.stringify(body);
}

/** The app as the server's request listener, with the head shedder it was built with in front. */
export function requestListener(app: Express): RequestListener {
  const shedOnHead = app.locals.shedOnHead as HeadShedder | undefined;
  if (!shedOnHead) return app;
  return (req, res) => {
    if (!shedOnHead(req, res)) void app(req, res);
  };
}
