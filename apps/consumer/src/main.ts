#!/usr/bin/env node
import type { AddressInfo } from 'node:net';
import { createLogger } from '@pitchpulse/observability';
import { startConsumerApp } from './app';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const logger = createLogger('consumer');
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const app = await startConsumerApp(config, logger);
  const { port } = app.probeServer.address() as AddressInfo;
  logger.info(
    { topics: config.topics, flush: config.flush, metrics: `http://127.0.0.1:${port}/metrics` },
    'consumer started',
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: flushing buffered events and committing');
    app.stop().then(
      () => {
        logger.info('consumer stopped cleanly');
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
}

main().catch((err: Error) => {
  console.error(`consumer failed to start: ${err.message}`);
  process.exit(1);
});
