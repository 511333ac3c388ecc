import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { ClickHouseStore, createClickHouseClient } from '@pitchpulse/clickhouse';
import { expressServerOptions } from '@pitchpulse/http';
import { GroupCommitProducer, KafkaProbe, createKafka } from '@pitchpulse/kafka';
import { createLogger, createRegistry, type Logger, type Registry } from '@pitchpulse/observability';
import { createApp, readServiceOf } from './app';
import { createApiBreakers } from './breakers';
import type { ApiConfig } from './config';
import { requestListener } from './http/early-shed';
import { Lifecycle } from './http/lifecycle';

export interface StartApiOptions {
  logger?: Logger;
  registry?: Registry;
}

export interface RunningApi {
  server: Server;
  /** http://host:port the API listens on. */
  url: string;
  producer: GroupCommitProducer;
  lifecycle: Lifecycle;
  /** Resolves once the Kafka producer has connected (the API starts serving before that; /ready tells). */
  kafkaConnected: Promise<void>;
  /**
   * The graceful drain: /ready turns 503, (after `shutdown.delayMs`) the listener closes, in-flight requests
   * finish (up to `shutdown.timeoutMs`), the producer flushes and disconnects. Idempotent.
   */
  shutdown(reason?: string): Promise<void>;
}

/** Longest a read query may take before the request answers 503. */
const READ_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Wires the real dependencies (Kafka producer, ClickHouse ping, metrics, logs) and starts listening. */
export async function startApi(config: ApiConfig, options: StartApiOptions = {}): Promise<RunningApi> {
  const logger = options.logger ?? createLogger('api');
  const registry = options.registry ?? createRegistry({ service: 'api' });
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger });
  const producer = new GroupCommitProducer({
    kafka,
    lingerMs: config.kafka.lingerMs,
    maxBatchMessages: config.kafka.maxBatchMessages,
    maxQueuedMessages: config.kafka.maxQueuedMessages,
    sendTimeoutMs: config.kafka.produceTimeoutMs,
    compression: config.kafka.compression,
    registry,
    logger,
  });
  const probe = new KafkaProbe(kafka, { timeoutMs: config.readyTimeoutMs });
  // The shared factory keeps idle sockets below ClickHouse's keep-alive timeout (3 s on 18.x).
  const clickhouse = createClickHouseClient({
    url: config.clickhouse.url,
    database: config.clickhouse.database,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    requestTimeoutMs: config.readyTimeoutMs,
  });
  // The read API's own client: its queries may take longer than a readiness ping may.
  const readClickhouse = createClickHouseClient({
    url: config.clickhouse.url,
    database: config.clickhouse.database,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    ...(config.clickhouse.cluster ? { cluster: config.clickhouse.cluster } : {}),
    requestTimeoutMs: READ_TIMEOUT_MS,
  });
  const lifecycle = Lifecycle.forConfig(config);
  const breakers = createApiBreakers(config.breaker, logger, registry);
  const app = createApp({
    config,
    logger,
    registry,
    producer,
    lifecycle,
    breakers,
    read: { store: new ClickHouseStore(readClickhouse) },
    checks: {
      kafka: async () => {
        if (!producer.connected) throw new Error('producer not connected');
        await probe.check();
      },
      clickhouse: async () => {
        const ping = await clickhouse.ping();
        if (!ping.success) throw ping.error;
      },
    },
  });

  let stopping = false;
  const kafkaConnected = (async () => {
    for (let attempt = 1, delay = 500; !stopping; attempt++, delay = Math.min(delay * 2, 5000)) {
      try {
        await producer.connect();
        logger.info({ brokers: config.kafka.brokers }, 'connected to Kafka');
        return;
      } catch (err) {
        if (stopping) break;
        logger.warn(
          { err, attempt, retryInMs: delay },
          'Kafka not reachable yet; ingest answers 503 until it is',
        );
        await sleep(delay);
      }
    }
  })();

  const server = http.createServer(
    {
      headersTimeout: config.timeouts.headersMs,
      requestTimeout: config.timeouts.requestMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would add up to 30 s).
      connectionsCheckingInterval: Math.min(1000, config.timeouts.headersMs),
      ...expressServerOptions(app),
    },
    requestListener(app),
  );
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('error', (err) => logger.error({ err }, 'http server error'));
  const address = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${address.port}`;

  let shutdown: Promise<void> | undefined;
  const drain = async (reason: string): Promise<void> => {
    const started = Date.now();
    logger.info({ reason, inFlight: lifecycle.inFlight }, 'shutting down: /ready now answers 503');
    lifecycle.startDraining();
    if (config.shutdown.delayMs > 0) await sleep(config.shutdown.delayMs);
    stopping = true;
    readServiceOf(app)?.close(); // ends the live streams: their clients reconnect elsewhere
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const idle = await lifecycle.waitForIdle(config.shutdown.timeoutMs);
    if (!idle) {
      logger.warn(
        { inFlight: lifecycle.inFlight },
        'shutdown timeout: closing connections with requests in flight',
      );
    }
    server.closeAllConnections();
    await closed;
    // Flushing waits at most the produce timeout; a broker that does not answer cannot hold the exit forever.
    const flushed = await Promise.race([
      producer.disconnect().then(
        () => true,
        (err: unknown) => {
          logger.warn({ err }, 'producer disconnect failed');
          return true;
        },
      ),
      sleep(config.kafka.produceTimeoutMs + 1000).then(() => false),
    ]);
    if (!flushed) logger.warn('Kafka producer did not disconnect in time; exiting anyway');
    await probe.close().catch(() => undefined);
    await clickhouse.close().catch(() => undefined);
    await readClickhouse.close().catch(() => undefined);
    breakers.produce.close();
    breakers.read.close();
    logger.info({ reason, tookMs: Date.now() - started, drained: idle }, 'shutdown complete');
  };

  return {
    server,
    url,
    producer,
    lifecycle,
    kafkaConnected,
    shutdown: (reason = 'shutdown') => (shutdown ??= drain(reason)),
  };
}
