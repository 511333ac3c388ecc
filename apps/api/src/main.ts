#!/usr/bin/env node
/**
 * The API process (ingest, read routes, SSE, probes, docs, dashboard): `node apps/api/dist/main.js`, configured by
 * environment variables alone (see config.ts and docs/api.md). SIGTERM/SIGINT drain it and exit 0.
 */
import { createLogger } from '@pitchpulse/observability';
import { startTracing, type Tracing } from '@pitchpulse/tracing';
import { parseConfig } from './config';
import { startApi } from './start';

async function main(): Promise<void> {
  const logger = createLogger('api');
  let config;
  let tracing: Tracing;
  try {
    config = parseConfig();
    tracing = startTracing('api', { log: logger });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  const api = await startApi(config, { logger });
  logger.info(
    {
      url: api.url,
      docs: `${api.url}/docs`,
      metrics: `${api.url}/metrics`,
      openapi: `${api.url}/openapi.json`,
    },
    `PitchPulse API listening on ${api.url} — docs ${api.url}/docs, metrics ${api.url}/metrics`,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      api
        .shutdown(signal)
        .then(() => tracing.shutdown())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
    });
  }
}

main().catch((err: unknown) => {
  console.error(`api failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
