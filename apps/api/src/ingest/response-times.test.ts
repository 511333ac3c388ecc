import type { Request, Response } from 'express';
import type { Percentiles } from '@pitchpulse/contract';
import { ResponseTimeWindow, recordIngestResponseTimes } from './response-times';

/** HDR histograms answer the top of a value's 1 % bucket. */
const near = (p: Percentiles | null, expected: Percentiles) => {
  expect(p).not.toBeNull();
  for (const k of ['p50', 'p95', 'p99'] as const) {
    expect({ k, within: Math.abs(p![k] - expected[k]) / expected[k] <= 0.01 }).toEqual({ k, within: true });
  }
};

describe('ResponseTimeWindow', () => {
  it('reports p50/p95/p99 in ms at 1 % resolution, null without samples', () => {
    let now = 1_000_000;
    const w = new ResponseTimeWindow({ now: () => now, refreshMs: 0 });
    expect(w.percentiles()).toBeNull();
    for (let i = 1; i <= 1000; i++) w.record(i / 10); // 0.1 … 100 ms
    near(w.percentiles(), { p50: 50, p95: 95, p99: 99 });
    now += 10;
    expect(w.samples).toBe(1000);
  });

  it('slides: samples older than the window are forgotten, newer ones kept', () => {
    let now = 5_000_000;
    const w = new ResponseTimeWindow({ windowSeconds: 60, now: () => now, refreshMs: 0 });
    for (let i = 0; i < 100; i++) w.record(200); // second 0: slow
    now += 30_000;
    for (let i = 0; i < 100; i++) w.record(2); // second 30: fast
    expect(w.percentiles()!.p99).toBeGreaterThan(190);
    now += 30_500; // the slow second is now 60.5 s old
    expect(w.samples).toBe(100);
    near(w.percentiles(), { p50: 2, p95: 2, p99: 2 });
    now += 60_000;
    expect(w.percentiles()).toBeNull();
    // A slot reused for a new second starts empty.
    w.record(7);
    near(w.percentiles(), { p50: 7, p95: 7, p99: 7 });
  });

  it('recomputes at most once per refresh period', () => {
    let now = 0;
    const w = new ResponseTimeWindow({ now: () => now, refreshMs: 1000 });
    w.record(5);
    near(w.percentiles(), { p50: 5, p95: 5, p99: 5 });
    w.record(50);
    w.record(50);
    near(w.percentiles(), { p50: 5, p95: 5, p99: 5 });
    now += 1000;
    near(w.percentiles(), { p50: 50, p95: 50, p99: 50 });
  });

  it('ignores nonsense', () => {
    const w = new ResponseTimeWindow({ refreshMs: 0 });
    w.record(NaN);
    w.record(-1);
    w.record(Infinity);
    expect(w.percentiles()).toBeNull();
  });
});

describe('recordIngestResponseTimes', () => {
  const request = (method: string, path: string) =>
    ({ method, baseUrl: '', route: { path } }) as unknown as Request;
  const response = (finished = true) => ({ writableFinished: finished, locals: {} }) as unknown as Response;

  it('feeds completed POSTs of the ingest routes only, and still records every request', () => {
    const window = new ResponseTimeWindow({ refreshMs: 0 });
    const recorded: string[] = [];
    const metrics = recordIngestResponseTimes(
      {
        record: (req: Request, _res: Response, _seconds: number) =>
          void recorded.push(`${req.method} ${(req.route as { path: string }).path}`),
      },
      window,
    );
    metrics.record(request('POST', '/api/events'), response(), 0.004);
    metrics.record(request('POST', '/api/events/batch'), response(), 0.006);
    metrics.record(request('GET', '/api/events'), response(), 1); // 405
    metrics.record(request('GET', '/api/matches/:matchId/metrics'), response(), 1);
    metrics.record(request('POST', '/api/events'), response(false), 1); // client went away
    expect(recorded).toHaveLength(5);
    expect(window.samples).toBe(2);
    expect(window.percentiles()!.p99).toBeCloseTo(6, 0);
  });
});
