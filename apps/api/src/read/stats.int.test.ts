/**
 * The stats routes over HTTP against the embedded stack's ClickHouse 18.16: known events (every one delivered
 * twice, one match sealed, one crossing midnight UTC) inserted straight into a fresh database; every 200 body
 * validates against the contract's schema and holds what the events imply; every bad parameter is a 400 problem
 * naming it; the OpenAPI document describes the routes; answers are cached and still never over a second old.
 */
import { randomUUID } from 'node:crypto';
import SwaggerParser from '@apidevtools/swagger-parser';
import {
  ClickHouseStore,
  createClickHouseClient,
  execute,
  identifier,
  insertEvents,
  runMigrations,
  sql,
} from '@pitchpulse/clickhouse';
import {
  DailyStats,
  EVENT_TYPES,
  PROBLEM_CONTENT_TYPE,
  PlayerLeaderboard,
  Problem,
  Retention,
  STATS_LIMITS,
  TopEvents,
  isoDateOf,
  validatorFor,
  type StoredEvent,
} from '@pitchpulse/contract';
import { createRegistry, type Registry, sampleSum } from '@pitchpulse/observability';
import { listen, type Listening, readApp } from '../testing';
import type { ReadService } from './service';

type Json = Record<string, unknown>;

const database = `stats_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const clickhouse = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database });
const store = new ClickHouseStore(clickhouse);
let registry: Registry;
let readApi: ReadService;
let api: Listening;

async function get(path: string, init?: RequestInit) {
  const res = await fetch(`${api.url}${path}`, init);
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text };
}

function expectValid(schema: Parameters<typeof validatorFor>[0], body: unknown): void {
  const validate = validatorFor(schema);
  expect({ valid: validate(body), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
}

// ---------------------------------------------------------------------------------------------------------
// Known events. A, B play on 06-01; C and B again after midnight in a match that crosses it; A and D on 06-03.

const plays: [matchId: string, player: string, type: StoredEvent['eventType'], at: string][] = [
  ['api-s1', 'A', 'goal', '2024-06-01T20:05:00Z'],
  ['api-s1', 'A', 'shot', '2024-06-01T20:10:00Z'],
  ['api-s1', 'A', 'shot', '2024-06-01T20:11:00Z'],
  ['api-s1', 'B', 'pass', '2024-06-01T20:12:00Z'],
  ['api-s1', 'B', 'pass', '2024-06-01T20:13:00Z'],
  ['api-s1', 'B', 'yellow_card', '2024-06-01T20:20:00Z'],
  ['api-s1', '', 'corner', '2024-06-01T20:30:00Z'],
  ['api-s2', 'A', 'pass', '2024-06-01T23:55:00Z'],
  ['api-s2', 'C', 'goal', '2024-06-02T00:05:00Z'],
  ['api-s2', 'C', 'red_card', '2024-06-02T00:10:00Z'],
  ['api-s2', 'B', 'shot', '2024-06-02T00:15:00Z'],
  ['api-s3', 'A', 'pass', '2024-06-03T15:00:00Z'],
  ['api-s3', 'D', 'pass', '2024-06-03T15:01:00Z'],
  ['api-s3', 'D', 'pass', '2024-06-03T15:02:00Z'],
  ['api-s3', 'D', 'goal', '2024-06-03T15:03:00Z'],
];

const events: StoredEvent[] = plays.map(([matchId, player, eventType, timestamp]) => ({
  eventId: randomUUID(),
  matchId,
  eventType,
  timestamp,
  teamId: player === 'B' || player === 'D' ? 2 : 1,
  receivedAt: Date.parse(timestamp) + 100,
  ...(player ? { playerId: player } : {}),
}));

beforeAll(async () => {
  await runMigrations(clickhouse);
  await insertEvents(clickhouse, events, new Date('2024-06-04T00:00:00Z'));
  await insertEvents(clickhouse, events, new Date('2024-06-04T00:00:01Z')); // every event delivered twice
  await store.seal('api-s1'); // one match from its seal, the others from their raw rows
  registry = createRegistry();
  const { app, read } = readApp({ store, pollIntervalMs: 100 }, registry);
  readApi = read;
  api = await listen(app);
});

afterAll(async () => {
  readApi.close();
  await api.close();
  await execute(clickhouse, { nativeParams: false }, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
  await clickhouse.close();
});

describe('GET /api/stats/daily', () => {
  it('every day of the range, zero days included, exact under duplicates', async () => {
    const res = await get('/api/stats/daily?from=2024-05-31&to=2024-06-04');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectValid(DailyStats, res.body);
    const zero = { matches: 0, events: 0, goals: 0, cards: 0, activePlayers: 0 };
    expect(res.body).toEqual({
      from: '2024-05-31',
      to: '2024-06-04',
      days: [
        { day: '2024-05-31', ...zero },
        { day: '2024-06-01', matches: 2, events: 8, goals: 1, cards: 1, activePlayers: 2 }, // A, B
        { day: '2024-06-02', matches: 1, events: 3, goals: 1, cards: 1, activePlayers: 2 }, // C, B
        { day: '2024-06-03', matches: 1, events: 4, goals: 1, cards: 0, activePlayers: 2 }, // A, D
        { day: '2024-06-04', ...zero },
      ],
    });
  });

  it('a range of the longest span is accepted (2024 is a leap year: 366 days)', async () => {
    const res = await get('/api/stats/daily?from=2024-01-01&to=2024-12-31');
    expect(res.status).toBe(200);
    expectValid(DailyStats, res.body);
    const days = res.body.days as { day: string; events: number }[];
    expect(days).toHaveLength(STATS_LIMITS.maxSpanDays);
    expect(days[0]!.day).toBe('2024-01-01');
    expect(days.at(-1)!.day).toBe('2024-12-31');
    expect(days.reduce((n, d) => n + d.events, 0)).toBe(events.length);
  });
});

describe('GET /api/stats/top-events', () => {
  it('event types by distinct events, ties in byte order, `limit` of them', async () => {
    const res = await get('/api/stats/top-events?from=2024-06-01&to=2024-06-03&limit=4');
    expect(res.status).toBe(200);
    expectValid(TopEvents, res.body);
    expect(res.body).toEqual({
      from: '2024-06-01',
      to: '2024-06-03',
      limit: 4,
      items: [
        { eventType: 'pass', events: 6 },
        { eventType: 'goal', events: 3 },
        { eventType: 'shot', events: 3 },
        { eventType: 'corner', events: 1 },
      ],
    });
  });

  it('defaults to 10 and lists types without events too, up to all of them', async () => {
    const byDefault = await get('/api/stats/top-events?from=2024-06-02&to=2024-06-02');
    expectValid(TopEvents, byDefault.body);
    expect((byDefault.body.items as unknown[]).length).toBe(STATS_LIMITS.topEvents.default);
    const all = await get(`/api/stats/top-events?from=2024-06-02&to=2024-06-02&limit=${EVENT_TYPES.length}`);
    expectValid(TopEvents, all.body);
    const items = all.body.items as { eventType: string; events: number }[];
    expect(items.map((i) => i.eventType).sort()).toEqual([...EVENT_TYPES].sort());
    expect(items.slice(0, 3)).toEqual([
      { eventType: 'goal', events: 1 },
      { eventType: 'red_card', events: 1 },
      { eventType: 'shot', events: 1 },
    ]);
  });
});

describe('GET /api/stats/players', () => {
  it('a leaderboard across matches and teams: sorted by `by`, then events, then playerId; paged with a total', async () => {
    const res = await get('/api/stats/players?from=2024-06-01&to=2024-06-03&by=goals');
    expect(res.status).toBe(200);
    expectValid(PlayerLeaderboard, res.body);
    expect(res.body).toEqual({
      from: '2024-06-01',
      to: '2024-06-03',
      by: 'goals',
      total: 4,
      limit: 10,
      offset: 0,
      items: [
        { playerId: 'A', matches: 3, goals: 1, shots: 2, cards: 0, events: 5 },
        { playerId: 'D', matches: 1, goals: 1, shots: 0, cards: 0, events: 3 },
        { playerId: 'C', matches: 1, goals: 1, shots: 0, cards: 1, events: 2 },
        { playerId: 'B', matches: 2, goals: 0, shots: 1, cards: 1, events: 4 },
      ],
    });
    const page = await get('/api/stats/players?from=2024-06-01&to=2024-06-03&by=cards&limit=2&offset=1');
    expectValid(PlayerLeaderboard, page.body);
    expect(page.body).toMatchObject({ by: 'cards', total: 4, limit: 2, offset: 1 });
    // cards: B 1 (4 events), C 1 (2 events), then A 0 (5 events), D 0
    expect((page.body.items as { playerId: string }[]).map((p) => p.playerId)).toEqual(['C', 'A']);
    const past = await get('/api/stats/players?from=2024-06-01&to=2024-06-03&offset=10');
    expect(past.body).toMatchObject({ total: 4, items: [] });
  });

  it('the range cuts a match at midnight: only its events of those days count', async () => {
    const res = await get('/api/stats/players?from=2024-06-02&to=2024-06-02&by=events');
    expectValid(PlayerLeaderboard, res.body);
    expect(res.body.items).toEqual([
      { playerId: 'C', matches: 1, goals: 1, shots: 0, cards: 1, events: 2 },
      { playerId: 'B', matches: 1, goals: 0, shots: 1, cards: 0, events: 1 },
    ]);
  });
});

describe('GET /api/stats/retention', () => {
  it('day windows: cohort A and B (first seen 06-01); B back on 06-02, A on 06-03', async () => {
    const res = await get('/api/stats/retention?start=2024-06-01&window=day&windows=3');
    expect(res.status).toBe(200);
    expectValid(Retention, res.body);
    expect(res.body).toEqual({
      start: '2024-06-01',
      window: 'day',
      windows: 3,
      cohort: 2,
      items: [
        { window: 0, from: '2024-06-01', to: '2024-06-01', players: 2, share: 1 },
        { window: 1, from: '2024-06-02', to: '2024-06-02', players: 1, share: 0.5 },
        { window: 2, from: '2024-06-03', to: '2024-06-03', players: 1, share: 0.5 },
      ],
    });
  });

  it('defaults: 8 windows of a week', async () => {
    const res = await get('/api/stats/retention?start=2024-05-27');
    expectValid(Retention, res.body);
    expect(res.body).toMatchObject({ window: 'week', windows: 8, cohort: 3 }); // A, B, C (D comes later)
    const items = res.body.items as { from: string; to: string; players: number }[];
    expect(items).toHaveLength(8);
    expect(items[1]).toMatchObject({ from: '2024-06-03', to: '2024-06-09', players: 1 }); // A
    expect(items.slice(2).every((i) => i.players === 0)).toBe(true);
  });

  it('the longest windows are accepted', async () => {
    for (const q of ['window=day&windows=366', 'window=week&windows=52']) {
      const res = await get(`/api/stats/retention?start=2024-06-01&${q}`);
      expect(res.status).toBe(200);
      expectValid(Retention, res.body);
    }
  });
});

describe('bad parameters: 400 invalid-parameter naming the parameter', () => {
  const cases: [path: string, parameter: string][] = [
    ['/api/stats/daily', 'from'],
    ['/api/stats/daily?from=2024-06-01', 'to'],
    ['/api/stats/daily?from=2024-02-30&to=2024-03-01', 'from'],
    ['/api/stats/daily?from=2023-02-29&to=2023-03-01', 'from'],
    ['/api/stats/daily?from=2024-06-01&to=2024-13-01', 'to'],
    ['/api/stats/daily?from=2024-6-1&to=2024-06-02', 'from'],
    ['/api/stats/daily?from=2024-06-01T00:00:00Z&to=2024-06-02', 'from'],
    ['/api/stats/daily?from=1969-12-31&to=1970-01-01', 'from'],
    ['/api/stats/daily?from=2024-06-02&to=2024-06-01', 'to'],
    ['/api/stats/daily?from=2024-01-01&to=2025-01-01', 'to'], // 367 days
    ['/api/stats/daily?from=2024-06-01&from=2024-06-02&to=2024-06-03', 'from'],
    ['/api/stats/daily?from=2024-06-01&to=2024-06-02&day=1', 'day'],
    ['/api/stats/top-events?from=2024-06-01&to=2024-06-02&limit=0', 'limit'],
    ['/api/stats/top-events?from=2024-06-01&to=2024-06-02&limit=12', 'limit'],
    ['/api/stats/top-events?from=2024-06-03&to=2024-06-02', 'to'],
    ['/api/stats/players?from=2024-06-01&to=2024-06-02&by=assists', 'by'],
    ['/api/stats/players?from=2024-06-01&to=2024-06-02&limit=101', 'limit'],
    ['/api/stats/players?from=2024-06-01&to=2024-06-02&offset=-1', 'offset'],
    ['/api/stats/players?from=2024-06-01&to=2024-06-02&offset=100001', 'offset'],
    ['/api/stats/players?to=2024-06-02', 'from'],
    ['/api/stats/retention', 'start'],
    ['/api/stats/retention?start=2024-02-30', 'start'],
    ['/api/stats/retention?start=2024-06-01&window=month', 'window'],
    ['/api/stats/retention?start=2024-06-01&windows=0', 'windows'],
    ['/api/stats/retention?start=2024-06-01&window=week&windows=53', 'windows'],
    ['/api/stats/retention?start=2024-06-01&windows=53', 'windows'], // week by default
    ['/api/stats/retention?start=2024-06-01&window=day&windows=367', 'windows'],
    ['/api/stats/retention?start=2024-06-01&windows=1.5', 'windows'],
  ];

  it.each(cases)('%s → %s', async (path, parameter) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    expectValid(Problem, res.body);
    expect(res.body.type).toBe('urn:pitchpulse:problem:invalid-parameter');
    expect((res.body.errors as { path: string }[])[0]!.path).toBe(parameter);
  });

  it('only GET and HEAD', async () => {
    const res = await get('/api/stats/daily?from=2024-06-01&to=2024-06-02', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/GET/);
  });
});

describe('the OpenAPI document', () => {
  it('describes the four routes, their parameters and their bodies', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    await SwaggerParser.validate(structuredClone(res.body) as never);
    const paths = res.body.paths as Record<string, { get: Json }>;
    const shapes: Record<string, [string, string[]]> = {
      '/api/stats/daily': ['DailyStats', ['from', 'to']],
      '/api/stats/top-events': ['TopEvents', ['from', 'to', 'limit']],
      '/api/stats/players': ['PlayerLeaderboard', ['from', 'to', 'by', 'limit', 'offset']],
      '/api/stats/retention': ['Retention', ['start', 'window', 'windows']],
    };
    const components = (res.body.components as { schemas: Record<string, unknown> }).schemas;
    for (const [path, [schema, parameters]] of Object.entries(shapes)) {
      const op = paths[path]!.get as {
        parameters: { name: string }[];
        responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
      };
      expect(op.parameters.map((p) => p.name)).toEqual(parameters);
      expect(op.responses['200']!.content['application/json']!.schema.$ref).toBe(
        `#/components/schemas/${schema}`,
      );
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '405', '503']));
      expect(components[schema]).toBeDefined();
    }
  });
});

