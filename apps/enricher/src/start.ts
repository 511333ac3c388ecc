/**
 * Composes the enrichment worker: probes first (live, not ready while ClickHouse is down), then migrations and
 * the highlight types, then the loop of enrichment passes. Stopping lets the pass in progress finish the
 * highlight it is on and write what it did; a crash instead writes nothing of that pass, whose highlights stay
 * PENDING for the next one (../../packages/highlights/src/enrich.ts).
 */
import type http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createClickHouseClient,
  detectCapabilities,
  highlightBacklog,
  runMigrations,
  setHighlightTypes,
} from '@pitchpulse/clickhouse';
import { HIGHLIGHT_STATUSES } from '@pitchpulse/contract';
import { defaultEnricher, enrichDue, type HighlightEnricher, type PassResult } from '@pitchpulse/highlights';
import { createRegistry, startProbeServer, type Logger, type Registry } from '@pitchpulse/observability';
import type { EnricherConfig } from './config';
import { createEnricherMetrics, type EnricherMetrics } from './metrics';

export interface RunningEnricher {
  registry: Registry;
  probeServer: http.Server;
  enricher: HighlightEnricher;
  /** SIGTERM: no new pass; the one in progress stops after its current highlight and writes what it did. */
  stop(): Promise<void>;
}

/** The enricher a module exports as `enricher` (or as its default export). */
export async function loadEnricher(path: string | undefined): Promise<HighlightEnricher> {
  if (path === undefined) return defaultEnricher;
  const mod = (await import(path)) as { enricher?: unknown; default?: unknown };
  const candidate = (mod.enricher ?? mod.default) as Partial<HighlightEnricher> | undefined;
  if (typeof candidate?.enrich !== 'function') {
    throw new Error(`HIGHLIGHT_ENRICHER ${path} exports no \`enricher\` with an enrich(input) method`);
  }
  return { name: candidate.name ?? path, enrich: candidate.enrich.bind(candidate) };
}

function count(metrics: EnricherMetrics, pass: PassResult): void {
  for (const o of pass.outcomes) metrics.highlights.inc({ status: o.status });
}

async function observeBacklog(
  metrics: EnricherMetrics,
  read: () => ReturnType<typeof highlightBacklog>,
): Promise<void> {
  const { byStatus, oldestPendingMs } = await read();
  for (const status of HIGHLIGHT_STATUSES) metrics.backlog.set({ status }, byStatus.get(status) ?? 0);
  metrics.oldestPendingSeconds.set(
    oldestPendingMs === 0 ? 0 : Math.max(0, (Date.now() - oldestPendingMs) / 1000),
  );
}

export async function startEnricher(config: EnricherConfig, logger: Logger): Promise<RunningEnricher> {
  const registry = createRegistry({ service: 'enricher' });
  const metrics = createEnricherMetrics(registry);
  const client = createClickHouseClient(config.clickhouse);
  const enricher = await loadEnricher(config.enricherModule);
  const stopping = new AbortController();
  let waitingFor: string | undefined = 'starting';
  let passStartedAt: number | undefined;

  const probeServer = await startProbeServer(config.metricsPort, registry, {
    health: () =>
      passStartedAt !== undefined && Date.now() - passStartedAt > config.stallTimeoutMs
        ? { alive: false, reason: `an enrichment pass has run for more than ${config.stallTimeoutMs} ms` }
        : { alive: true },
    ready: async () => {
      const up = await client.ping().then(
        (r) => r.success,
        () => false,
      );
      return {
        clickhouse: up
          ? { status: 'healthy' }
          : { status: 'unhealthy', reason: 'ClickHouse does not answer' },
        draining: stopping.signal.aborted,
        ...(waitingFor ? { waitingFor } : {}),
      };
    },
  });

  // ClickHouse down at start: wait in-process (not ready) instead of exiting into a crash loop.
  let caps;
  for (let attempt = 1; !stopping.signal.aborted; attempt++) {
    try {
      caps = await detectCapabilities(client);
      await runMigrations(client);
      await setHighlightTypes(client, caps, config.highlightTypes);
      break;
    } catch (err) {
      waitingFor = `ClickHouse: ${(err as Error).message}`;
      logger.warn({ err, attempt }, 'waiting for ClickHouse');
      await delay(Math.min(5000, 250 * 2 ** attempt), undefined, { signal: stopping.signal }).catch(() => {});
    }
  }
  waitingFor = undefined;

  const deps = {
    client,
    caps: caps!,
    enricher,
    policy: config.policy,
    onAttempt: (h: { highlightId: string; matchId: string }, seconds: number, err?: unknown) => {
      metrics.enrichSeconds.observe(seconds);
      if (err === undefined) return;
      metrics.enricherErrors.inc();
      logger.warn({ err, highlightId: h.highlightId, matchId: h.matchId }, 'the enricher failed');
    },
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let busy = false;
      passStartedAt = Date.now();
      try {
        const pass = await enrichDue(deps, stopping.signal);
        count(metrics, pass);
        busy = pass.outcomes.length >= config.policy.batch;
        await observeBacklog(metrics, () => highlightBacklog(client, caps!));
      } catch (err) {
        metrics.passErrors.inc();
        logger.warn({ err }, 'enrichment pass failed; the next pass retries');
      } finally {
        passStartedAt = undefined;
      }
      if (!busy) await delay(config.intervalMs, undefined, { signal: stopping.signal }).catch(() => {});
    }
  })();

  return {
    registry,
    probeServer,
    enricher,
    async stop() {
      stopping.abort();
      await loop;
      await new Promise<void>((resolve) => probeServer.close(() => resolve()));
      await client.close();
    },
  };
}
