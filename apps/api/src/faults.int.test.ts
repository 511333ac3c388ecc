import { MockKafkaCluster } from '@pitchpulse/devstack';
import { decodeEventMessage } from '@pitchpulse/events';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { createLogger } from '@pitchpulse/observability';
import { startApi, type RunningApi } from './start';
import { post, sampleEvent, testConfig } from './testing';

/** Kafka faults on a private mock cluster: the shared broker is never touched. */
describe('ingest while Kafka is down or slow (startApi wiring, private mock cluster)', () => {
  const topic = 'events';
  const timeoutMs = 1000;
  let cluster: MockKafkaCluster;
  let api: RunningApi;

  beforeAll(async () => {
    cluster = MockKafkaCluster.create(1);
    cluster.createTopic({ name: topic, partitions: 2 });
    const config = testConfig({
      rateLimit: null,
      readyTimeoutMs: 500,
      kafka: {
        brokers: cluster.bootstrapServers.split(','),
        eventsTopic: topic,
        produceTimeoutMs: timeoutMs,
      },
    });
    api = await startApi(config, { logger: createLogger('api', { level: 'silent' }) });
    await api.kafkaConnected;
  });

  afterAll(async () => {
    await api.shutdown('test end');
    cluster.destroy();
  });

  const accepted = new Set<string>();
  const refused = new Set<string>();

  it('is ready while Kafka and ClickHouse answer', async () => {
    const res = await fetch(`${api.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      checks: { kafka: 'healthy', clickhouse: 'healthy' },
      draining: false,
    });
    const event = sampleEvent();
    expect((await post(`${api.url}/api/events`, event)).status).toBe(202);
    accepted.add(event.eventId as string);
  });

  it('broker down: 503 + Retry-After within the produce timeout, for single and batch writes; /ready says why', async () => {
    cluster.setBrokerDown(1);
    try {
      const started = Date.now();
      const singles = Array.from({ length: 5 }, () => sampleEvent());
      const batch = Array.from({ length: 20 }, () => sampleEvent({ matchId: 'm-batch' }));
      const responses = await Promise.all([
        ...singles.map((e) => post(`${api.url}/api/events`, e)),
        post(`${api.url}/api/events/batch`, { events: batch }),
      ]);
      expect(Date.now() - started).toBeLessThan(timeoutMs + 700);
      for (const res of responses) {
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:kafka-unavailable' });
        expect(res.body.detail).toMatch(
          /send them again \(the same eventIds are counted once\)$|nothing was written$/,
        );
      }
      for (const e of [...singles, ...batch]) refused.add(e.eventId as string);

      const ready = await fetch(`${api.url}/ready`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { reasons?: Record<string, string> };
      expect(body).toMatchObject({
        status: 'not_ready',
        checks: { kafka: 'unhealthy', clickhouse: 'healthy' },
      });
      expect(body.reasons?.kafka).toEqual(expect.any(String));
      // liveness does not depend on Kafka
      expect((await fetch(`${api.url}/health`)).status).toBe(200);
    } finally {
      cluster.setBrokerUp(1);
    }
  });

  it('slow broker: 503 at the timeout, and the late acknowledgement never turns into a 202', async () => {
    // Let the client notice the broker is back before slowing it down.
    for (let i = 0; i < 50; i++) {
      const probe = sampleEvent();
      const res = await post(`${api.url}/api/events`, probe);
      if (res.status === 202) {
        accepted.add(probe.eventId as string);
        break;
      }
      refused.add(probe.eventId as string);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    cluster.setBrokerRtt(1, 2500);
    try {
      const event = sampleEvent();
      const started = Date.now();
      const res = await post(`${api.url}/api/events`, event);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(timeoutMs + 700);
      expect(res.body.detail).toBe(
        `Kafka did not acknowledge within ${timeoutMs} ms; the events may or may not have been written: ` +
          'send them again (the same eventIds are counted once)',
      );
      refused.add(event.eventId as string);
    } finally {
      cluster.setBrokerRtt(1, 0);
    }
  });

  it('after recovery writes succeed, and the topic holds every 202 once, whole; a 503 never hid a 202', async () => {
    const after = sampleEvent();
    let status = 0;
    for (let i = 0; i < 50 && status !== 202; i++) {
      status = (await post(`${api.url}/api/events`, after)).status;
      if (status !== 202) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(202);
    accepted.add(after.eventId as string);

    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'faults-read' });
    const read = await readTopic(kafka, topic, { count: 10_000, timeoutMs: 6000 });
    const ids = read.map((m) => decodeEventMessage(m.value).eventId); // every message decodes: none half-written
    for (const id of accepted) expect(ids).toContain(id);
    // Anything else in the topic is an event that was answered 503 (allowed: the client retries, eventId dedupes).
    for (const id of ids) expect(accepted.has(id) || refused.has(id)).toBe(true);
  });
});
