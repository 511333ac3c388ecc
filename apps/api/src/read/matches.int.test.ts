/**
 * The read API over HTTP against the embedded stack's ClickHouse 18.16: known events are inserted straight into
 * a fresh database (as the consumer would), and every answer is compared with what those events imply,
 * computed here independently of the SQL.
 */
import { randomUUID } from 'node:crypto';
import {
  ClickHouseStore,
  execute,
  identifier,
  insertEvents,
  insertRetractions,
  runMigrations,
  sql,
} from '@pitchpulse/clickhouse';
import {
  EVENT_TYPES,
  MatchMetrics,
  MatchRetractions,
  buildOpenApi,
  validatorFor,
  type StoredEvent,
} from '@pitchpulse/contract';
import { clickhouseCluster, testClickHouseClient } from '@pitchpulse/clickhouse/testing';
import { createRegistry } from '@pitchpulse/observability';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import SwaggerParser from '@apidevtools/swagger-parser';
import { listen, type Listening, post, readApp, sampleEvent } from '../testing';
import type { ReadOptions, ReadService } from './service';

type Json = Record<string, unknown>;

const database = `read_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
// the test stack's cluster in `pnpm test:cluster`
const clickhouse = testClickHouseClient(database);
const registry = createRegistry();

let readApi: ReadService;
let api: Listening;

function startReadApp(options: Partial<ReadOptions> = {}) {
  return readApp({ store: new ClickHouseStore(clickhouse), pollIntervalMs: 100, ...options });
}

beforeAll(async () => {
  await runMigrations(clickhouse);
  const { read, app } = startReadApp();
  readApi = read;
  api = await listen(app);
});

afterAll(async () => {
  readApi.close();
  await api.close();
  await execute(clickhouse, { nativeParams: false }, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
  await clickhouse.close();
  void registry;
});

async function get(path: string): Promise<{ status: number; headers: Headers; body: Json; text: string }> {
  const res = await fetch(`${api.url}${path}`);
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text };
}

// ---------------------------------------------------------------------------------------------------------
// Known events and what they imply (computed here, independently of the SQL)

const KICKOFF = Date.parse('2024-05-18T14:00:00.000Z');

interface Spec {
  type: StoredEvent['eventType'];
  team: 1 | 2;
  /** seconds after kickoff */
  at: number;
  player?: string;
  /** metadata.minute; omitted = the feed sent none */
  minute?: number;
}

function makeEvents(matchId: string, specs: Spec[], insertedAt: number): StoredEvent[] {
  return specs.map((s, i) => ({
    eventId: randomUUID(),
    matchId,
    eventType: s.type,
    timestamp: new Date(KICKOFF + s.at * 1000 + (i % 7) * 13).toISOString(),
    teamId: s.team,
    ...(s.player ? { playerId: s.player } : {}),
    metadata: s.minute === undefined ? { note: 'no minute' } : { minute: s.minute },
    receivedAt: insertedAt - 5 - ((i * 37) % 400),
  }));
}

/** A small match: a busy 12th minute, a tie between minutes 30 and 31, goals, cards, events without players. */
function matchSpecs(): Spec[] {
  const specs: Spec[] = [];
  const add = (n: number, s: Spec) => {
    for (let i = 0; i < n; i++) specs.push({ ...s, at: s.at + i });
  };
  add(6, { type: 'pass', team: 1, at: 0, player: 'p-1', minute: 0 });
  add(2, { type: 'shot', team: 1, at: 60, player: 'p-2', minute: 1 });
  add(1, { type: 'goal', team: 1, at: 70, player: 'p-2', minute: 1 });
  add(9, { type: 'pass', team: 2, at: 720, player: 'p-7', minute: 12 });
  add(3, { type: 'interception', team: 1, at: 730, player: 'p-3', minute: 12 });
  add(4, { type: 'foul', team: 2, at: 1800, player: 'p-8', minute: 30 });
  add(4, { type: 'corner', team: 1, at: 1860, minute: 31 });
  add(1, { type: 'yellow_card', team: 2, at: 1870, player: 'p-8', minute: 31 });
  add(1, { type: 'red_card', team: 2, at: 2700, player: 'p-9', minute: 45 });
  add(3, { type: 'shot', team: 2, at: 3000, player: 'p-7', minute: 50 });
  add(1, { type: 'goal', team: 2, at: 3010, player: 'p-7', minute: 50 });
  add(2, { type: 'offside', team: 1, at: 3300 }); // no feed minute: 55 minutes after the first event's minute
  add(1, { type: 'goal', team: 1, at: 5400, minute: 90 }); // no player
  return specs;
}

function minuteOf(e: StoredEvent, firstMs: number): number {
  const m = (e.metadata as { minute?: unknown }).minute;
  if (typeof m === 'number') return m;
  const minuteStart = (ms: number) => Math.floor(ms / 60_000) * 60_000;
  return Math.max(0, (minuteStart(Date.parse(e.timestamp)) - minuteStart(firstMs)) / 60_000);
}

function distinct(events: StoredEvent[]): StoredEvent[] {
  const seen = new Map<string, StoredEvent>();
  for (const e of events) if (!seen.has(e.eventId)) seen.set(e.eventId, e);
  return [...seen.values()];
}

function expectedMetrics(matchId: string, stored: Array<{ event: StoredEvent; insertedAt: number }>) {
  const events = distinct(stored.map((s) => s.event));
  const times = events.map((e) => Date.parse(e.timestamp));
  const first = Math.min(...times);
  const byType = Object.fromEntries(
    EVENT_TYPES.map((t) => [t, events.filter((e) => e.eventType === t).length]),
  );
  const top = <K extends number>(counts: Map<K, number>) =>
    [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5);
  const perMinute = new Map<number, number>();
  const perClockMinute = new Map<number, number>();
  for (const e of events) {
    const clock = Math.floor(Date.parse(e.timestamp) / 60_000) * 60_000;
    perMinute.set(minuteOf(e, first), (perMinute.get(minuteOf(e, first)) ?? 0) + 1);
    perClockMinute.set(clock, (perClockMinute.get(clock) ?? 0) + 1);
  }
  const periods = top(perMinute).map(([minute, eventCount]) => ({ minute, eventCount }));
  const clockPeriods = top(perClockMinute).map(([start, eventCount]) => ({
    timestamp: new Date(start).toISOString().replace('.000Z', 'Z'),
    eventCount,
  }));
  const team = (id: number) => {
    const t = events.filter((e) => e.teamId === id);
    const n = (type: string) => t.filter((e) => e.eventType === type).length;
    return { events: t.length, goals: n('goal'), shots: n('shot'), cards: n('yellow_card') + n('red_card') };
  };
  const latencies = stored.map((s) => Math.max(0, s.insertedAt - s.event.receivedAt)).sort((a, b) => a - b);
  const q = (level: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(level * latencies.length))];
  return {
    matchId,
    totalEvents: events.length,
    eventsByType: byType,
    goals: byType.goal,
    yellowCards: byType.yellow_card,
    redCards: byType.red_card,
    firstEventAt: new Date(first).toISOString(),
    lastEventAt: new Date(Math.max(...times)).toISOString(),
    peakMinute: { minute: clockPeriods[0]!.timestamp, eventCount: clockPeriods[0]!.eventCount },
    peakEngagementPeriods: clockPeriods,
    peakMatchMinute: periods[0],
    peakMatchMinutes: periods,
    byTeam: { '1': team(1), '2': team(2) },
    flaggedEvents: 0,
    pipelineLatencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
  };
}

// ---------------------------------------------------------------------------------------------------------

describe('GET /api/matches/{matchId}/metrics', () => {
  const matchId = `rd-metrics-${randomUUID().slice(0, 8)}`;
  const stored: Array<{ event: StoredEvent; insertedAt: number }> = [];
  const deliver = async (events: StoredEvent[], insertedAt: number) => {
    await insertEvents(clickhouse, events, new Date(insertedAt));
    for (const event of events) stored.push({ event, insertedAt });
  };

  beforeAll(async () => {
    const insertedAt = Date.parse('2024-05-18T16:00:00.000Z');
    await deliver(makeEvents(matchId, matchSpecs(), insertedAt), insertedAt);
  });

  it('answers every field as the events imply, with the ingest response-time window', async () => {
    // A few ingest requests, so the window has samples.
    for (let i = 0; i < 5; i++) expect((await post(`${api.url}/api/events`, sampleEvent())).status).toBe(202);
    const res = await get(`/api/matches/${matchId}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { responseTimePercentiles, ...rest } = res.body;
    expect(rest).toEqual(expectedMetrics(matchId, stored));
    // The expected values, spelled out for the reader.
    expect(res.body).toMatchObject({
      totalEvents: 38,
      goals: 3,
      peakMinute: { minute: '2024-05-18T14:12:00Z', eventCount: 12 },
      peakEngagementPeriods: [
        { timestamp: '2024-05-18T14:12:00Z', eventCount: 12 },
        { timestamp: '2024-05-18T14:00:00Z', eventCount: 6 },
        { timestamp: '2024-05-18T14:31:00Z', eventCount: 5 },
        { timestamp: '2024-05-18T14:30:00Z', eventCount: 4 },
        { timestamp: '2024-05-18T14:50:00Z', eventCount: 4 },
      ],
      peakMatchMinute: { minute: 12, eventCount: 12 },
      peakMatchMinutes: [
        { minute: 12, eventCount: 12 },
        { minute: 0, eventCount: 6 },
        { minute: 31, eventCount: 5 },
        { minute: 30, eventCount: 4 },
        { minute: 50, eventCount: 4 },
      ],
      byTeam: {
        '1': { events: 19, goals: 2, shots: 2, cards: 0 },
        '2': { events: 19, goals: 1, shots: 3, cards: 2 },
      },
    });
    const p = responseTimePercentiles as { p50: number; p95: number; p99: number };
    expect(p.p50).toBeGreaterThan(0);
    expect(p.p50).toBeLessThanOrEqual(p.p95);
    expect(p.p95).toBeLessThanOrEqual(p.p99);
    const conforms = validatorFor(MatchMetrics);
    expect({ valid: conforms(res.body), errors: conforms.errors ?? null }).toEqual({
      valid: true,
      errors: null,
    });
  });

  it('peaks by wall clock and by match minute differ when the feed’s minutes do', async () => {
    // Feed minute 3 is spread over two wall-clock minutes (6 + 5 events); feed minute 20 fills one (8 events).
    const id = `rd-peaks-${randomUUID().slice(0, 8)}`;
    const insertedAt = Date.parse('2024-05-18T16:00:00.000Z');
    const specs: Spec[] = [
      ...Array.from({ length: 6 }, (_, i): Spec => ({ type: 'pass', team: 1, at: 170 + i, minute: 3 })),
      ...Array.from({ length: 5 }, (_, i): Spec => ({ type: 'pass', team: 2, at: 181 + i, minute: 3 })),
      ...Array.from({ length: 8 }, (_, i): Spec => ({ type: 'shot', team: 1, at: 420 + i, minute: 20 })),
    ];
    const events = makeEvents(id, specs, insertedAt);
    await insertEvents(clickhouse, events, new Date(insertedAt));
    const res = await get(`/api/matches/${id}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      peakMinute: { minute: '2024-05-18T14:07:00Z', eventCount: 8 },
      peakEngagementPeriods: [
        { timestamp: '2024-05-18T14:07:00Z', eventCount: 8 },
        { timestamp: '2024-05-18T14:02:00Z', eventCount: 6 },
        { timestamp: '2024-05-18T14:03:00Z', eventCount: 5 },
      ],
      peakMatchMinute: { minute: 3, eventCount: 11 },
      peakMatchMinutes: [
        { minute: 3, eventCount: 11 },
        { minute: 20, eventCount: 8 },
      ],
    });
    const { responseTimePercentiles: _p, ...rest } = res.body;
    expect(rest).toEqual(
      expectedMetrics(
        id,
        events.map((event) => ({ event, insertedAt })),
      ),
    );
  });

  it('counts every event once after duplicates were stored (latency counts every stored row)', async () => {
    const before = (await get(`/api/matches/${matchId}/metrics`)).body;
    const again = stored.filter((_, i) => i % 3 === 0).map((s) => s.event);
    await deliver(again, Date.parse('2024-05-18T16:05:00.000Z'));
    const expected = expectedMetrics(matchId, stored);
    // Served from memory until the shared poll sees the new rows (at most a second).
    await waitFor(async () => {
      const { responseTimePercentiles: _p, ...body } = (await get(`/api/matches/${matchId}/metrics`)).body;
      return JSON.stringify(body) === JSON.stringify(expected);
    });
    const after = (await get(`/api/matches/${matchId}/metrics`)).body;
    const counts = (b: Json) => {
      const { responseTimePercentiles: _r, pipelineLatencyMs: _l, ...rest } = b;
      return rest;
    };
    expect(counts(after)).toEqual(counts(before));
    expect(after.pipelineLatencyMs).not.toEqual(before.pipelineLatencyMs);
  });

  it('never serves an answer older than a second: a read 1 s after an insert sees it', async () => {
    const insertedAt = Date.now();
    await deliver(
      makeEvents(matchId, [{ type: 'corner', team: 2, at: 4000, minute: 66 }], insertedAt),
      insertedAt,
    );
    const inserted = performance.now();
    await sleep(1000 - (performance.now() - inserted) + 20);
    const res = await get(`/api/matches/${matchId}/metrics`);
    expect(res.body.totalEvents).toBe(expectedMetrics(matchId, stored).totalEvents);
  });

  it('is labelled by route template in the Prometheus metrics', async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/matches\/:matchId\/metrics",status="200"\}/,
    );
    expect(text).not.toContain(matchId);
    // served from memory: as current on one server; on a cluster as `stale` until 6 s after the marker moved (cache.ts)
    const fromMemory = clickhouseCluster() ? 'stale' : 'hit';
    expect(text).toMatch(
      new RegExp(`read_cache_requests_total\\{resource="metrics",result="${fromMemory}"\\} [1-9]`),
    );
  });
});

describe('timeline, highlights, players', () => {
  const matchId = `rd-detail-${randomUUID().slice(0, 8)}`;
  let events: StoredEvent[];

  beforeAll(async () => {
    const insertedAt = Date.parse('2024-05-18T16:00:00.000Z');
    events = makeEvents(matchId, matchSpecs(), insertedAt);
    await insertEvents(clickhouse, events, new Date(insertedAt));
    // Duplicates change nothing below.
    await insertEvents(clickhouse, events.slice(0, 20), new Date(insertedAt + 60_000));
  });

  it('timeline: distinct events per 1m and 5m bucket and type', async () => {
    const first = Math.min(...events.map((e) => Date.parse(e.timestamp)));
    for (const [bucket, size] of [
      ['1m', 1],
      ['5m', 5],
    ] as const) {
      const expected = new Map<number, { minute: number; total: number; counts: Record<string, number> }>();
      for (const e of events) {
        const m = Math.floor(minuteOf(e, first) / size) * size;
        const b = expected.get(m) ?? { minute: m, total: 0, counts: {} };
        b.total++;
        b.counts[e.eventType] = (b.counts[e.eventType] ?? 0) + 1;
        expected.set(m, b);
      }
      const buckets = [...expected.values()]
        .sort((a, b) => a.minute - b.minute)
        .map((b) => ({
          ...b,
          counts: Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => (x < y ? -1 : 1))),
        }));
      const res = await get(`/api/matches/${matchId}/timeline?bucket=${bucket}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ matchId, bucket, buckets });
    }
    expect((await get(`/api/matches/${matchId}/timeline`)).body.bucket).toBe('1m');
  });

  it('highlights: goals and red cards newest first, titled, paginated', async () => {
    const all = (await get(`/api/matches/${matchId}/highlights?limit=100`)).body;
    expect(all.total).toBe(4);
    const items = all.items as Json[];
    expect(items.map((h) => h.title)).toEqual([
      "GOAL — Team 1 (90')",
      "GOAL — Team 2, p-7 (50')",
      "RED CARD — Team 2, p-9 (45')",
      "GOAL — Team 1, p-2 (1')",
    ]);
    const goal = events.find((e) => e.eventType === 'goal' && e.teamId === 2)!;
    expect(items[1]).toEqual({
      highlightId: goal.eventId,
      matchId,
      eventId: goal.eventId,
      eventType: 'goal',
      teamId: 2,
      playerId: 'p-7',
      minute: 50,
      timestamp: goal.timestamp,
      metadata: { minute: 50 },
      // not enriched (no enricher runs here): the title from the event alone
      status: 'PENDING',
      title: "GOAL — Team 2, p-7 (50')",
      summary: null,
      error: null,
      attempts: 0,
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
    });
    const page1 = (await get(`/api/matches/${matchId}/highlights?limit=2&offset=0`)).body;
    const page2 = (await get(`/api/matches/${matchId}/highlights?limit=2&offset=2`)).body;
    const page3 = (await get(`/api/matches/${matchId}/highlights?limit=2&offset=4`)).body;
    expect(page1).toMatchObject({ matchId, total: 4, limit: 2, offset: 0 });
    expect([...(page1.items as Json[]), ...(page2.items as Json[])]).toEqual(items);
    expect(page3).toMatchObject({ total: 4, offset: 4, items: [] });
  });

  it('players: ranked by events, goals or shots', async () => {
    const byEvents = (await get(`/api/matches/${matchId}/players?limit=3`)).body;
    expect(byEvents).toEqual({
      matchId,
      by: 'events',
      items: [
        { playerId: 'p-7', teamId: 2, events: 13, goals: 1, shots: 3 },
        { playerId: 'p-1', teamId: 1, events: 6, goals: 0, shots: 0 },
        { playerId: 'p-8', teamId: 2, events: 5, goals: 0, shots: 0 },
      ],
    });
    const byGoals = (await get(`/api/matches/${matchId}/players?by=goals&limit=2`)).body;
    expect(byGoals.items).toEqual([
      { playerId: 'p-7', teamId: 2, events: 13, goals: 1, shots: 3 },
      { playerId: 'p-2', teamId: 1, events: 3, goals: 1, shots: 2 },
    ]);
    const byShots = (await get(`/api/matches/${matchId}/players?by=shots&limit=1`)).body;
    expect(byShots.items).toEqual([{ playerId: 'p-7', teamId: 2, events: 13, goals: 1, shots: 3 }]);
  });
});

