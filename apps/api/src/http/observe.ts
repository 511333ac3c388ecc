import type { Request, RequestHandler, Response } from 'express';
import { endServerSpan, startServerSpan, tracingOn, type Span } from '@pitchpulse/tracing';
import { routeLabel, type HttpMetrics } from './http-metrics';
import type { Lifecycle } from './lifecycle';
import { requestIdOf } from './request-id';
import type { createRequestLog } from './request-log';

/** Where the request's span waits in `res.locals` for the work it parents. */
const SPAN = 'requestSpan';

/**
 * The one app-wide middleware: request id in and out, in-flight accounting, metrics, the (sampled, throttled)
 * request log and, with tracing on, the request's server span, all settled by a single `close` listener. One
 * layer instead of five keeps the hot path short.
 */
export function observeRequests(
  lifecycle: Lifecycle,
  metrics: HttpMetrics,
  log: ReturnType<typeof createRequestLog>,
): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const id = requestIdOf(req.headers);
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    lifecycle.begin(res);
    const span = tracingOn()
      ? startServerSpan({ method: req.method, path: req.path, headers: req.headers, requestId: id })
      : undefined;
    if (span) res.locals[SPAN] = span;
    res.once('close', () => {
      lifecycle.end(res);
      const ms = performance.now() - start;
      metrics.record(req, res, ms / 1000);
      log(req, res, ms);
      if (span) endServerSpan(span, () => answerOf(req, res));
    });
    next();
  };
}

/** The request's server span (undefined with tracing off), to parent the spans of the work it does. */
export const requestSpan = (res: Response): Span | undefined => res.locals[SPAN] as Span | undefined;

const answerOf = (req: Request, res: Response) => ({
  method: req.method,
  route: routeLabel(req, res),
  statusCode: res.statusCode,
  aborted: !res.writableFinished,
});
