/**
 * The circuit breakers through startApi's wiring, against a private librdkafka mock cluster and a private
 * ClickHouse server (the shared ones are never touched): the dependency goes down, the breaker opens and answers
 * 503 at once; the dependency comes back, a probe call closes the breaker.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClickHouseClient, runMigrations } from '@pitchpulse/clickhouse';
import { Readiness, validatorFor } from '@pitchpulse/contract';
import { ClickHouseServer, MockKafkaCluster } from '@pitchpulse/devstack';
import { decodeEventMessage } from '@pitchpulse/events';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { createLogger, sampleSum } from '@pitchpulse/observability';
import type { BreakerSettings } from '@pitchpulse/breaker';
import { startApi, type RunningApi } from './start';
import { post, sampleEvent, storeThreePasses, testConfig, type JsonResponse } from './testing';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = () => ({ logger: createLogger('api', { level: 'silent' }) });
const breaker: BreakerSettings = { failureShare: 0.5, windowMs: 30_000, minRequests: 5, openMs: 4000 };

async function readiness(url: string): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${url}/ready`);
  const body = (await res.json()) as Readiness;
  expect(validatorFor(Readiness)(body)).toBe(true);
  return { status: res.status, body };
}

async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  return sampleSum(await (await fetch(`${url}/metrics`)).text(), name, labels);
}

/** Calls `attempt` until `done` says so (or the deadline passes); the last answer. */
async function until<T>(attempt: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await attempt();
  while (!done(value) && Date.now() < deadline) {
    await sleep(100);
    value = await attempt();
  }
  return value;
}

const refusedByBreaker = (res: { status: number; detail?: unknown }) =>
  res.status === 503 && /circuit breaker open/.test(String(res.detail));

describe('produce breaker (Kafka down)', () => {
  const topic = 'events';
  let cluster: MockKafkaCluster;
  let api: RunningApi;

  beforeAll(async () => {
    cluster = MockKafkaCluster.create(1);
    cluster.createTopic({ name: topic, partitions: 2 });
    const config = testConfig({
      rateLimit: null,
      readyTimeoutMs: 500,
      breaker,
      kafka: { brokers: cluster.bootstrapServers.split(','), eventsTopic: topic, produceTimeoutMs: 1000 },
    });
    api = await startApi(config, quiet());
    await api.kafkaConnected;
  });

  afterAll(async () => {
    await api.shutdown('test end');
    cluster.destroy();
  });

  it('opens while Kafka is down (503 at once, nothing written, not ready), and closes once Kafka is back', async () => {
    expect((await post(`${api.url}/api/events`, sampleEvent())).status).toBe(202);
    expect((await readiness(api.url)).body.breakers).toEqual({ kafka: 'closed', clickhouse: 'closed' });

    cluster.setBrokerDown(1);
    const refused: string[] = [];
    try {
      // Each of these waits for the produce timeout (or a refusal): enough failures to open the breaker.
      const failing = await Promise.all(
        Array.from({ length: breaker.minRequests + 1 }, () => post(`${api.url}/api/events`, sampleEvent())),
      );
      for (const res of failing) expect(res.status).toBe(503);
      expect(await metric(api.url, 'circuit_breaker_state', { breaker: 'kafka-produce' })).toBe(2);

      let twentieth: { res: JsonResponse; ms: number } | undefined;
      for (let i = 1; i <= 20; i++) {
        const event = sampleEvent();
        const started = performance.now();
        const res = await post(`${api.url}/api/events`, event);
        const ms = performance.now() - started;
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:kafka-unavailable' });
        expect(res.body.detail).toMatch(/circuit breaker open\); nothing was written$/);
        const retryAfter = Number(res.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(breaker.openMs / 1000);
        refused.push(event.eventId as string);
        if (i === 20) twentieth = { res, ms };
      }
      expect(twentieth!.ms).toBeLessThan(50);
      expect(
        await metric(api.url, 'circuit_breaker_rejected_calls_total', { breaker: 'kafka-produce' }),
      ).toBe(20);

      const down = await readiness(api.url);
      expect(down).toMatchObject({
        status: 503,
        body: { status: 'not_ready', checks: { kafka: 'unhealthy' }, breakers: { kafka: 'open' } },
      });
      expect(down.body.reasons?.kafka).toMatch(/circuit breaker open: writes are refused at once/);
    } finally {
      cluster.setBrokerUp(1);
    }

    // After openMs one request is let through as the probe; once Kafka answers it, the breaker closes.
    const back = await until(
      () => post(`${api.url}/api/events`, sampleEvent()),
      (res) => res.status === 202,
    );
    expect(back.status).toBe(202);
    expect((await readiness(api.url)).body).toMatchObject({
      status: 'ready',
      breakers: { kafka: 'closed' },
    });
    for (let i = 0; i < 5; i++) expect((await post(`${api.url}/api/events`, sampleEvent())).status).toBe(202);
    expect(await metric(api.url, 'circuit_breaker_state', { breaker: 'kafka-produce' })).toBe(0);
    expect(
      await metric(api.url, 'circuit_breaker_transitions_total', { breaker: 'kafka-produce', to: 'closed' }),
    ).toBeGreaterThanOrEqual(1);

    // "nothing was written": no event the open breaker refused is in the topic.
    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'breaker-read' });
    const ids = new Set(
      (await readTopic(kafka, topic, { count: 10_000, timeoutMs: 6000 })).map(
        (m) => decodeEventMessage(m.value).eventId,
      ),
    );
    expect(ids.size).toBeGreaterThan(0);
    for (const id of refused) expect(ids.has(id)).toBe(false);
  });
});

