#!/usr/bin/env node
/**
 * `npm start`: runs the whole pipeline locally. Starts the embedded stack (unless KAFKA_BROKERS and
 * CLICKHOUSE_URL point elsewhere), then the api, the consumer and the highlight enricher, waits until all are
 * ready and prints where everything is. Ctrl-C drains the apps and stops the stack it started; ClickHouse data
 * stays in .local/.
 */
import path from 'node:path';
import {
  isProcessAlive,
  readState,
  repoRoot,
  startStack,
  stopStack,
  type StackState,
} from '@pitchpulse/devstack';
import { startApp, stopApp, waitUntilReady, type AppProcess } from './processes';

const HELP = `Usage: npm start   (or: node apps/runner/dist/main.js)

Starts the embedded stack (ClickHouse 18.16 + librdkafka mock Kafka), the ingest/read API, the consumer and the
highlight enricher.
Environment:
  PORT            API port (default 8080)
  METRICS_PORT    consumer /health, /ready, /metrics port (default 9091)
  ENRICHER_METRICS_PORT   enricher /health, /ready, /metrics port (default 9092)
  KAFKA_BROKERS, CLICKHOUSE_URL   use these servers; no embedded stack is started
  LOG_LEVEL       info (default), debug, warn, ...`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const root = repoRoot(__dirname);
  const external = Boolean(process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL);
  const previous = external ? undefined : readState();
  const alreadyRunning = previous !== undefined && isProcessAlive(previous.pid);
  let stack: StackState | undefined;
  if (!external) {
    console.log('starting the embedded stack (ClickHouse 18.16 + librdkafka mock Kafka)…');
    stack = await startStack();
  }
  const port = process.env.PORT ?? '8080';
  const metricsPort = process.env.METRICS_PORT ?? '9091';
  const enricherPort = process.env.ENRICHER_METRICS_PORT ?? '9092';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? stack!.kafkaBrokers,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? stack!.clickhouseUrl,
    PORT: port,
    METRICS_PORT: metricsPort,
  };

  const apps: AppProcess[] = [
    startApp('api', path.join(root, 'apps/api/dist/main.js'), env),
    startApp('consumer', path.join(root, 'apps/consumer/dist/main.js'), env),
    startApp('enricher', path.join(root, 'apps/enricher/dist/main.js'), {
      ...env,
      METRICS_PORT: enricherPort,
    }),
  ];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping: draining the api, the consumer and the enricher…');
    await Promise.all(apps.map((a) => stopApp(a)));
    if (stack && !alreadyRunning) await stopStack();
    console.log(stack && alreadyRunning ? 'apps stopped; the stack you started keeps running' : 'stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const app of apps) {
    void app.exited.then((code) => {
      if (!stopping) {
        console.error(`${app.name} exited unexpectedly (code ${code}); stopping everything`);
        void stopAll(1);
      }
    });
  }

  try {
    await Promise.all([
      waitUntilReady(`http://127.0.0.1:${port}/ready`, apps[0]!.exited),
      waitUntilReady(`http://127.0.0.1:${metricsPort}/ready`, apps[1]!.exited),
      waitUntilReady(`http://127.0.0.1:${enricherPort}/ready`, apps[2]!.exited),
    ]);
  } catch (err) {
    console.error((err as Error).message);
    await stopAll(1);
    return;
  }
  const api = `http://127.0.0.1:${port}`;
  console.log(`
PitchPulse is running.
  API            ${api}/api/events   (POST)   ${api}/api/matches
  Dashboard      ${api}/
  API docs       ${api}/docs
  API metrics    ${api}/metrics
  Consumer       http://127.0.0.1:${metricsPort}/metrics
  Enricher       http://127.0.0.1:${enricherPort}/metrics   highlights: ${api}/api/highlights
  Kafka          ${env.KAFKA_BROKERS}
  ClickHouse     ${env.CLICKHOUSE_URL}${stack ? `   (clickhouse-client --port ${stack.clickhouseTcpPort})` : ''}
Load it:  pnpm simulate --matches 20 --duration 60 --verify
Ctrl-C stops everything.`);
}

main().catch((err: Error) => {
  console.error(`start failed: ${err.message}`);
  process.exit(1);
});
