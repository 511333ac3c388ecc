import type http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { StoredEvent } from '@pitchpulse/contract';
import {
  ClickHouseStore,
  clientUnder,
  classifyClickHouseError,
  createClickHouseClient,
  insertEvents,
  insertRetractions,
  runMigrations,
} from '@pitchpulse/clickhouse';
import { createKafka } from '@pitchpulse/kafka';
import { createRegistry, startProbeServer, type Logger, type Registry } from '@pitchpulse/observability';
import { backoffDelay } from './backoff';
import { BatchConsumer, type BatchConsumerOptions, type EventStore } from './batch-consumer';
import type { ConsumerConfig } from './config';
import { FailureRouter } from './failure-router';
import { feedRules } from './feed-rules';
import { watchLag } from './lag';
import { startMaintenance } from './maintenance';
import { createConsumerMetrics, type ConsumerMetrics } from './metrics';

export interface RunningConsumer {
  registry: Registry;
  probeServer: http.Server;
  /** SIGTERM: stop fetching and the maintenance loop, flush, commit, disconnect. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Aborting gives up waiting for ClickHouse/Kafka at start-up: the start rejects with `StartAborted`. */
  signal?: AbortSignal;
}

export class StartAborted extends Error {}

/** Extra time a Kafka request may take beyond the group's own waits (network, a slow broker). */
const REQUEST_MARGIN_MS = 5000;

function clickHouseEventStore(client: ClickHouseClient): EventStore {
  const store = new ClickHouseStore(client);
  return {
    insert: async (records, parent) => {
      const batchClient = clientUnder(client, parent);
      const insertedAt = new Date();
      const events = records.flatMap((r) => (r.kind === 'event' ? [r.event] : []));
      const retractions = records.flatMap((r) => (r.kind === 'retraction' ? [r.retraction] : []));
      // Retractions first: a retraction that cannot be stored fails the insert before any event is written (the
      // batch is then bisected), and one stored twice by a retried insert changes nothing.
      await insertRetractions(batchClient, retractions, insertedAt);
      await insertEvents(batchClient, events, insertedAt);
    },
    foundEvents: (retractions, parent) => store.under(parent).foundRetractions(retractions),
    classify: classifyClickHouseError,
    isAvailable: async () => (await client.ping()).success,
  };
}

/**
 * Repeats `attempt` with back-off until it succeeds: a consumer started during a ClickHouse or Kafka outage
 * waits for it in-process (reporting not-ready) instead of exiting into an orchestrator's crash-loop back-off.
 */
async function untilItWorks<T>(
  what: string,
  attempt: () => Promise<T>,
  waiting: { maxMs: number; logger: Logger; signal?: AbortSignal; onFailure: (reason: string) => void },
): Promise<T> {
  for (let n = 1; ; n++) {
    if (waiting.signal?.aborted) throw new StartAborted(`stopped while waiting for ${what}`);
    try {
      return await attempt();
    } catch (err) {
      const reason = `${what}: ${(err as Error).message}`;
      waiting.onFailure(reason);
      const retryInMs = Math.max(250, backoffDelay(n, { baseMs: 500, maxMs: waiting.maxMs }));
      waiting.logger.warn({ attempt: n, retryInMs }, `waiting for ${reason}`);
      await delay(retryInMs, undefined, { signal: waiting.signal }).catch(() => undefined);
    }
  }
}

type GroupMember = Pick<BatchConsumerOptions, 'role' | 'topic' | 'groupId' | 'inspect'>;

interface Running {
  consumers: BatchConsumer[];
  producer: Producer;
  admin: Admin;
  stopLag: () => void;
}

/**
 * Composes the consumer: probes first (so an orchestrator sees a live, not-ready process while dependencies are
 * down), then migrations, the main and retry consumers, the failure router, lag and metrics, and the maintenance
 * loop (sealer, retention) once the schema is there.
 */
