import express, { type Router } from 'express';
import type { AppContext, ReadinessCheck } from '../context';

interface CheckResult {
  name: string;
  ok: boolean;
  durationMs: number;
  error?: string;
}

async function run(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (outcome === false) throw new Error('check failed');
    return { name: check.name, ok: true, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      name: check.name,
      ok: false,
      durationMs: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /health (liveness, no dependency calls), GET /ready (every check, listed), GET /metrics. */
export function createProbeRouter(ctx: AppContext, checks: ReadinessCheck[]): Router {
  const router = express.Router();
  const started = Date.now();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
  });

  router.get('/ready', async (_req, res) => {
    const results: CheckResult[] = [
      {
        name: 'accepting',
        ok: !ctx.lifecycle.draining,
        durationMs: 0,
        ...(ctx.lifecycle.draining ? { error: 'shutting down' } : {}),
      },
      ...(await Promise.all(checks.map((c) => run(c, ctx.config.readyTimeoutMs)))),
    ];
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: results });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(ctx.registry.contentType).send(await ctx.registry.metrics());
  });

  return router;
}
