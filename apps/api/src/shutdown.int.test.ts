import { MockKafkaCluster } from '@pitchpulse/devstack';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { createLogger } from '@pitchpulse/observability';
import { startApi } from './start';
import { post, sampleEvent, testConfig } from './testing';

describe('graceful shutdown (startApi on a private mock cluster)', () => {
  let cluster: MockKafkaCluster;

  beforeEach(() => {
    cluster = MockKafkaCluster.create(1);
    cluster.createTopic({ name: 'events', partitions: 2 });
  });

  afterEach(() => cluster.destroy());

  it('turns /ready to 503, finishes in-flight writes with 202, flushes the producer and stops listening', async () => {
    const config = testConfig({
      rateLimit: null,
      shutdown: { delayMs: 400, timeoutMs: 10_000 },
      kafka: { brokers: cluster.bootstrapServers.split(','), eventsTopic: 'events', produceTimeoutMs: 5000 },
    });
    const api = await startApi(config, { logger: createLogger('api', { level: 'silent' }) });
    await api.kafkaConnected;
    expect((await fetch(`${api.url}/ready`)).status).toBe(200);

    // Slow acknowledgements keep the writes in flight while the drain starts.
    cluster.setBrokerRtt(1, 700);
    const events = Array.from({ length: 10 }, (_, i) => sampleEvent({ matchId: `m-${i % 3}` }));
    const writes = [
      ...events.slice(0, 8).map((e) => post(`${api.url}/api/events`, e)),
      post(`${api.url}/api/events/batch`, { events: events.slice(8) }),
    ];
    while (api.lifecycle.inFlight < writes.length) await new Promise((resolve) => setTimeout(resolve, 10));

    const drained = api.shutdown('SIGTERM');
    const ready = await fetch(`${api.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not_ready',
      draining: true,
      reasons: { draining: 'shutting down' },
    });

    const responses = await Promise.all(writes);
    expect(responses.map((r) => r.status)).toEqual(Array(9).fill(202));
    expect(responses[0]!.headers.get('connection')).toBe('close');
    await drained;
    expect(api.server.listening).toBe(false);
    expect(api.producer.connected).toBe(false);
    expect(api.producer.pendingMessages).toBe(0);
    await expect(fetch(`${api.url}/health`)).rejects.toThrow();
    expect(api.shutdown('again')).toBe(drained);

    cluster.setBrokerRtt(1, 0);
    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'shutdown-read' });
    const read = await readTopic(kafka, 'events', { count: 10 });
    expect(read.map((m) => (JSON.parse(m.value!) as { eventId: string }).eventId).sort()).toEqual(
      events.map((e) => e.eventId as string).sort(),
    );
  });

  it('gives up waiting after the shutdown timeout and still completes', async () => {
    const config = testConfig({
      rateLimit: null,
      shutdown: { delayMs: 0, timeoutMs: 300 },
      kafka: { brokers: cluster.bootstrapServers.split(','), eventsTopic: 'events', produceTimeoutMs: 1000 },
    });
    const api = await startApi(config, { logger: createLogger('api', { level: 'silent' }) });
    await api.kafkaConnected;
    cluster.setBrokerRtt(1, 5000);
    const sentAt = Date.now();
    const stuck = post(`${api.url}/api/events`, sampleEvent()).catch((err: Error) => err);
    while (api.lifecycle.inFlight < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await api.shutdown('SIGTERM');
    // drain timeout (300 ms) + produce timeout (1 s) + the disconnect allowance (1 s), not the broker's 5 s
    expect(Date.now() - started).toBeLessThan(4000);
    expect(api.server.listening).toBe(false);
    // The stuck request's connection was closed: the client sees an error, never a 202.
    const outcome = await stuck;
    expect(outcome instanceof Error ? 'error' : outcome.status).not.toBe(202);
    cluster.setBrokerRtt(1, 0);
    // Let the abandoned kafkajs request finish before the cluster goes, so no client timers outlive the test.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + 5500 - Date.now())));
  });
});
