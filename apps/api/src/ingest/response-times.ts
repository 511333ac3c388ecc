import * as hdr from 'hdr-histogram-js';
import type { Request, Response } from 'express';
import type { Percentiles } from '@pitchpulse/contract';
import { routeLabel } from '../http/http-metrics';

export interface ResponseTimeWindowOptions {
  /** Length of the sliding window in seconds. Default 60. */
  windowSeconds?: number;
  /** Percentiles are recomputed at most this often (ms). Default 1000. */
  refreshMs?: number;
  now?: () => number;
}

const MICROS_PER_MS = 1000;
/** Longest response time told apart (60 s); longer ones are counted at this value. */
const MAX_MICROS = 60_000_000;

const newHistogram = () =>
  hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_MICROS,
    numberOfSignificantValueDigits: 2,
  });

/**
 * Response times (ms) over a sliding window: one HDR histogram (1 % resolution, µs to 60 s) per second of the
 * window plus their running sum, from which expired seconds are subtracted. Recording is two counter increments;
 * percentiles are read from the sum, at most once per `refreshMs`.
 */
export class ResponseTimeWindow {
  readonly windowSeconds: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly slices: Array<{ second: number; histogram: hdr.Histogram }>;
  private readonly total = newHistogram();
  private cached: { at: number; value: Percentiles | null } | undefined;

  constructor(options: ResponseTimeWindowOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 60;
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 1) {
      throw new RangeError('windowSeconds must be a whole number ≥ 1');
    }
    this.refreshMs = options.refreshMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.slices = Array.from({ length: this.windowSeconds }, () => ({
      second: -Infinity,
      histogram: newHistogram(),
    }));
  }

  /** Counts one response time in milliseconds. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const second = Math.floor(this.now() / 1000);
    const slice = this.slices[second % this.windowSeconds]!;
    if (slice.second !== second) this.expire(slice, second);
    const micros = Math.min(MAX_MICROS, Math.max(1, Math.round(ms * MICROS_PER_MS)));
    slice.histogram.recordValue(micros);
    this.total.recordValue(micros);
  }

  /** p50/p95/p99 in ms (2 decimals) of the responses of the last `windowSeconds`; `null` when there were none. */
  percentiles(): Percentiles | null {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.refreshMs) return this.cached.value;
    const second = Math.floor(now / 1000);
    for (const slice of this.slices) {
      if (slice.second <= second - this.windowSeconds) this.expire(slice, -Infinity);
    }
    const at = (p: number) => Math.round(this.total.getValueAtPercentile(p) / 10) / 100;
    const value = this.total.totalCount === 0 ? null : { p50: at(50), p95: at(95), p99: at(99) };
    this.cached = { at: now, value };
    return value;
  }

  /** Responses counted in the window now. */
  get samples(): number {
    this.percentiles();
    return this.total.totalCount;
  }

  private expire(slice: { second: number; histogram: hdr.Histogram }, second: number): void {
    if (slice.histogram.totalCount > 0) {
      this.total.subtract(slice.histogram);
      slice.histogram.reset();
    }
    slice.second = second;
  }
}

/** The routes whose response times `responseTimePercentiles` reports: the ingest API. */
export const INGEST_ROUTES: ReadonlySet<string> = new Set(['/api/events', '/api/events/batch']);

/**
 * Wraps the HTTP metrics' `record` so every completed POST to an ingest route also lands in `window` (the same
 * duration the latency histogram gets: arrival to the end of the response, every status; aborted requests left
 * out).
 */
export function recordIngestResponseTimes<
  M extends { record(req: Request, res: Response, seconds: number): void },
>(metrics: M, window: ResponseTimeWindow): M {
  const record = metrics.record.bind(metrics);
  return {
    ...metrics,
    record(req: Request, res: Response, seconds: number): void {
      record(req, res, seconds);
      if (req.method === 'POST' && res.writableFinished && INGEST_ROUTES.has(routeLabel(req, res))) {
        window.record(seconds * 1000);
      }
    },
  };
}
