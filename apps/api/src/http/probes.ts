import express, { type Router } from 'express';
import type { CheckStatus, Health, Readiness } from '@pitchpulse/contract';
import type { CircuitBreaker } from '@pitchpulse/breaker';
import type { AppContext, DependencyChecks } from '../context';

type CheckOutcome = { status: CheckStatus; reason?: string };

async function run(check: () => Promise<unknown>, timeoutMs: number): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (outcome === false) throw new Error('check failed');
    return { status: 'healthy' };
  } catch (err) {
    return { status: 'unhealthy', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** A dependency check as the breaker sees it too: an open breaker makes it unhealthy, with when it probes next. */
function withBreaker(outcome: CheckOutcome, breaker: CircuitBreaker, calls: string): CheckOutcome {
  if (breaker.state !== 'open') return outcome;
  const seconds = Math.ceil(breaker.retryAfterMs() / 1000);
  const open = `circuit breaker open: ${calls} are refused at once; next probe call in ${seconds} s`;
  return { status: 'unhealthy', reason: outcome.reason ? `${outcome.reason}; ${open}` : open };
}

/**
 * GET /health (liveness, no dependency calls), GET /ready, GET /metrics. The API is ready while it can accept
 * writes: Kafka healthy, its produce breaker not open, and not draining. Half-open counts as ready: the probe call
 * that closes the breaker has to come from traffic. ClickHouse (and its read breaker) is reported, but an outage
 * of it leaves ingest — which needs only Kafka — in the Service (the read routes answer 503 meanwhile).
 */
export function createProbeRouter(ctx: AppContext, checks: DependencyChecks): Router {
  const router = express.Router();
  const started = Date.now();

  router.get('/health', (_req, res) => {
    const body: Health = {
      status: 'healthy',
      timestamp: new Date().toISOString(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    };
    res.json(body);
  });

  router.get('/ready', async (_req, res) => {
    const { breakers } = ctx;
    const [kafka, clickhouse] = await Promise.all([
      run(checks.kafka, ctx.config.readyTimeoutMs).then((o) => withBreaker(o, breakers.produce, 'writes')),
      run(checks.clickhouse, ctx.config.readyTimeoutMs).then((o) => withBreaker(o, breakers.read, 'reads')),
    ]);
    const draining = ctx.lifecycle.draining;
    const reasons: Record<string, string> = {};
    if (kafka.reason) reasons.kafka = kafka.reason;
    if (clickhouse.reason) reasons.clickhouse = clickhouse.reason;
    if (draining) reasons.draining = 'shutting down';
    const ready = kafka.status === 'healthy' && !draining;
    const body: Readiness = {
      status: ready ? 'ready' : 'not_ready',
      timestamp: new Date().toISOString(),
      checks: { kafka: kafka.status, clickhouse: clickhouse.status },
      draining,
      breakers: { kafka: breakers.produce.state, clickhouse: breakers.read.state },
      ...(Object.keys(reasons).length > 0 ? { reasons } : {}),
    };
    res.status(ready ? 200 : 503).json(body);
  });

  router.get('/metrics', async (_req, res) => {
    res.type(ctx.registry.contentType).send(await ctx.registry.metrics());
  });

  return router;
}