describe('GET /api/matches', () => {
  it('lists live matches first, then by latest event, with totals and scores, paginated', async () => {
    const now = Date.now();
    const tag = randomUUID().slice(0, 6);
    const at = (matchId: string, ms: number, type: StoredEvent['eventType'], team: 1 | 2): StoredEvent => ({
      eventId: randomUUID(),
      matchId,
      eventType: type,
      timestamp: new Date(ms).toISOString(),
      teamId: team,
      receivedAt: ms + 500, // a live feed: received as it happens (live is by receipt time)
    });
    // Later in time than any other test's match: these four are the first four of the list.
    const live = `rd-list-live-${tag}`;
    const recent = `rd-list-recent-${tag}`;
    const older = `rd-list-older-${tag}`;
    const ending = `rd-list-ending-${tag}`;
    const rows = [
      at(live, now - 60_000, 'goal', 1),
      at(live, now - 30_000, 'goal', 2),
      at(live, now - 20_000, 'goal', 2),
      at(live, now - 10_000, 'pass', 1),
      at(recent, now - 20 * 60_000, 'pass', 1),
      at(recent, now - 19 * 60_000, 'goal', 1),
      at(older, now - 40 * 60_000, 'shot', 2),
      at(ending, now - 4 * 60_000 - 50_000, 'pass', 2), // still live: latest event received under 5 minutes ago
    ];
    await insertEvents(clickhouse, rows);
    await insertEvents(clickhouse, rows.slice(0, 3)); // redelivered: counted once

    // Other tests' matches were received moments ago too (live, with older events): these four keep their order
    // among the list, the two live ones first of all (their events are the latest).
    const page = (await get('/api/matches?limit=100&offset=0')).body;
    const ids = (page.items as Json[]).map((m) => m.matchId as string);
    expect(ids.filter((id) => id.endsWith(tag))).toEqual([live, ending, recent, older]);
    expect(ids.slice(0, 2)).toEqual([live, ending]);
    expect((page.items as Json[])[0]).toEqual({
      matchId: live,
      totalEvents: 4,
      score: { '1': 1, '2': 2 },
      firstEventAt: new Date(now - 60_000).toISOString(),
      lastEventAt: new Date(now - 10_000).toISOString(),
      live: true,
    });
    const liveOf = (id: string) => (page.items as Json[]).find((m) => m.matchId === id)!.live;
    expect([live, ending, recent, older].map(liveOf)).toEqual([true, true, false, false]);
    const offset = ids.indexOf(recent);
    const second = (await get(`/api/matches?limit=2&offset=${offset}`)).body;
    expect((second.items as Json[]).map((m) => m.matchId)).toEqual([recent, older]);
    expect(second.total).toBe(page.total);
    expect((second.items as Json[])[0]).toMatchObject({
      totalEvents: 2,
      score: { '1': 1, '2': 0 },
      live: false,
    });
  });
});

