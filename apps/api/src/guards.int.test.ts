import net from 'node:net';
import { Writable } from 'node:stream';
import { MockKafkaCluster, StackControl } from '@pitchpulse/devstack';
import { GroupCommitProducer, createKafka, readTopic } from '@pitchpulse/kafka';
import { createLogger, createRegistry, type Registry } from '@pitchpulse/observability';
import { createApp } from './app';
import {
  listen,
  post,
  sampleEvent,
  testChecks,
  testConfig,
  uniqueName,
  type ConfigPatch,
  type Listening,
} from './testing';

function captureLogs() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { logger: createLogger('api', { level: 'debug' }, stream), text: () => chunks.join('') };
}

describe('API keys and rate limits (embedded Kafka)', () => {
  const topic = uniqueName('api-guards');
  const keys = ['feed-key-alpha-0123456789', 'feed-key-beta-9876543210'];
  const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'api-guards' });
  const producer = new GroupCommitProducer({ kafka });
  const logs = captureLogs();
  const servers: Listening[] = [];

  async function start(patch: ConfigPatch): Promise<string> {
    const config = testConfig({ ...patch, kafka: { eventsTopic: topic } });
    const app = createApp({
      config,
      logger: logs.logger,
      registry: createRegistry(),
      producer,
      checks: testChecks(producer),
    });
    const listening = await listen(app);
    servers.push(listening);
    return `${listening.url}/api/events`;
  }

  beforeAll(async () => {
    await StackControl.fromEnv().createTopic(topic, 1);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await producer.disconnect();
  });

  it('401 without a key, 403 with a wrong one, 202 with either configured key; keys never reach the logs', async () => {
    const url = await start({ apiKeys: keys, rateLimit: null });
    const missing = await post(url, sampleEvent());
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('ApiKey header="x-api-key"');
    expect(missing.body).toMatchObject({ type: 'urn:pitchpulse:problem:missing-api-key', status: 401 });

    const wrong = await post(url, sampleEvent(), { 'x-api-key': 'feed-key-alpha-0123456788' });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ type: 'urn:pitchpulse:problem:invalid-api-key', status: 403 });
    const empty = await post(url, sampleEvent(), { 'x-api-key': '' });
    expect(empty.status).toBe(401);

    const accepted = [];
    for (const key of keys) {
      const event = sampleEvent({ matchId: 'm-auth' });
      const res = await post(url, event, { 'x-api-key': key });
      expect(res.status).toBe(202);
      accepted.push(event.eventId);
    }
    // the batch route is guarded the same way
    expect((await post(`${url}/batch`, { events: [sampleEvent()] })).status).toBe(401);

    // refused requests wrote nothing: only the two accepted events are in the topic
    const read = await readTopic(kafka, topic, { count: 3, timeoutMs: 4000 });
    expect(read.map((m) => (JSON.parse(m.value!) as { eventId: string }).eventId)).toEqual(accepted);

    const text = logs.text();
    expect(text).toContain('"status":401');
    expect(text).toContain('"status":403');
    for (const secret of [...keys, 'feed-key-alpha-0123456788']) expect(text).not.toContain(secret);
  });

  it('429 with Retry-After once a key has used its burst; other keys are not affected', async () => {
    const url = await start({ apiKeys: keys, rateLimit: { perSecond: 0.5, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await post(url, sampleEvent(), { 'x-api-key': keys[0]! })).status);
    }
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await post(url, sampleEvent(), { 'x-api-key': keys[0]! });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({
      type: 'urn:pitchpulse:problem:rate-limited',
      detail: 'Rate limit exceeded for this API key; retry in 2 s',
    });
    expect((await post(url, sampleEvent(), { 'x-api-key': keys[1]! })).status).toBe(202);
  });

  it('limits failed API-key attempts per address: 429 past the burst, then even a good key waits (no oracle)', async () => {
    const url = await start({
      apiKeys: keys,
      rateLimit: null,
      authFailureLimit: { perSecond: 1, burst: 3 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await post(url, sampleEvent(), { 'x-api-key': `guess-${i}` })).status);
    }
    expect(statuses).toEqual([403, 403, 403, 429, 429]);
    const blocked = await post(url, sampleEvent(), { 'x-api-key': keys[0]! });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(blocked.body).toMatchObject({
      type: 'urn:pitchpulse:problem:rate-limited',
      title: 'Too many failed API-key attempts',
    });
    expect(blocked.text).not.toContain(keys[0]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await post(url, sampleEvent(), { 'x-api-key': keys[0]! })).status).toBe(202);
  });

  it('limits by client address when the API is open', async () => {
    const url = await start({ apiKeys: [], rateLimit: { perSecond: 1, burst: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(url, sampleEvent())).status);
    expect(statuses).toEqual([202, 202, 429]);
    const res = await post(`${url}/batch`, { events: [sampleEvent()] });
    expect(res.status).toBe(429);
    expect(res.body.detail).toBe('Rate limit exceeded for this address; retry in 1 s');
  });
});

