import type { Request, Response } from 'express';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Lifecycle } from './lifecycle';

export interface HttpMetrics {
  /** Counts one answered request and its duration under its route template. */
  record(req: Request, res: Response, seconds: number): void;
  /** Events written to Kafka (acknowledged), by type. */
  eventsIngested: Counter<'event_type'>;
  /** Retractions written to Kafka (acknowledged). */
  retractionsAccepted: Counter;
}

/**
 * The route template a request matched (`/api/matches/:matchId/metrics`), never the raw path, so series stay
 * bounded; `res.locals.route` overrides it (static mounts), anything unmatched is `unmatched`.
 */
export function routeLabel(req: Request, res: Response): string {
  const explicit = res.locals.route as string | undefined;
  if (explicit) return explicit;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

export function createHttpMetrics(registry: Registry, lifecycle: Lifecycle): HttpMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration from arrival to the end of the response, by route template',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being handled now',
    registers,
    collect() {
      this.set(lifecycle.inFlight);
    },
  });
  new Counter({
    name: 'http_requests_shed_total',
    help: 'Work requests answered 503 overloaded on their head (no body read), by reason: in_flight, body_bytes',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const [reason, count] of lifecycle.shedCounts) this.inc({ reason }, count);
    },
  });
  const eventsIngested = new Counter({
    name: 'events_ingested_total',
    help: 'Events acknowledged by Kafka and answered 202, by event type',
    labelNames: ['event_type'] as const,
    registers,
  });
  const retractionsAccepted = new Counter({
    name: 'retractions_accepted_total',
    help: 'Retractions acknowledged by Kafka and answered 202',
    registers,
  });
  const record = (req: Request, res: Response, seconds: number): void => {
    // A connection closed before the response was complete is counted as 499 (client closed request).
    const status = res.writableFinished ? String(res.statusCode) : '499';
    const labels = { method: req.method, route: routeLabel(req, res), status };
    requests.inc(labels);
    duration.observe(labels, seconds);
  };
  return { record, eventsIngested, retractionsAccepted };
}