describe('GET /api/matches/{matchId}/stream', () => {
  const matchId = `rd-live-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const insertedAt = Date.now();
    await insertEvents(
      clickhouse,
      makeEvents(matchId, matchSpecs().slice(0, 10), insertedAt),
      new Date(insertedAt),
    );
  });

  interface Stream {
    messages: EventSourceMessage[];
    comments: string[];
    retry: number | undefined;
    headers: Headers;
    status: number;
    ended: Promise<void>;
    abort: () => void;
    next: (predicate: (m: EventSourceMessage) => boolean, timeoutMs: number) => Promise<EventSourceMessage>;
  }

  async function open(url: string): Promise<Stream> {
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
    const stream: Stream = {
      messages: [],
      comments: [],
      retry: undefined,
      headers: res.headers,
      status: res.status,
      ended: Promise.resolve(),
      abort: () => controller.abort(),
      next: async (predicate, timeoutMs) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = stream.messages.find(predicate);
          if (found) return found;
          if (Date.now() > deadline) throw new Error(`no matching SSE message within ${timeoutMs} ms`);
          await sleep(10);
        }
      },
    };
    const parser = createParser({
      onEvent: (m) => stream.messages.push(m),
      onComment: (c) => stream.comments.push(c),
      onRetry: (ms) => (stream.retry = ms),
    });
    stream.ended = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
        }
      } catch {
        // aborted
      }
    })();
    return stream;
  }

  it('sends the metrics at once and an update within 2 s of an insert, to every client from one computation', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => open(`${api.url}/api/matches/${matchId}/stream`)));
    const [a] = clients;
    expect(a!.status).toBe(200);
    expect(a!.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(a!.headers.get('x-accel-buffering')).toBe('no');
    expect(a!.headers.get('cache-control')).toContain('no-cache');
    for (const c of clients) {
      const first = await c.next((m) => m.event === 'metrics', 2000);
      expect(JSON.parse(first.data)).toMatchObject({ matchId, totalEvents: 10 });
    }
    expect(a!.retry).toBe(3000);

    const computations = async () => {
      const text = await (await fetch(`${api.url}/metrics`)).text();
      return Number(/read_computations_total\{resource="metrics"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await computations();
    const insertedAt = Date.now();
    await insertEvents(
      clickhouse,
      makeEvents(matchId, [{ type: 'goal', team: 2, at: 4000, player: 'p-5', minute: 67 }], insertedAt),
      new Date(insertedAt),
    );
    const flushed = performance.now();
    for (const c of clients) {
      const update = await c.next(
        (m) => m.event === 'metrics' && JSON.parse(m.data).totalEvents === 11,
        2000,
      );
      expect(JSON.parse(update.data)).toMatchObject({ matchId, totalEvents: 11 });
    }
    const tookMs = performance.now() - flushed;
    expect(tookMs).toBeLessThan(2000);
    // One computation served all three clients (a second one at most, if the first caught a view mid-insert).
    const computed = (await computations()) - before;
    expect(computed).toBeGreaterThanOrEqual(1);
    expect(computed).toBeLessThanOrEqual(2);
    for (const c of clients) c.abort();
  });

  it('sends heartbeats, is not a request in flight, and ends cleanly when the API closes', async () => {
    const { read, app } = startReadApp({ heartbeatMs: 100 });
    const own = await listen(app);
    try {
      const s = await open(`${own.url}/api/matches/${matchId}/stream`);
      await s.next((m) => m.event === 'metrics', 2000);
      // Open streams must not hold the load-shedding limit or the drain.
      expect((app.locals.lifecycle as { inFlight: number }).inFlight).toBe(0);
      await waitFor(async () => s.comments.filter((c) => c.trim() === 'heartbeat').length >= 2);
      read.close();
      await expect(
        Promise.race([s.ended.then(() => 'ended'), sleep(2000).then(() => 'still open')]),
      ).resolves.toBe('ended');
    } finally {
      read.close();
      await own.close();
    }
  });

  it('refuses streams beyond the limit with 503 and Retry-After', async () => {
    const { read, app } = startReadApp({ maxStreams: 1 });
    const own = await listen(app);
    try {
      const first = await open(`${own.url}/api/matches/${matchId}/stream`);
      await first.next((m) => m.event === 'metrics', 2000);
      const second = await fetch(`${own.url}/api/matches/${matchId}/stream`);
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('5');
      expect(await second.json()).toMatchObject({ type: 'urn:pitchpulse:problem:overloaded' });
      first.abort();
      await waitFor(async () => read.hub.clients === 0);
      const third = await open(`${own.url}/api/matches/${matchId}/stream`);
      expect(third.status).toBe(200);
      third.abort();
    } finally {
      read.close();
      await own.close();
    }
  });

  it('answers 404 for a match without events', async () => {
    const res = await get(`/api/matches/rd-nothing-${randomUUID().slice(0, 8)}/stream`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('pushes the metrics without a retracted goal within 2 s of its retraction; /retractions lists it', async () => {
    const s = await open(`${api.url}/api/matches/${matchId}/stream`);
    const before = JSON.parse((await s.next((m) => m.event === 'metrics', 2000)).data) as MatchMetrics;
    const insertedAt = Date.now();
    const [goal] = makeEvents(matchId, [{ type: 'goal', team: 1, at: 5000, minute: 80 }], insertedAt);
    await insertEvents(clickhouse, [goal!], new Date(insertedAt));
    await s.next((m) => m.event === 'metrics' && JSON.parse(m.data).goals === before.goals + 1, 2000);
    const retraction = {
      kind: 'retraction' as const,
      eventId: goal!.eventId,
      matchId,
      reason: 'VAR: offside',
    };
    await insertRetractions(clickhouse, [{ ...retraction, receivedAt: Date.now() }]);
    const after = await s.next(
      (m) => m.event === 'metrics' && JSON.parse(m.data).goals === before.goals,
      2000,
    );
    expect(JSON.parse(after.data)).toEqual({ ...before, byTeam: expect.any(Object) });
    expect(JSON.parse(after.data).byTeam).toEqual(before.byTeam);
    s.abort();

    const listed = await get(`/api/matches/${matchId}/retractions`);
    expect(listed.status).toBe(200);
    expect(validatorFor(MatchRetractions)(listed.body)).toBe(true);
    expect(listed.body).toEqual({
      matchId,
      total: 1,
      notFound: 0,
      items: [
        {
          eventId: goal!.eventId,
          reason: 'VAR: offside',
          retractedAt: expect.any(String),
          found: true,
          eventType: 'goal',
        },
      ],
    });
    expect((await get(`/api/matches/rd-nothing-${randomUUID().slice(0, 8)}/retractions`)).status).toBe(404);
  });
});

describe('parameters are validated: 400 naming the parameter, 404 for an unknown match, never 500', () => {
  const hostile = [
    "x' OR '1'='1",
    'x"; DROP TABLE events; --',
    "'; SELECT * FROM system.users --",
    'm'.repeat(4096),
    'm'.repeat(65),
    '⚽-match',
    'match%00',
    '%00',
    '%E0%A4%A',
    '%',
    'a b',
    '..',
    'match\\x',
    '%27%20OR%201%3D1',
    'x%0d%0aX-Injected: yes',
  ];

  const label = (h: string) => (h.length > 70 ? `${h.slice(0, 12)}… (${h.length} characters)` : h);
  it.each(hostile.map((h) => [label(h), h]))('matchId %s', async (_label, raw) => {
    const id = raw.includes('%') ? raw : encodeURIComponent(raw);
    for (const suffix of ['metrics', 'timeline', 'highlights', 'players', 'stream']) {
      // `..` is resolved by the URL itself: /api/matches/../highlights is GET /api/highlights, another route.
      if (!new URL(`/api/matches/${id}/${suffix}`, 'http://h').pathname.startsWith('/api/matches/')) continue;
      const res = await get(`/api/matches/${id}/${suffix}`);
      expect({ suffix, ok: [400, 404].includes(res.status) }).toEqual({ suffix, ok: true });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      if (res.status === 400) {
        expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:invalid-parameter', status: 400 });
        expect((res.body.errors as Json[])[0]!.path).toBe('matchId');
      }
      expect(res.headers.get('x-injected')).toBeNull();
    }
  });

  it('a well-formed id without events is 404', async () => {
    const res = await get('/api/matches/no-such-match.2024:x_y-z/metrics');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:not-found', status: 404 });
  });

  it.each([
    ['/api/matches?limit=0', 'limit'],
    ['/api/matches?limit=101', 'limit'],
    ['/api/matches?limit=abc', 'limit'],
    ['/api/matches?limit=1.5', 'limit'],
    ['/api/matches?limit=-1', 'limit'],
    ['/api/matches?limit=1e3', 'limit'],
    ['/api/matches?offset=-1', 'offset'],
    ['/api/matches?offset=100001', 'offset'],
    ['/api/matches?limit=1&limit=2', 'limit'],
    ['/api/matches?limt=5', 'limt'],
    ['/api/matches?limit[a]=1', 'limit[a]'],
    ['/api/matches/m/timeline?bucket=2m', 'bucket'],
    ['/api/matches/m/timeline?bucket=toString', 'bucket'],
    ['/api/matches/m/timeline?bucket=', 'bucket'],
    ['/api/matches/m/highlights?limit=0', 'limit'],
    ['/api/matches/m/highlights?offset=x', 'offset'],
    ['/api/matches/m/players?by=name', 'by'],
    ['/api/matches/m/players?limit=101', 'limit'],
    ['/api/matches/m/metrics?debug=1', 'debug'],
  ])('%s → 400 naming %s', async (path, name) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:invalid-parameter' });
    expect((res.body.errors as Json[])[0]!.path).toBe(name);
  });

  it('other methods are 405 with Allow', async () => {
    const res = await fetch(`${api.url}/api/matches/m/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('OpenAPI', () => {
  it('documents every read route, and the document stays valid OpenAPI 3.1', async () => {
    const doc = buildOpenApi({ apiKeys: true });
    await SwaggerParser.validate(structuredClone(doc) as never);
    const served = (await get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining([
        '/api/matches',
        '/api/matches/{matchId}/metrics',
        '/api/matches/{matchId}/timeline',
        '/api/matches/{matchId}/highlights',
        '/api/matches/{matchId}/players',
        '/api/matches/{matchId}/stream',
      ]),
    );
    const init = await (await fetch(`${api.url}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('/api/matches/{matchId}/stream');
  });
});

// ---------------------------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}