describe('caching', () => {
  const computations = async () =>
    sampleSum(await registry.metrics(), 'read_computations_total', { resource: 'stats-daily' });

  it('computes an answer once while nothing is stored, and shows a new event within a second', async () => {
    const path = '/api/stats/daily?from=2024-06-10&to=2024-06-11';
    const before = await computations();
    const first = await get(path);
    const second = await get(path);
    expect(second.body).toEqual(first.body);
    expect(await computations()).toBe(before + 1);
    const late: StoredEvent = {
      eventId: randomUUID(),
      matchId: 'api-s4',
      eventType: 'goal',
      timestamp: '2024-06-11T12:00:00Z',
      teamId: 1,
      playerId: 'E',
      receivedAt: Date.parse('2024-06-11T12:00:00Z'),
    };
    await insertEvents(clickhouse, [late], new Date());
    const stored = Date.now();
    let days: { day: string; goals: number }[] = [];
    while (Date.now() - stored < 3000) {
      days = (await get(path)).body.days as typeof days;
      if (days[1]!.goals === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(days.map((d) => [d.day, d.goals])).toEqual([
      [isoDateOf(Date.parse('2024-06-10') / 86_400_000), 0],
      ['2024-06-11', 1],
    ]);
    expect(Date.now() - stored).toBeLessThan(1500);
  });
});
