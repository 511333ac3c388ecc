import type { RequestHandler } from 'express';
import type { HttpMetrics } from './http-metrics';
import type { Lifecycle } from './lifecycle';
import { requestIdOf } from './request-id';
import type { createRequestLog } from './request-log';

/**
 * The one app-wide middleware: request id in and out, in-flight accounting, metrics and the (sampled,
 * throttled) request log, all settled by a single `close` listener. One layer instead of four keeps the hot
 * path short.
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
    res.once('close', () => {
      lifecycle.end(res);
      const ms = performance.now() - start;
      metrics.record(req, res, ms / 1000);
      log(req, res, ms);
    });
    next();
  };
}
