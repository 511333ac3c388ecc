import type { Request, RequestHandler, Response } from 'express';
import {
  ATTR,
  SpanKind,
  SpanStatusCode,
  contextOf,
  startSpan,
  tracingOn,
  type Span,
} from '@pitchpulse/tracing';
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
    const span = serverSpan(req, id);
    if (span) res.locals[SPAN] = span;
    res.once('close', () => {
      lifecycle.end(res);
      const ms = performance.now() - start;
      metrics.record(req, res, ms / 1000);
      log(req, res, ms);
      if (span) endServerSpan(span, req, res);
    });
    next();
  };
}

/** The request's server span (undefined with tracing off), to parent the spans of the work it does. */
export const requestSpan = (res: Response): Span | undefined => res.locals[SPAN] as Span | undefined;

/** The request's span, a child of the caller's `traceparent` if it sent one (undefined with tracing off). */
function serverSpan(req: Request, requestId: string): Span | undefined {
  if (!tracingOn()) return undefined;
  return startSpan(req.method, {
    kind: SpanKind.SERVER,
    parent: contextOf(req.headers),
    attributes: {
      'http.request.method': req.method,
      'url.path': req.path,
      [ATTR.requestId]: requestId,
    },
  });
}

function endServerSpan(span: Span, req: Request, res: Response): void {
  const route = routeLabel(req, res);
  span.updateName(`${req.method} ${route}`);
  span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
  // Semantic conventions: a server span fails on 5xx only (4xx are the client's errors).
  if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (!res.writableFinished) span.setAttribute('http.response.aborted', true);
  span.end();
}
