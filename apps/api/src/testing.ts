/** Helpers for this app's tests (not part of the public surface). */
import { randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Kafka } from 'kafkajs';
import { insertEvents } from '@pitchpulse/clickhouse';
import { StackControl } from '@pitchpulse/devstack';
import { expressServerOptions } from '@pitchpulse/http';
import { GroupCommitProducer, createKafka } from '@pitchpulse/kafka';
import { createLogger, createRegistry, type Registry } from '@pitchpulse/observability';
import { createApp, readServiceOf } from './app';
import { parseConfig, type ApiConfig } from './config';
import type { DependencyChecks } from './context';
import { requestListener } from './http/early-shed';
import type { ReadOptions } from './read/service';

/** A config for tests: the jest stack's Kafka/ClickHouse, quiet logs, then `patch`. */
export type ConfigPatch = Omit<Partial<ApiConfig>, 'kafka'> & { kafka?: Partial<ApiConfig['kafka']> };

export function testConfig(patch: ConfigPatch = {}): ApiConfig {
  const base = parseConfig({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_SAMPLE_RATE: '0',
  });
  return { ...base, ...patch, kafka: { ...base.kafka, ...patch.kafka } };
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Express): Promise<Listening> {
  // Served as startApi serves it.
  const server: Server = http
    .createServer(expressServerOptions(app), requestListener(app))
    .listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** The contract's example event with a fresh eventId. */
export function sampleEvent(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventId: randomUUID(),
    matchId: 'match-123',
    eventType: 'goal',
    timestamp: '2024-01-15T14:30:00.250Z',
    teamId: 1,
    playerId: 'player-456',
    metadata: { minute: 45, scorer: 'Player Name' },
    ...patch,
  };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (e.g. HTML); tests look at `text`
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** /ready's checks for a test app: Kafka as the producer sees it, ClickHouse pinged at the test stack's URL. */
export function testChecks(producer?: { connected: boolean }): DependencyChecks {
  return {
    kafka: async () => {
      if (producer && !producer.connected) throw new Error('producer not connected');
    },
    clickhouse: async () => {
      const res = await fetch(`${process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123'}/ping`);
      if (!res.ok) throw new Error(`ClickHouse answered ${res.status}`);
    },
  };
}

/** The API over real HTTP with a real producer (kafkaApi). */
export interface KafkaApi {
  kafka: Kafka;
  registry: Registry;
  url: string;
  close(): Promise<void>;
}

/**
 * The API over real HTTP with a real producer on the jest stack's Kafka, writing to `config.kafka.eventsTopic`
 * (created here with `partitions`). `close` stops the server, then the producer.
 */
export async function kafkaApi(config: ApiConfig, clientId: string, partitions = 3): Promise<KafkaApi> {
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId });
  const registry = createRegistry({ service: 'api' });
  const producer = new GroupCommitProducer({ kafka, registry, sendTimeoutMs: 5000 });
  await StackControl.fromEnv().createTopic(config.kafka.eventsTopic, partitions);
  await producer.connect();
  const app = createApp({
    config,
    logger: createLogger('api', { level: 'silent' }),
    registry,
    producer,
    checks: testChecks(producer),
  });
  const listening = await listen(app);
  return {
    kafka,
    registry,
    url: listening.url,
    close: async () => {
      await listening.close();
      await producer.disconnect();
    },
  };
}

/** An app for the read routes' tests: reads from `read.store`, a producer that drops writes, quiet logs. */
export function readApp(read: ReadOptions, registry: Registry = createRegistry()) {
  const app = createApp({
    config: testConfig({ rateLimit: null }),
    logger: createLogger('api', { level: 'silent' }),
    registry,
    producer: { send: async () => undefined },
    checks: testChecks(),
    read,
  });
  return { app, read: readServiceOf(app)! };
}

/** Stores three passes of `matchId` (2024-06-01, a second apart) straight into ClickHouse: a match to read. */
export async function storeThreePasses(
  clickhouse: Parameters<typeof insertEvents>[0],
  matchId: string,
): Promise<void> {
  const at = Date.parse('2024-06-01T18:00:00Z');
  await insertEvents(
    clickhouse,
    [1, 2, 3].map((i) => ({
      eventId: randomUUID(),
      matchId,
      eventType: 'pass' as const,
      timestamp: new Date(at + i * 1000).toISOString(),
      teamId: 1 as const,
      receivedAt: at + i * 1000,
    })),
  );
}