describe('read breaker (ClickHouse down)', () => {
  let dir: string;
  let server: ClickHouseServer;
  let api: RunningApi;
  const matchId = `breaker-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-read-breaker-'));
    server = await ClickHouseServer.create({ dataDir: dir });
    await server.start();
    const database = `read_breaker_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const clickhouse = createClickHouseClient({ url: server.url, database, requestTimeoutMs: 5000 });
    try {
      await runMigrations(clickhouse);
      await storeThreePasses(clickhouse, matchId);
    } finally {
      await clickhouse.close();
    }
    const base = testConfig();
    api = await startApi(
      testConfig({
        rateLimit: null,
        readyTimeoutMs: 500,
        breaker,
        clickhouse: { ...base.clickhouse, url: server.url, database },
      }),
      quiet(),
    );
    await api.kafkaConnected;
  });

  afterAll(async () => {
    await api.shutdown('test end');
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const read = async (
    route: string,
  ): Promise<Record<string, unknown> & { status: number; headers: Headers }> => {
    const res = await fetch(`${api.url}${route}`);
    return { ...((await res.json()) as Record<string, unknown>), status: res.status, headers: res.headers };
  };

  it('opens while ClickHouse is down (reads 503 at once, still ready for ingest), and closes once it is back', async () => {
    const metrics = `/api/matches/${matchId}/metrics`;
    expect((await read(metrics)).status).toBe(200);

    await server.stop();
    // The read requests and the background polls of ClickHouse both fail: the breaker opens.
    const opened = await until(
      () => read(`/api/matches/${matchId}/timeline`),
      (res) => refusedByBreaker(res),
    );
    expect(refusedByBreaker(opened)).toBe(true);

    let twentiethMs = Infinity;
    for (let i = 1; i <= 20; i++) {
      const route = [metrics, `/api/matches/${matchId}/timeline`, '/api/matches'][i % 3]!;
      const started = performance.now();
      const res = await read(route);
      twentiethMs = performance.now() - started;
      expect(res).toMatchObject({ status: 503, type: 'urn:pitchpulse:problem:clickhouse-unavailable' });
      expect(res.detail).toMatch(/circuit breaker open/);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(breaker.openMs / 1000);
    }
    expect(twentiethMs).toBeLessThan(50);

    // Ingest needs only Kafka: the open read breaker is reported, the API stays ready.
    const down = await readiness(api.url);
    expect(down).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { clickhouse: 'unhealthy' }, breakers: { kafka: 'closed' } },
    });
    expect(['open', 'half_open']).toContain(down.body.breakers?.clickhouse);
    expect((await post(`${api.url}/api/events`, sampleEvent())).status).toBe(202);

    await server.start();
    const back = await until(
      () => read(metrics),
      (res) => res.status === 200,
    );
    expect(back).toMatchObject({ status: 200, matchId, totalEvents: 3 });
    expect((await readiness(api.url)).body.breakers).toEqual({ kafka: 'closed', clickhouse: 'closed' });
    expect(
      await metric(api.url, 'circuit_breaker_transitions_total', {
        breaker: 'clickhouse-read',
        to: 'closed',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});