describe('load shedding (private mock cluster with a slow broker)', () => {
  let cluster: MockKafkaCluster;
  let producer: GroupCommitProducer;
  let api: Listening | undefined;

  beforeEach(async () => {
    cluster = MockKafkaCluster.create(1);
    cluster.createTopic({ name: 'events', partitions: 1 });
    const kafka = createKafka({ brokers: cluster.bootstrapServers.split(','), clientId: 'shed' });
    producer = new GroupCommitProducer({ kafka, lingerMs: 1, maxQueuedMessages: 3, sendTimeoutMs: 5000 });
    await producer.connect();
    await producer.send([{ topic: 'events', key: 'k', value: 'warm-up' }]);
  });

  afterEach(async () => {
    await api?.close();
    cluster.setBrokerRtt(1, 0);
    await producer.disconnect();
    cluster.destroy();
  });

  let registry: Registry;

  async function start(patch: ConfigPatch): Promise<string> {
    const config = testConfig({ ...patch, rateLimit: null, kafka: { eventsTopic: 'events' } });
    registry = createRegistry();
    api = await listen(
      createApp({
        config,
        logger: createLogger('api', { level: 'silent' }),
        registry,
        producer,
        checks: testChecks(producer),
      }),
    );
    return `${api.url}/api/events`;
  }

  it('503 + Retry-After once MAX_IN_FLIGHT requests are in flight; the ones in flight still succeed', async () => {
    const url = await start({ maxInFlight: 2 });
    cluster.setBrokerRtt(1, 800);
    const slow = [post(url, sampleEvent()), post(url, sampleEvent())];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const shed = await post(url, sampleEvent());
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.body).toMatchObject({
      type: 'urn:pitchpulse:problem:overloaded',
      detail: 'More than 2 requests are in flight',
    });
    // probes are not shed
    expect((await fetch(url.replace('/api/events', '/health'))).status).toBe(200);
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([202, 202]);
  });

  it('sheds on the request head: the 503 comes before any byte of the body was sent, counted with its reason', async () => {
    const url = await start({ maxInFlight: 1 });
    cluster.setBrokerRtt(1, 800);
    const slow = post(url, sampleEvent());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { port } = new URL(url);
    const head = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () =>
        socket.write(
          'POST /api/events?source=x HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n',
        ),
      );
      socket.once('data', (data: Buffer) => {
        socket.destroy();
        resolve(data.toString('latin1'));
      });
      socket.once('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(head).toContain('"type":"urn:pitchpulse:problem:overloaded"');
    // a probe and a route that is not ingest are not shed on the head
    expect((await fetch(url.replace('/api/events', '/health'))).status).toBe(200);
    expect((await slow).status).toBe(202);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^http_requests_shed_total\{reason="in_flight"[^}]*\} 1$/m);
    expect(metrics).toMatch(
      /^http_requests_total\{method="POST",route="\/api\/events",status="503"[^}]*\} 1$/m,
    );
  });

  it('503 + Retry-After once the bodies in flight would pass MAX_IN_FLIGHT_BODY_BYTES (memory bound)', async () => {
    const batch = { events: [sampleEvent(), sampleEvent()] };
    const single = sampleEvent();
    const size = Buffer.byteLength(JSON.stringify(batch));
    const budget = size + Buffer.byteLength(JSON.stringify(single));
    const url = await start({ maxInFlight: 100, maxInFlightBodyBytes: budget });
    cluster.setBrokerRtt(1, 800);
    const first = post(`${url}/batch`, batch);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await post(`${url}/batch`, { events: [sampleEvent(), sampleEvent()] });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.body).toMatchObject({ type: 'urn:pitchpulse:problem:overloaded' });
    expect(second.body.detail).toMatch(/^Request bodies in flight would exceed \d+ bytes/);
    // a small single event still fits beside the batch in flight
    expect((await post(url, single)).status).toBe(202);
    expect((await first).status).toBe(202);
  });

  it('503 when the producer queue is full (events waiting for Kafka), never a 202', async () => {
    const url = await start({ maxInFlight: 100 });
    cluster.setBrokerRtt(1, 800);
    const first = post(`${url}/batch`, { events: [sampleEvent(), sampleEvent()] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const overflow = await post(`${url}/batch`, { events: [sampleEvent(), sampleEvent()] });
    expect(overflow.status).toBe(503);
    expect(overflow.headers.get('retry-after')).toBe('1');
    expect(overflow.body).toMatchObject({
      type: 'urn:pitchpulse:problem:overloaded',
      detail: 'Too many events are waiting for Kafka; nothing was accepted',
    });
    expect((await first).status).toBe(202);
  });
});
