import http from 'node:http';
import type { Registry } from 'prom-client';

export interface Probe {
  health(): { alive: boolean; reason?: string };
  ready(): Promise<{ ready: boolean; checks: Record<string, string> }>;
}

/** /health (liveness), /ready (readiness), /metrics (Prometheus) for the consumer process. */
export function startProbeServer(port: number, registry: Registry, probe: Probe): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/health') {
        const health = probe.health();
        res.writeHead(health.alive ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: health.alive ? 'ok' : 'stalled', ...health }));
      } else if (path === '/ready') {
        const { ready, checks } = await probe.ready();
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ready ? 'ready' : 'not ready', checks }));
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      }
    })().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: err.message }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
