import { Pool } from 'undici';
import { percentile, round } from './http';

export interface LoadOptions {
  url: string;
  path: string;
  /** Concurrent requests kept in flight (one socket each). */
  connections: number;
  durationMs: number;
  /** POST (default) with this body, or GET without one. */
  method?: 'GET' | 'POST';
  body?: () => string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Answers to requests started in the first `warmupMs` (connection set-up) are not counted. */
  warmupMs?: number;
  /** Events each request carries (for counting events by outcome). */
  eventsPerRequest?: number;
}

export interface LoadResult {
  durationMs: number;
  requests: number;
  /** Answers by status (`network` for failed exchanges). */
  statuses: Record<string, number>;
  /** Latency of every answer, by status. */
  latencies: Map<string, number[]>;
  /** 503 and 429 answers without a usable Retry-After. */
  missingRetryAfter: number;
  /** Error answers (≥ 400) that were not application/problem+json. */
  notProblemJson: number;
  networkErrors: string[];
  /** Events of non-2xx answers by problem type; `kafka-timeout` for 503s after a produce timeout (ambiguous). */
  refusedEvents: Record<string, number>;
  /** Events of every request answered 2xx, warm-up included. */
  acceptedEvents: number;
}

/** Closed-loop load: `connections` workers, each sending its next request as soon as the last is answered. */
export async function closedLoopLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.url, {
    connections: options.connections,
    headersTimeout: options.timeoutMs ?? 30_000,
    bodyTimeout: options.timeoutMs ?? 30_000,
  });
  const result: LoadResult = {
    durationMs: 0,
    requests: 0,
    statuses: {},
    latencies: new Map(),
    missingRetryAfter: 0,
    notProblemJson: 0,
    networkErrors: [],
    refusedEvents: {},
    acceptedEvents: 0,
  };
  const perRequest = options.eventsPerRequest ?? 1;
  const method = options.method ?? 'POST';
  const headers =
    method === 'POST' ? { 'content-type': 'application/json', ...options.headers } : options.headers;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const measureFrom = started + (options.warmupMs ?? 0);
  const record = (status: string, ms: number) => {
    result.requests++;
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    const list = result.latencies.get(status) ?? [];
    list.push(ms);
    result.latencies.set(status, list);
  };
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method, path: options.path, headers, body: options.body?.() });
        const text = await res.body.text();
        const ms = performance.now() - t0;
        if (res.statusCode < 300) result.acceptedEvents += perRequest;
        else {
          let kind = `status-${res.statusCode}`;
          try {
            const problem = JSON.parse(text) as { type?: string; detail?: string };
            kind = /did not acknowledge/.test(problem.detail ?? '')
              ? 'kafka-timeout'
              : (problem.type ?? kind).replace('urn:pitchpulse:problem:', '');
          } catch {
            // not a problem body: counted below
          }
          result.refusedEvents[kind] = (result.refusedEvents[kind] ?? 0) + perRequest;
        }
        if (t0 < measureFrom) continue;
        record(String(res.statusCode), ms);
        if (
          (res.statusCode === 503 || res.statusCode === 429) &&
          !(Number(res.headers['retry-after']) >= 1)
        ) {
          result.missingRetryAfter++;
        }
        if (
          res.statusCode >= 400 &&
          !String(res.headers['content-type']).startsWith('application/problem+json')
        ) {
          result.notProblemJson++;
        }
      } catch (err) {
        // counted during warm-up too: a refused or reset connection is never just set-up cost
        if (result.networkErrors.length < 5) result.networkErrors.push((err as Error).message);
        if (t0 >= measureFrom) record('network', performance.now() - t0);
        else result.statuses['network (warm-up)'] = (result.statuses['network (warm-up)'] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  result.durationMs = performance.now() - measureFrom;
  await pool.close();
  return result;
}

/** Latency figures (ms) of one status, for summaries. */
export function latencySummary(values: readonly number[] | undefined): Record<string, number> {
  const v = values ?? [];
  return {
    count: v.length,
    p50: round(percentile(v, 50)),
    p95: round(percentile(v, 95)),
    p99: round(percentile(v, 99)),
    max: round(v.reduce((a, b) => Math.max(a, b), 0)),
  };
}

/** Samples a number (e.g. a process's RSS) every `everyMs` until stopped; keeps the peak. */
export function sampler(read: () => number | undefined, everyMs = 100) {
  let peak = 0;
  const values: number[] = [];
  const timer = setInterval(() => {
    const v = read();
    if (v !== undefined) {
      values.push(v);
      peak = Math.max(peak, v);
    }
  }, everyMs);
  return {
    stop(): { peak: number; last: number; samples: number } {
      clearInterval(timer);
      return { peak: round(peak), last: round(values.at(-1) ?? 0), samples: values.length };
    },
  };
}

/**
 * Quantiles of the API's own `http_request_duration_seconds` histogram for one route and status, as bucket upper
 * bounds in ms (what the server spent, without the time a request waited in socket buffers before it was read).
 */
export function serverLatency(metricsText: string, route: string, status: number): Record<string, number> {
  const buckets: Array<[number, number]> = [];
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith('http_request_duration_seconds_bucket{')) continue;
    if (!line.includes(`route="${route}"`) || !line.includes(`status="${status}"`)) continue;
    const m = /le="([^"]+)".* (\d+)$/.exec(line);
    if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])]);
  }
  buckets.sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  const quantile = (q: number) => buckets.find(([, n]) => n >= q * total)?.[0] ?? NaN;
  return { count: total, p50AtMostMs: quantile(0.5), p99AtMostMs: quantile(0.99) };
}
