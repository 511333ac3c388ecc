/**
 * Conformance with the wire contract: the built api and consumer run against the embedded stack, and every kind
 * of answer they give — success and error of each route, both apps' probes, the SSE payload, the Kafka message on
 * `match-events` and the failure headers of a dead-lettered copy — is validated against `@pitchpulse/contract`'s
 * schemas, which reject members they do not list.
 */
import { randomUUID } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import {
  BatchAccepted,
  EventAccepted,
  FailureHeaders,
  Health,
  HighlightPage,
  MatchList,
  MatchMetrics,
  PROBLEM_CONTENT_TYPE,
  PlayerList,
  Problem,
  Readiness,
  StoredEvent,
  Timeline,
  validatorFor,
} from '@pitchpulse/contract';
import { waitFor } from '@pitchpulse/devstack';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { startPipeline, type RunningPipeline } from './running-apps';

const suffix = randomUUID().slice(0, 8);
const matchId = `conformance-${suffix}`;
const API_KEY = 'conformance-key';
let pipeline: RunningPipeline | undefined;
let apiUrl = '';
let consumerUrl = '';

interface Answer {
  status: number;
  contentType: string;
  body: unknown;
}

/** Every response checked: its schema must accept the body as it is, with no member the schema does not list. */
function expectConforms(schema: TSchema, answer: Pick<Answer, 'body'>, where: string): void {
  const validate = validatorFor(schema);
  const valid = validate(answer.body);
  expect({
    where,
    shape: schema.title,
    errors: valid ? null : validate.errors,
    body: valid ? null : answer.body,
  }).toEqual({ where, shape: schema.title, errors: null, body: null });
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: JSON.parse(text) };
}