export async function startConsumer(
  config: ConsumerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningConsumer> {
  const registry = createRegistry({ service: 'consumer' });
  const metrics = createConsumerMetrics(registry);
  const clickhouse = createClickHouseClient(config.clickhouse);
  const eventStore = clickHouseEventStore(clickhouse);
  let running: Running | undefined;
  let waitingFor = 'starting';
  let draining = false;

  const probeServer = await startProbeServer(config.metricsPort, registry, {
    health: () => running?.consumers.map((c) => c.health()).find((h) => !h.alive) ?? { alive: true },
    ready: async () => {
      const clickhouseUp = await eventStore.isAvailable().catch(() => false);
      const joined = running?.consumers.every((c) => c.ready) ?? false;
      return {
        kafka: joined ? { status: 'healthy' } : { status: 'unhealthy', reason: 'not in the consumer group' },
        clickhouse: clickhouseUp
          ? { status: 'healthy' }
          : { status: 'unhealthy', reason: 'ClickHouse does not answer its ping' },
        draining,
        ...(running ? {} : { waitingFor }),
      };
    },
  });
  const waiting = {
    maxMs: config.startupRetryMaxMs,
    logger,
    signal: options.signal,
    onFailure: (reason: string) => (waitingFor = reason),
  };

  try {
    await untilItWorks(
      'ClickHouse migrations',
      () => runMigrations(clickhouse, { database: config.clickhouse.database }),
      waiting,
    );
    const inspect = feedRules(config.matchRules, registry, logger);
    running = await untilItWorks(
      'Kafka',
      () => startPipeline(config, eventStore, metrics, logger, inspect),
      waiting,
    );
  } catch (err) {
    await new Promise<void>((resolve) => probeServer.close(() => resolve()));
    await clickhouse.close();
    throw err;
  }
  const started = running;
  const maintenance = startMaintenance(new ClickHouseStore(clickhouse), config.maintenance, metrics, logger);

  return {
    registry,
    probeServer,
    async stop() {
      // The probes keep answering while it drains (/ready: not_ready, draining), and close once it has.
      draining = true;
      started.stopLag();
      // The maintenance loop finishes its run in progress (a sealer pass stops between two seals) while the
      // consumers drain: both need the ClickHouse client, closed last.
      await Promise.all([maintenance.stop(), ...started.consumers.map((c) => c.stop())]);
      await Promise.allSettled([started.producer.disconnect(), started.admin.disconnect()]);
      const closed = new Promise<void>((resolve) => probeServer.close(() => resolve()));
      probeServer.closeIdleConnections();
      await closed;
      await clickhouse.close();
    },
  };
}

/**
 * The Kafka side. Group members get their own client whose request timeout outlasts the group's waits: a
 * follower's SyncGroup waits for the leader, and cutting it short makes kafkajs rejoin under a new member id,
 * which (with members being killed) can keep a group from ever settling.
 */
async function startPipeline(
  config: ConsumerConfig,
  eventStore: EventStore,
  metrics: ConsumerMetrics,
  logger: Logger,
  inspect?: (event: StoredEvent) => StoredEvent,
): Promise<Running> {
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'pitchpulse-consumer', logger });
  const groupKafka = createKafka({
    brokers: config.kafkaBrokers,
    clientId: 'pitchpulse-consumer',
    logger,
    requestTimeout:
      Math.max(config.group.sessionTimeoutMs, config.group.rebalanceTimeoutMs) + REQUEST_MARGIN_MS,
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin = kafka.admin();
  const consumers: BatchConsumer[] = [];
  try {
    await producer.connect();
    await admin.connect();
    const router = new FailureRouter(producer, config.topics, config.retry, metrics);
    const members: GroupMember[] = [{ role: 'main', topic: config.topics.events, groupId: config.groupId }];
    if (config.retry.enabled) {
      members.push({ role: 'retry', topic: config.topics.retry, groupId: config.retryGroupId });
    }
    for (const member of members) {
      consumers.push(
        newBatchConsumer(groupKafka, { ...member, inspect }, config, eventStore, router, metrics, logger),
      );
    }
    await Promise.all(consumers.map((c) => c.start()));
    const stopLag = watchLag(admin, members, metrics, logger);
    return { consumers, producer, admin, stopLag };
  } catch (err) {
    await Promise.allSettled([...consumers.map((c) => c.stop()), producer.disconnect(), admin.disconnect()]);
    throw err;
  }
}

function newBatchConsumer(
  kafka: Kafka,
  member: GroupMember,
  config: ConsumerConfig,
  eventStore: EventStore,
  router: FailureRouter,
  metrics: ConsumerMetrics,
  logger: Logger,
): BatchConsumer {
  return new BatchConsumer(
    kafka,
    {
      ...member,
      flush: config.flush,
      store: config.store,
      stallTimeoutMs: config.stallTimeoutMs,
      group: config.group,
    },
    eventStore,
    router,
    metrics,
    logger.child({ consumer: member.role }),
  );
}
