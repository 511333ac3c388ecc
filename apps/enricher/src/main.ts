#!/usr/bin/env node
import type { AddressInfo } from 'node:net';
import { createLogger } from '@pitchpulse/observability';
import { parseConfig } from './config';
import { startEnricher, type RunningEnricher } from './start';

const HELP = `Usage: node apps/enricher/dist/main.js   (pitchpulse-enricher)

The highlight enrichment worker. Every stored goal and red card (HIGHLIGHT_TYPES) is a PENDING highlight; this
worker gives each to a HighlightEnricher (the default: a deterministic title and summary from the feed's data,
e.g. "GOAL — Team 1 2–1, Smith (45')") and marks it READY. An enricher that throws or times out is retried with
backoff (the attempts and the error are stored), then the highlight is FAILED. A restart resumes the pending
ones. SIGTERM lets the current highlight finish and writes what the pass did.

Environment (defaults in brackets):
  CLICKHOUSE_URL (required), CLICKHOUSE_DATABASE [pitchpulse], CLICKHOUSE_USER [default], CLICKHOUSE_PASSWORD,
  HIGHLIGHT_TYPES [goal,red_card] (event types that become highlights, from the next insert on),
  HIGHLIGHT_ENRICHER [unset: the default] (a module exporting \`enricher\`: { name, enrich(input) → {title, summary} }),
  ENRICH_INTERVAL_MS [1000] (pause when a pass found less than a batch), ENRICH_BATCH [50],
  ENRICH_MAX_ATTEMPTS [5], ENRICH_BACKOFF_BASE_MS [1000] (doubles per attempt), ENRICH_BACKOFF_MAX_MS [60000],
  ENRICH_TIMEOUT_MS [10000] (per enrich call), METRICS_PORT [9092] (/health, /ready, /metrics),
  STALL_TIMEOUT_MS [120000] (liveness fails when a pass runs longer), LOG_LEVEL [info]`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const logger = createLogger('enricher');
  let config;
  try {
    config = parseConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const running: { app?: RunningEnricher } = {};
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: finishing the highlight in progress');
    if (!running.app) process.exit(0);
    running.app.stop().then(
      () => {
        logger.info('enricher stopped cleanly');
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const app = (running.app = await startEnricher(config, logger));
  const { port } = app.probeServer.address() as AddressInfo;
  logger.info(
    {
      enricher: app.enricher.name,
      types: config.highlightTypes,
      metrics: `http://127.0.0.1:${port}/metrics`,
    },
    'enricher started',
  );
}

main().catch((err: Error) => {
  console.error(`enricher failed to start: ${err.message}`);
  process.exit(1);
});
