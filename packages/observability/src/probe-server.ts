import http from 'node:http';
import type { Registry } from 'prom-client';
import {
  PROBLEM_CONTENT_TYPE,
  problemTypeUri,
  type CheckStatus,
  type Health,
  type ProblemBody,
  type ProblemType,
  type Readiness,
} from '@pitchpulse/contract';

/** A dependency as a process sees it; `reason` says why it is unhealthy. */
export interface CheckOutcome {
  status: CheckStatus;
  reason?: string;
}

export interface Probe {
  health(): { alive: boolean; reason?: string };
  /**
   * Kafka (for a process that uses it: e.g. the consumer is in its group), ClickHouse (answers), and `waitingFor`:
   * what start-up still waits for.
   */
  ready(): Promise<{
    kafka?: CheckOutcome;
    clickhouse: CheckOutcome;
    draining: boolean;
    waitingFor?: string;
  }>;
}

const json = (res: http.ServerResponse, status: number, body: object, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
};

const problem = (
  res: http.ServerResponse,
  type: ProblemType,
  status: number,
  title: string,
  detail: string,
) => {
  const body: ProblemBody = { type: problemTypeUri(type), title, status, detail };
  json(res, status, body, PROBLEM_CONTENT_TYPE);
};

/** The readiness body: ready only when every dependency is healthy, start-up is over and it is not draining. */
export function readinessOf(state: Awaited<ReturnType<Probe['ready']>>): Readiness {
  const { kafka, clickhouse, draining, waitingFor } = state;
  const reasons: Record<string, string> = {};
  if (kafka?.reason) reasons.kafka = kafka.reason;
  if (clickhouse.reason) reasons.clickhouse = clickhouse.reason;
  if (waitingFor) reasons.startup = waitingFor;
  if (draining) reasons.draining = 'shutting down';
  const ready =
    (kafka === undefined || kafka.status === 'healthy') &&
    clickhouse.status === 'healthy' &&
    !draining &&
    !waitingFor;
  return {
    status: ready ? 'ready' : 'not_ready',
    timestamp: new Date().toISOString(),
    checks: { ...(kafka ? { kafka: kafka.status } : {}), clickhouse: clickhouse.status },
    draining,
    ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
  };
}

/** /health (liveness), /ready (readiness), /metrics (Prometheus) for a worker process (the consumer, the enricher). */
export function startProbeServer(port: number, registry: Registry, probe: Probe): Promise<http.Server> {
  const started = Date.now();
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.setHeader('allow', 'GET');
        problem(
          res,
          'method-not-allowed',
          405,
          'Method not allowed',
          `${req.method} is not supported; use GET`,
        );
      } else if (path === '/health') {
        const { alive, reason } = probe.health();
        const body: Health = {
          status: alive ? 'healthy' : 'unhealthy',
          timestamp: new Date().toISOString(),
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
          ...(reason ? { reason } : {}),
        };
        json(res, alive ? 200 : 503, body);
      } else if (path === '/ready') {
        const body = readinessOf(await probe.ready());
        json(res, body.status === 'ready' ? 200 : 503, body);
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      } else {
        problem(res, 'not-found', 404, 'Not found', `${req.method} ${path} (try /health, /ready, /metrics)`);
      }
    })().catch((err: Error) => {
      if (res.headersSent) res.end();
      else problem(res, 'internal', 500, 'Internal error', err.message);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