const write = (path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': API_KEY }) =>
  call(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const event = (patch: Record<string, unknown> = {}) => ({
  eventId: randomUUID(),
  matchId,
  eventType: 'goal',
  timestamp: '2024-05-18T14:12:30.250Z',
  teamId: 1,
  playerId: 'player-9',
  metadata: { minute: 12, scorer: 'Player Nine' },
  ...patch,
});

function expectProblem(answer: Answer, status: number, where: string): void {
  expect({ where, status: answer.status }).toEqual({ where, status });
  expect(answer.contentType).toMatch(new RegExp(`^${PROBLEM_CONTENT_TYPE.replace('+', '\\+')}`));
  expectConforms(Problem, answer, where);
}

beforeAll(async () => {
  pipeline = await startPipeline(`conformance-${suffix}`, { api: { API_KEYS: API_KEY } });
  ({ apiUrl, consumerUrl } = pipeline);
}, 150_000);

afterAll(() => pipeline?.stop(), 100_000);

describe('ingest routes', () => {
  it('202 of a single event and of a partly valid batch', async () => {
    const single = await write('/api/events', event());
    expect(single.status).toBe(202);
    expectConforms(EventAccepted, single, 'POST /api/events 202');
    const batch = await write('/api/events/batch', {
      events: [event({ eventType: 'red_card', teamId: 2, playerId: 'player-4' }), event({ teamId: 3 })],
    });
    expect(batch.status).toBe(202);
    expectConforms(BatchAccepted, batch, 'POST /api/events/batch 202');
    expect(batch.body).toMatchObject({ status: 'partially_accepted' });
  });

  it('every error is a problem document', async () => {
    expectProblem(await write('/api/events', event({ teamId: 3, extra: 1 })), 400, 'invalid event');
    expectProblem(await write('/api/events', '{"eventId":'), 400, 'malformed JSON');
    expectProblem(
      await write('/api/events/batch', { events: [{ teamId: 9 }] }),
      400,
      'batch without a valid event',
    );
    expectProblem(await write('/api/events', event(), {}), 401, 'no API key');
    expectProblem(await write('/api/events', event(), { 'x-api-key': 'wrong' }), 403, 'unknown API key');
    expectProblem(
      await call(`${apiUrl}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-api-key': API_KEY },
        body: 'x',
      }),
      415,
      'not JSON',
    );
    expectProblem(
      await write('/api/events', event({ metadata: { note: 'x'.repeat(40_000) } })),
      413,
      'too large',
    );
    expectProblem(await call(`${apiUrl}/api/events`), 405, 'GET on a write route');
    expectProblem(await call(`${apiUrl}/no-such-route`), 404, 'unknown route');
  });
});

describe('probes of both apps', () => {
  it.each([
    ['api', () => apiUrl],
    ['consumer', () => consumerUrl],
  ])('%s: /health and /ready in the seed shapes', async (_name, url) => {
    const health = await call(`${url()}/health`);
    expect(health.status).toBe(200);
    expectConforms(Health, health, `${_name} /health`);
    expect(health.body).toMatchObject({ status: 'healthy' });
    const ready = await call(`${url()}/ready`);
    expect(ready.status).toBe(200);
    expectConforms(Readiness, ready, `${_name} /ready`);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: { kafka: 'healthy', clickhouse: 'healthy' },
    });
  });

  it('the consumer’s probe server answers unknown paths and methods with problems too', async () => {
    expectProblem(await call(`${consumerUrl}/nope`), 404, 'consumer unknown path');
    expectProblem(await call(`${consumerUrl}/ready`, { method: 'POST' }), 405, 'consumer POST');
  });
});

describe('read routes', () => {
  beforeAll(async () => {
    // The two accepted events of the ingest tests must be stored before the match is read.
    await waitFor(
      'the accepted events to be counted',
      async () => {
        const res = await fetch(`${apiUrl}/api/matches/${matchId}/metrics`);
        return res.ok && ((await res.json()) as MatchMetrics).totalEvents === 2;
      },
      60_000,
      250,
    );
  }, 70_000);

  it.each([
    ['/api/matches', MatchList],
    [`/api/matches/${matchId}/metrics`, MatchMetrics],
    [`/api/matches/${matchId}/timeline?bucket=5m`, Timeline],
    [`/api/matches/${matchId}/highlights`, HighlightPage],
    [`/api/matches/${matchId}/players?by=goals`, PlayerList],
  ] as const)('GET %s', async (path, schema) => {
    const answer = await call(`${apiUrl}${path}`);
    expect(answer.status).toBe(200);
    expectConforms(schema, answer, path);
  });

  it('errors: unknown match, bad parameter, wrong method', async () => {
    expectProblem(await call(`${apiUrl}/api/matches/no-such-${suffix}/metrics`), 404, 'unknown match');
    expectProblem(await call(`${apiUrl}/api/matches/${matchId}/timeline?bucket=2m`), 400, 'bad bucket');
    expectProblem(await call(`${apiUrl}/api/matches?limit=0`), 400, 'bad limit');
    expectProblem(
      await call(`${apiUrl}/api/matches/${matchId}/metrics`, { method: 'DELETE' }),
      405,
      'DELETE',
    );
  });

  it('the SSE stream’s metrics payload', async () => {
    const abort = new AbortController();
    const res = await fetch(`${apiUrl}/api/matches/${matchId}/stream`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!/event: metrics\ndata: .*\n\n/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    abort.abort();
    const data = /event: metrics\ndata: (.*)\n\n/.exec(text)?.[1];
    expect(data).toBeDefined();
    expectConforms(MatchMetrics, { body: JSON.parse(data!) }, 'SSE metrics');
  });
});

describe('Kafka messages', () => {
  const kafka = createKafka({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    clientId: 'conformance',
  });

  it('the value on match-events is a StoredEvent', async () => {
    const messages = await readTopic(kafka, pipeline!.topics.events, { count: 2, timeoutMs: 10_000 });
    expect(messages).toHaveLength(2);
    for (const m of messages) {
      expect(m.key).toBe(matchId);
      expectConforms(StoredEvent, { body: JSON.parse(m.value!) }, 'match-events value');
    }
  });

  it('a dead-lettered copy carries the failure headers', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: pipeline!.topics.events,
      messages: [{ key: matchId, value: 'not an event' }],
    });
    await producer.disconnect();
    const [dead] = await readTopic(kafka, pipeline!.topics.dlq, { count: 1, timeoutMs: 30_000 });
    expect(dead).toBeDefined();
    expect(dead!.value).toBe('not an event');
    const headers = Object.fromEntries(
      Object.entries(dead!.headers).map(([name, value]) => [
        name,
        String(Array.isArray(value) ? value[0] : value),
      ]),
    );
    expectConforms(FailureHeaders, { body: headers }, 'DLQ headers');
    expect(headers).toMatchObject({
      'x-error-kind': 'undecodable',
      'x-original-topic': pipeline!.topics.events,
    });
  });
});
