/**
 * Tracing end to end (issue: one POST, one trace): the built api and consumer as child processes exporting to an
 * in-process OTLP receiver. The POST's trace must cross api → Kafka → consumer → ClickHouse insert, the request
 * id must reach the consumer's span and its log line, and a read route's query must be a span of its request.
 */
import { randomUUID } from 'node:crypto';
import { freePort, preparePipeline, repoRoot, waitFor } from '@pitchpulse/devstack';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@pitchpulse/tracing';
import { answers200, pipelineChildren } from './testing';

jest.setTimeout(120_000);

const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

describe('one POST, one trace: api → Kafka → consumer → ClickHouse insert', () => {
  const children = pipelineChildren(repoRoot(__dirname));
  let receiver: OtlpReceiver;
  let api = '';
  let topic = '';
  /** the match the first test stored an event of */
  let storedMatch = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const pipeline = await preparePipeline(`tracing_${randomUUID().slice(0, 8)}`, { events: 2 });
    topic = pipeline.env.KAFKA_TOPIC_EVENTS!;
    const [apiPort, consumerPort] = [await freePort(), await freePort()];
    const env = {
      ...pipeline.env,
      FLUSH_INTERVAL_MS: '300',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      METRICS_PORT: String(consumerPort),
      RATE_LIMIT_PER_SECOND: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // the receiver reads JSON (the processes' default is protobuf)
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    children.start('consumer', { ...env, LOG_LEVEL: 'debug' });
    await waitFor('the consumer', answers200(`http://127.0.0.1:${consumerPort}/ready`), 60_000, 250);
    children.start('api', { ...env, LOG_LEVEL: 'warn' });
    api = `http://127.0.0.1:${apiPort}`;
    await waitFor('the api', answers200(`${api}/ready`), 60_000, 250);
  }, 120_000);

  afterAll(async () => {
    await children.stop();
    await receiver?.close();
  });

  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const childOf = (parent: ReceivedSpan, spans: ReceivedSpan[], name: string) =>
    spans.find((s) => s.parentSpanId === parent.spanId && s.name === name);

  it('crosses every hop, and the consumer names the request in its span and its log line', async () => {
    const requestId = `trace-it-${randomUUID()}`;
    const matchId = `trace-${randomUUID().slice(0, 8)}`;
    storedMatch = matchId;
    const event = {
      eventId: randomUUID(),
      matchId,
      eventType: 'goal',
      timestamp: new Date().toISOString(),
      teamId: 1,
      playerId: 'p-9',
    };
    const answer = await fetch(`${api}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify(event),
    });
    expect(answer.status).toBe(202);

    const server = await waitForSpan(
      receiver,
      (s) => s.kind === KIND.server && s.attributes['pitchpulse.request_id'] === requestId,
    );
    const trace = () => spansOf(server.traceId);
    const consumed = await waitForSpan(
      receiver,
      (s) => s.traceId === server.traceId && s.service === 'consumer' && s.kind === KIND.consumer,
    );
    await waitForSpan(receiver, (s) => s.parentSpanId === consumed.spanId && s.kind === KIND.client);

    // api: the request, with the produce call that carried its message as its child
    expect(server).toMatchObject({ service: 'api', name: 'POST /api/events' });
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes).toMatchObject({
      'http.response.status_code': 202,
      'http.route': '/api/events',
    });
    const produce = await waitForSpan(
      receiver,
      (s) => s.parentSpanId === server.spanId && s.name === `send ${topic}`,
    );
    expect(produce).toMatchObject({ service: 'api', kind: KIND.producer, traceId: server.traceId });
    expect(produce.attributes).toMatchObject({
      'messaging.destination.name': topic,
      'messaging.batch.message_count': 1,
    });
    // consumer: the request's share of the flush, parented through the Kafka headers to the request
    expect(consumed).toMatchObject({ name: `process ${topic}`, parentSpanId: server.spanId });
    expect(consumed.attributes).toMatchObject({ 'pitchpulse.request_id': requestId, 'pitchpulse.events': 1 });
    const insert = childOf(consumed, trace(), 'INSERT events');
    expect(insert).toMatchObject({ service: 'consumer', kind: KIND.client });
    expect(insert!.attributes).toMatchObject({
      'db.system.name': 'clickhouse',
      'db.operation.name': 'INSERT',
    });
    expect(insert!.startNs).toBeGreaterThanOrEqual(consumed.startNs);
    expect(insert!.endNs).toBeLessThanOrEqual(consumed.endNs);
    // one trace: everything of it starts at the POST
    expect(new Set(trace().map((s) => s.service))).toEqual(new Set(['api', 'consumer']));

    // the batch's own span links to the message's context and holds the real insert call
    const batch = receiver.spans.find(
      (s) => s.service === 'consumer' && s.links.some((l) => l.spanId === server.spanId),
    );
    expect(batch).toMatchObject({ name: `process ${topic}`, kind: KIND.consumer });
    expect(consumed.links).toEqual([{ traceId: batch!.traceId, spanId: batch!.spanId }]);
    const realInsert = receiver.spans.find((s) => s.parentSpanId === batch!.spanId);
    expect(realInsert).toMatchObject({
      kind: KIND.client,
      name: expect.stringMatching(/^INSERT .*\.events$/),
    });
    expect(realInsert!.attributes['db.operation.batch.size']).toBeGreaterThanOrEqual(1);

    // the consumer's log line of that flush names the request
    const flushed = children.logs.consumer
      .split('\n')
      .filter((line) => line.includes('"flushed"'))
      .map((line) => JSON.parse(line) as { requestIds?: string[] });
    expect(flushed.some((line) => line.requestIds?.includes(requestId))).toBe(true);
  });

  it("a read route's ClickHouse query is a span of its request", async () => {
    const requestId = `trace-read-${randomUUID()}`;
    const answer = await fetch(`${api}/api/matches/no-such-match/metrics`, {
      headers: { 'x-request-id': requestId },
    });
    expect([200, 404]).toContain(answer.status);
    const server = await waitForSpan(receiver, (s) => s.attributes['pitchpulse.request_id'] === requestId);
    expect(server.name).toBe('GET /api/matches/:matchId/metrics');
    const query = await waitForSpan(
      receiver,
      (s) => s.parentSpanId === server.spanId && s.kind === KIND.client,
    );
    expect(query).toMatchObject({ service: 'api', name: 'SELECT' });
    expect(query.attributes['db.query.text']).toEqual(expect.stringContaining('SELECT'));

    // a match with rows: its figures are computed for this request, their queries children of its span too
    const computedId = `trace-read-${randomUUID()}`;
    const computed = await fetch(`${api}/api/matches/${storedMatch}/metrics`, {
      headers: { 'x-request-id': computedId },
    });
    expect(computed.status).toBe(200);
    const computedSpan = await waitForSpan(
      receiver,
      (s) => s.attributes['pitchpulse.request_id'] === computedId,
    );
    const queriesOf = () =>
      receiver.spans.filter((s) => s.parentSpanId === computedSpan.spanId && s.kind === KIND.client);
    // the match's marker, then its figures (more than one query)
    await waitFor('the queries', async () => queriesOf().length >= 3, 30_000, 100);
    expect(new Set(queriesOf().map((s) => s.name))).toEqual(new Set(['SELECT']));
    expect(new Set(queriesOf().map((s) => s.traceId))).toEqual(new Set([computedSpan.traceId]));
  });
});

async function waitForSpan(
  receiver: OtlpReceiver,
  match: (span: ReceivedSpan) => boolean,
): Promise<ReceivedSpan> {
  let found: ReceivedSpan | undefined;
  await waitFor('the span', async () => (found = receiver.spans.find(match)) !== undefined, 30_000, 100);
  return found!;
}
