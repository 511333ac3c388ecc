import type http from 'node:http';
import { Partitioners } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  classifyClickHouseError,
  createClickHouseClient,
  insertEvents,
  runMigrations,
} from '@pitchpulse/clickhouse';
import { createKafka } from '@pitchpulse/kafka';
import { createRegistry, type Logger, type Registry } from '@pitchpulse/observability';
import { BatchConsumer, type EventSink } from './batch-consumer';
import type { ConsumerConfig } from './config';
import { FailureRouter } from './failure-router';
import { watchLag } from './lag';
import { createConsumerMetrics } from './metrics';
import { startProbeServer } from './server';

export interface ConsumerApp {
  registry: Registry;
  probeServer: http.Server;
  /** SIGTERM: stop fetching, flush, commit, disconnect. */
  stop(): Promise<void>;
}

function clickHouseSink(client: ClickHouseClient): EventSink {
  return {
    insert: async (events) => {
      await insertEvents(client, events, new Date());
    },
    classify: classifyClickHouseError,
    isAvailable: async () => (await client.ping()).success,
  };
}

/** Composes the consumer: migrations, the main and retry consumers, the failure router, probes and metrics. */
export async function startConsumerApp(config: ConsumerConfig, logger: Logger): Promise<ConsumerApp> {
  const registry = createRegistry({ service: 'consumer' });
  const metrics = createConsumerMetrics(registry);
  const clickhouse = createClickHouseClient(config.clickhouse);
  await runMigrations(clickhouse, { database: config.clickhouse.database });

  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'pitchpulse-consumer', logger });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const router = new FailureRouter(producer, config.topics, config.retry, metrics);
  const sink = clickHouseSink(clickhouse);
  const common = { flush: config.flush, store: config.store, stallTimeoutMs: config.stallTimeoutMs };

  const consumers = [
    new BatchConsumer(
      kafka,
      { ...common, role: 'main', topic: config.topics.events, groupId: config.groupId },
      sink,
      router,
      metrics,
      logger.child({ consumer: 'main' }),
    ),
  ];
  if (config.retry.enabled) {
    consumers.push(
      new BatchConsumer(
        kafka,
        { ...common, role: 'retry', topic: config.topics.retry, groupId: config.retryGroupId },
        sink,
        router,
        metrics,
        logger.child({ consumer: 'retry' }),
      ),
    );
  }
  await Promise.all(consumers.map((c) => c.start()));

  const admin = kafka.admin();
  await admin.connect();
  const stopLag = watchLag(
    admin,
    [
      { groupId: config.groupId, topic: config.topics.events },
      ...(config.retry.enabled ? [{ groupId: config.retryGroupId, topic: config.topics.retry }] : []),
    ],
    metrics,
    logger,
  );

  const probeServer = await startProbeServer(config.metricsPort, registry, {
    health: () => consumers.map((c) => c.health()).find((h) => !h.alive) ?? { alive: true },
    ready: async () => {
      const clickhouseUp = await sink.isAvailable().catch(() => false);
      const joined = consumers.every((c) => c.ready);
      return {
        ready: clickhouseUp && joined,
        checks: { clickhouse: clickhouseUp ? 'ok' : 'unreachable', kafka: joined ? 'ok' : 'not in group' },
      };
    },
  });

  return {
    registry,
    probeServer,
    async stop() {
      stopLag();
      await new Promise<void>((resolve) => probeServer.close(() => resolve()));
      await Promise.all(consumers.map((c) => c.stop()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect(), clickhouse.close()]);
    },
  };
}
