import type { Request, Response } from 'express';
import type { Logger } from '@pitchpulse/observability';
import { routeLabel } from './http-metrics';

export interface RequestLogOptions {
  /** Fraction of successful (< 400) requests logged at info; the hot path logs nothing else. */
  sampleRate: number;
  /** Error responses logged per second per status at most; the rest are counted into the next line. */
  maxErrorLinesPerSecond?: number;
  random?: () => number;
  now?: () => number;
}

/**
 * Request logging that does not cost throughput: successes are sampled, 4xx are logged at info and 5xx at
 * warn/error, each status throttled to a few lines per second with a count of what was left out.
 */
export function createRequestLog(
  logger: Logger,
  options: RequestLogOptions,
): (req: Request, res: Response, durationMs: number) => void {
  const { sampleRate } = options;
  const maxLines = options.maxErrorLinesPerSecond ?? 10;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const windows = new Map<number, { second: number; lines: number; suppressed: number }>();

  const admit = (status: number): number | undefined => {
    const second = Math.floor(now() / 1000);
    let window = windows.get(status);
    if (!window) windows.set(status, (window = { second, lines: 0, suppressed: 0 }));
    if (window.second !== second) {
      window.second = second;
      window.lines = 0;
    }
    if (window.lines >= maxLines) {
      window.suppressed++;
      return undefined;
    }
    window.lines++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return suppressed;
  };

  return (req, res, durationMs) => {
    const status = res.statusCode;
    if (status < 400 && !(sampleRate > 0 && random() < sampleRate)) return;
    const suppressed = status >= 400 ? admit(status) : 0;
    if (suppressed === undefined) return;
    const line = {
      requestId: res.locals.requestId as string | undefined,
      client: res.locals.client as string | undefined,
      method: req.method,
      route: routeLabel(req, res),
      status,
      durationMs: Math.round(durationMs * 10) / 10,
      ...(res.writableFinished ? {} : { aborted: true }),
      ...(suppressed > 0 ? { suppressedSimilar: suppressed } : {}),
      ...(status >= 400 && res.locals.problemDetail ? { detail: res.locals.problemDetail as string } : {}),
    };
    if (status >= 500) {
      if (status === 503) logger.warn(line, 'request failed');
      else logger.error(line, 'request failed');
    } else logger.info(line, status >= 400 ? 'request rejected' : 'request');
  };
}
