import net from 'node:net';
import { EVENT_TYPES } from '@pitchpulse/contract';
import { decodeEventMessage } from '@pitchpulse/events';
import { readTopic } from '@pitchpulse/kafka';
import { kafkaApi, post, sampleEvent, testConfig, uniqueName, type KafkaApi } from '../testing';

/** The API over real HTTP, writing to a topic of its own on the embedded Kafka. */
describe('ingest API against the embedded Kafka', () => {
  const topic = uniqueName('api-ingest');
  const config = testConfig({ kafka: { eventsTopic: topic }, maxBodyBytes: 8 * 1024 });
  let api: KafkaApi;
  const events = () => `${api.url}/api/events`;

  beforeAll(async () => {
    api = await kafkaApi(config, 'api-ingest-test');
  });

  afterAll(() => api.close());

  describe('accepted writes', () => {
    const accepted: Record<string, unknown>[] = [];
    const answers: Array<{ eventId: string; timestamp: string }> = [];

    it('answers 202 with eventId, status and the receive time, and echoes the request id', async () => {
      const event = sampleEvent({ matchId: 'm-fidelity', timestamp: '2024-01-15T14:30:00.123+02:00' });
      const res = await post(events(), event, { 'x-request-id': 'feed-7.req:42' });
      expect(res.status).toBe(202);
      expect(res.headers.get('x-request-id')).toBe('feed-7.req:42');
      expect(res.body).toEqual({ eventId: event.eventId, status: 'accepted', timestamp: expect.any(String) });
      expect(Math.abs(Date.parse(res.body.timestamp as string) - Date.now())).toBeLessThan(10_000);
      accepted.push(event);
      answers.push(res.body as never);
    });

    it('accepts the minimal event (optional fields absent) and the same event twice (idempotent by eventId)', async () => {
      const { playerId: _p, metadata: _m, ...minimal } = sampleEvent({ matchId: 'm-fidelity' });
      for (let i = 0; i < 2; i++) {
        const res = await post(events(), minimal);
        expect(res.status).toBe(202);
        accepted.push(minimal);
        answers.push(res.body as never);
      }
    });

    it('makes a request id when none (or an unsafe one) is sent', async () => {
      const res = await post(events(), sampleEvent({ matchId: 'm-other' }), {
        'x-request-id': 'bad id with spaces',
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('every accepted event is in the topic as kcat would show it: key = matchId, value = event + receivedAt', async () => {
      const read = await readTopic(api.kafka, topic, { count: 4 });
      const fidelity = read.filter((m) => m.key === 'm-fidelity');
      expect(fidelity).toHaveLength(3);
      // one match → one partition, in the order written
      expect(new Set(fidelity.map((m) => m.partition)).size).toBe(1);
      fidelity.forEach((message, i) => {
        const value = JSON.parse(message.value!) as Record<string, unknown>;
        expect(value).toEqual({ ...accepted[i], receivedAt: Date.parse(answers[i]!.timestamp) });
        // the timestamp string is stored exactly as sent (offset and milliseconds kept)
        expect(decodeEventMessage(message.value).timestamp).toBe(accepted[i]!.timestamp);
      });
    });
  });

  describe('the contract, rule by rule, over HTTP', () => {
    const cases: Array<[string, Record<string, unknown>, string, string]> = [
      ['eventId not a UUID', { eventId: 'abc' }, '/eventId', 'must be a UUID'],
      ['eventId not a string', { eventId: 7 }, '/eventId', 'must be string'],
      ['matchId empty', { matchId: '' }, '/matchId', 'must NOT have fewer than 1 characters'],
      ['matchId too long', { matchId: 'm'.repeat(65) }, '/matchId', 'must NOT have more than 64 characters'],
      [
        'matchId bad characters',
        { matchId: 'a b/c' },
        '/matchId',
        'must be 1–64 characters of A–Z a–z 0–9 . _ : -',
      ],
      [
        'eventType unknown',
        { eventType: 'throw_in' },
        '/eventType',
        `must be one of ${EVENT_TYPES.map((t) => `"${t}"`).join(', ')}`,
      ],
      [
        'timestamp without offset',
        { timestamp: '2024-01-15T14:30:00' },
        '/timestamp',
        'must be an RFC 3339 date-time with an offset or Z, e.g. 2024-01-15T14:30:00Z',
      ],
      [
        'timestamp not a date',
        { timestamp: 'yesterday' },
        '/timestamp',
        'must be an RFC 3339 date-time with an offset or Z, e.g. 2024-01-15T14:30:00Z',
      ],
      ['teamId 3', { teamId: 3 }, '/teamId', 'must be 1 or 2'],
      ['teamId a string', { teamId: '1' }, '/teamId', 'must be integer'],
      [
        'playerId too long',
        { playerId: 'p'.repeat(65) },
        '/playerId',
        'must NOT have more than 64 characters',
      ],
      ['playerId not a string', { playerId: 456 }, '/playerId', 'must be string'],
      ['metadata not an object', { metadata: 'x' }, '/metadata', 'must be object'],
      [
        'metadata over 4 KiB',
        { metadata: { t: 'x'.repeat(4100) } },
        '/metadata',
        'must be at most 4096 bytes as JSON',
      ],
      [
        'timestamp before 1970',
        { timestamp: '1969-12-31T23:59:59Z' },
        '/timestamp',
        'must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59Z',
      ],
      [
        'timestamp after 2105',
        { timestamp: '2106-01-01T00:00:00Z' },
        '/timestamp',
        'must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59Z',
      ],
      [
        'metadata nested 3,000 levels deep',
        { metadata: { deep: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) } },
        '/metadata',
        'must be at most 4096 bytes as JSON',
      ],
      ['an unknown field', { teamID: 1 }, '/teamID', 'is not a known field (unknown fields are rejected)'],
    ];

    it.each(cases)('400 for %s, naming the field', async (_name, patch, path, message) => {
      const res = await post(events(), sampleEvent(patch));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:pitchpulse:problem:invalid-event',
        title: 'Invalid event',
        status: 400,
        detail: expect.stringContaining(`${path}: ${message}`),
        requestId: res.headers.get('x-request-id'),
      });
      expect(res.body.errors).toContainEqual({ path, message });
    });

    it('lists every missing required field at once', async () => {
      const res = await post(events(), {});
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(
        ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'].map((f) => ({
          path: `/${f}`,
          message: 'is required',
        })),
      );
    });

    it('lists several field errors of one event together', async () => {
      const res = await post(events(), sampleEvent({ teamId: 0, eventType: 'dance', extra: true }));
      expect(res.status).toBe(400);
      expect((res.body.errors as Array<{ path: string }>).map((e) => e.path).sort()).toEqual([
        '/eventType',
        '/extra',
        '/teamId',
      ]);
    });

    it('400 for a JSON value that is not an object', async () => {
      for (const body of ['[]', '"goal"', '42', 'null']) {
        const res = await post(events(), body);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ path: '/', message: 'must be object' }]);
      }
    });
  });

  describe('HTTP-level errors are problems, never 5xx', () => {
    it('400 for malformed JSON', async () => {
      const res = await post(events(), '{"eventId": "x", ');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: 'urn:pitchpulse:problem:malformed-json',
        title: 'Malformed JSON',
      });
      expect(res.body.detail).toMatch(/^The body is not valid JSON/);
    });

    it('400 for a request without a body', async () => {
      const res = await fetch(events(), { method: 'POST' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ type: 'urn:pitchpulse:problem:missing-body' });
    });

    it('413 for a body over the limit', async () => {
      const res = await post(events(), sampleEvent({ metadata: { t: 'x'.repeat(9000) } }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({
        type: 'urn:pitchpulse:problem:body-too-large',
        detail: 'The body is larger than the 8192-byte limit of /api/events',
      });
    });

    it('415 for a body that is not JSON', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const res = await post(events(), JSON.stringify(sampleEvent()), { 'content-type': type });
        expect(res.status).toBe(415);
        expect(res.body).toMatchObject({
          type: 'urn:pitchpulse:problem:unsupported-media-type',
          detail: `Content-Type must be application/json, got ${type}`,
        });
      }
    });

    it('415 for a charset body-parser cannot decode', async () => {
      const res = await post(events(), JSON.stringify(sampleEvent()), {
        'content-type': 'application/json; charset=latin-9',
      });
      expect(res.status).toBe(415);
    });

    it('400 for bytes that are not UTF-8 inside a string (not silently turned into U+FFFD); real UTF-8 passes', async () => {
      const text = JSON.stringify(sampleEvent({ playerId: 'QQ' }));
      const at = text.indexOf('QQ');
      for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
        const body = Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from(bytes),
          Buffer.from(text.slice(at + 2)),
        ]);
        for (const url of [events(), `${events()}/batch`]) {
          const payload = url.endsWith('/batch')
            ? Buffer.concat([Buffer.from('{"events":['), body, Buffer.from(']}')])
            : body;
          const res = await post(url, new Uint8Array(payload));
          expect(res.status).toBe(400);
          expect(res.body).toMatchObject({
            type: 'urn:pitchpulse:problem:malformed-json',
            title: 'Invalid UTF-8',
          });
        }
      }
      const res = await post(events(), sampleEvent({ playerId: 'Müller ⚽ 秀' }));
      expect(res.status).toBe(202);
    });

    it('413 at once for a declared body over the limit, before the body is sent', async () => {
      const { port } = new URL(api.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      const started = Date.now();
      socket.write(
        'POST /api/events HTTP/1.1\r\nHost: test\r\ncontent-type: application/json\r\n' +
          'content-length: 10000000000\r\n\r\n{',
      );
      const answer = await new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\r\n\r\n')) resolve(text);
        });
      });
      socket.destroy();
      expect(Date.now() - started).toBeLessThan(2000);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
    });

    it('405 with Allow for the wrong method, 404 for an unknown path', async () => {
      const wrong = await fetch(events());
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      const missing = await fetch(`${api.url}/api/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('answers hostile and odd bodies with 202 or 4xx, never 5xx', async () => {
      const deep = '['.repeat(3000) + ']'.repeat(3000);
      const bodies: Array<[string | Uint8Array, number]> = [
        [deep, 400],
        [`{"a":${deep}}`, 400],
        ['{"__proto__": {"admin": true}}', 400],
        [JSON.stringify({ ...sampleEvent(), constructor: { prototype: { x: 1 } } }), 400],
        ['{' + JSON.stringify(sampleEvent()).slice(1, -1).replace('"teamId":1', '"teamId":1e400') + '}', 400],
        [JSON.stringify(sampleEvent({ teamId: 1.5 })), 400],
        [JSON.stringify(sampleEvent({ timestamp: '2024-13-45T99:99:99Z' })), 400],
        [JSON.stringify(sampleEvent({ matchId: '\u0000' })), 400],
        [Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]), 400],
        ['', 400],
        [' ', 400],
        ['{"events": []}', 400],
        // odd but valid: lone surrogates in metadata, a UTF-8 byte-order mark
        [JSON.stringify(sampleEvent({ metadata: { '\ud800': '\udfff' } })), 202],
        ['\ufeff' + JSON.stringify(sampleEvent()), 202],
      ];
      for (const [i, [body, expected]] of bodies.entries()) {
        const res = await post(events(), body);
        expect({ case: i, status: res.status }).toEqual({ case: i, status: expected });
        if (res.status !== 202)
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        const batch = await post(`${events()}/batch`, body);
        expect(batch.status).toBeLessThan(500);
      }
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('POST /api/events/batch', () => {
    const batchTopicEvents: Record<string, unknown>[] = [];

    it('accepts the valid events and lists the invalid ones by index with their errors', async () => {
      const good = [0, 1, 2].map((i) => sampleEvent({ matchId: 'm-batch', metadata: { i } }));
      const body = { events: [good[0], { ...sampleEvent(), teamId: 9 }, good[1], { eventId: 'x' }, good[2]] };
      const res = await post(`${events()}/batch`, body);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({
        status: 'partially_accepted',
        accepted: [
          { index: 0, eventId: good[0]!.eventId },
          { index: 2, eventId: good[1]!.eventId },
          { index: 4, eventId: good[2]!.eventId },
        ],
        rejected: [
          { index: 1, errors: [{ path: '/events/1/teamId', message: 'must be 1 or 2' }] },
          {
            index: 3,
            errors: expect.arrayContaining([{ path: '/events/3/matchId', message: 'is required' }]),
          },
        ],
      });
      batchTopicEvents.push(...good);
    });

    it('400 when no event is valid, with every error listed', async () => {
      const res = await post(`${events()}/batch`, { events: [{ ...sampleEvent(), teamId: 9 }, {}] });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        type: 'urn:pitchpulse:problem:invalid-event',
        detail: 'None of the 2 events is valid',
      });
      expect(res.body.errors).toContainEqual({ path: '/events/0/teamId', message: 'must be 1 or 2' });
      expect(res.body.errors).toContainEqual({ path: '/events/1/eventId', message: 'is required' });
      expect((res.body.rejected as Array<{ index: number }>).map((r) => r.index)).toEqual([0, 1]);
    });

    it('400 for a bad envelope: no events, empty, over 1000, unknown fields', async () => {
      const cases: Array<[unknown, string, string]> = [
        [{}, '/events', 'is required'],
        [{ events: [] }, '/events', 'must NOT have fewer than 1 items'],
        [
          { events: Array.from({ length: 1001 }, () => ({})) },
          '/events',
          'must NOT have more than 1000 items',
        ],
        [
          { events: [sampleEvent()], extra: 1 },
          '/extra',
          'is not a known field (unknown fields are rejected)',
        ],
        [[sampleEvent()], '/', 'must be object'],
      ];
      for (const [body, path, message] of cases) {
        const res = await post(`${events()}/batch`, body);
        expect(res.status).toBe(400);
        expect(res.body.errors).toContainEqual({ path, message });
      }
    });

    it('takes a full batch of 1000 events in one request', async () => {
      const many = Array.from({ length: 1000 }, (_, i) => sampleEvent({ matchId: `m-big-${i % 10}` }));
      const res = await post(`${events()}/batch`, { events: many });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('accepted');
      expect(res.body.accepted).toHaveLength(1000);
      expect(res.body.rejected).toEqual([]);
    });

    it('the accepted batch events are in the topic, in request order per match', async () => {
      // Every 202 so far (events_ingested_total counts them) must be in the topic, and nothing else.
      const metric = await api.registry.getSingleMetric('events_ingested_total')!.get();
      const ingested = metric.values.reduce((sum, v) => sum + v.value, 0);
      expect(ingested).toBeGreaterThan(1000);
      const read = await readTopic(api.kafka, topic, { count: ingested + 1, timeoutMs: 5000 });
      expect(read).toHaveLength(ingested);
      const batch = read
        .filter((m) => m.key === 'm-batch')
        .map((m) => JSON.parse(m.value!) as Record<string, unknown>);
      expect(batch.map(({ receivedAt: _r, ...event }) => event)).toEqual(batchTopicEvents);
      expect(read.filter((m) => m.key?.startsWith('m-big-'))).toHaveLength(1000);
    });
  });

  describe('probes, metrics, docs', () => {
    it('/health answers without dependencies; /ready reports Kafka and ClickHouse in the seed shapes', async () => {
      const health = await fetch(`${api.url}/health`);
      expect(health.status).toBe(200);
      const healthBody = (await health.json()) as Record<string, unknown>;
      expect(healthBody).toEqual({
        status: 'healthy',
        timestamp: expect.any(String),
        uptimeSeconds: expect.any(Number),
      });
      expect(Math.abs(Date.parse(healthBody.timestamp as string) - Date.now())).toBeLessThan(60_000);
      const ready = await fetch(`${api.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ready',
        timestamp: expect.any(String),
        checks: { kafka: 'healthy', clickhouse: 'healthy' },
        draining: false,
        breakers: { kafka: 'closed', clickhouse: 'closed' },
      });
    });

    it('/metrics has the HTTP, ingest and Kafka series with route templates as labels', async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      expect(text).toMatch(
        /http_requests_total\{method="POST",route="\/api\/events",status="202",service="api"\} \d+/,
      );
      expect(text).toMatch(
        /http_requests_total\{method="POST",route="\/api\/events",status="400",service="api"\}/,
      );
      expect(text).toMatch(
        /http_requests_total\{method="GET",route="unmatched",status="404",service="api"\} 1/,
      );
      expect(text).toMatch(
        /http_request_duration_seconds_bucket\{le="0.005",[^}]*route="\/api\/events\/batch"/,
      );
      expect(text).toMatch(/events_ingested_total\{event_type="goal",service="api"\} \d+/);
      expect(text).toMatch(/kafka_produce_duration_seconds_count\{service="api",outcome="success"\} \d+/);
      expect(text).toContain('http_requests_in_flight{service="api"} 1');
      expect(text).toContain('process_cpu_seconds_total');
      expect(text).not.toContain('route="/api/nope"');
    });
  });
});
