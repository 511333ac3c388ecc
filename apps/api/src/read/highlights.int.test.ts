/**
 * GET /api/highlights and /api/highlights/{id} over HTTP against the embedded stack's ClickHouse 18.16: goals and
 * red cards inserted as the consumer would (one redelivered) are one highlight each; an enrichment pass (the
 * worker's, with the default enricher) makes them READY; the list pages newest first, filters by match and
 * status, is validated like every read route, and its first page is at most a second stale.
 */
import { randomUUID } from 'node:crypto';
import {
  ClickHouseStore,
  createClickHouseClient,
  detectCapabilities,
  execute,
  identifier,
  insertEvents,
  runMigrations,
  sql,
} from '@pitchpulse/clickhouse';
import { HighlightList, validatorFor, type StoredEvent } from '@pitchpulse/contract';
import { defaultEnricher, enrichDue } from '@pitchpulse/highlights';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { listen, type Listening, readApp } from '../testing';
import type { ReadService } from './service';

type Json = Record<string, unknown>;

const database = `hl_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const clickhouse = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database });
let readApi: ReadService;
let api: Listening;

const KICKOFF = Date.parse('2024-06-01T18:00:00.000Z');
const event = (matchId: string, eventType: StoredEvent['eventType'], minute: number, teamId: 1 | 2) =>
  ({
    eventId: randomUUID(),
    matchId,
    eventType,
    timestamp: new Date(KICKOFF + minute * 60_000).toISOString(),
    teamId,
    playerId: `p-${minute}`,
    metadata: { minute },
    receivedAt: KICKOFF + minute * 60_000 + 100,
  }) as StoredEvent;

const matchA = [event('hl-a', 'pass', 0, 1), event('hl-a', 'goal', 10, 1), event('hl-a', 'red_card', 30, 2)];
const matchB = [event('hl-b', 'goal', 20, 2), event('hl-b', 'goal', 40, 2)];
const newestFirst = [matchB[1]!, matchA[2]!, matchB[0]!, matchA[1]!].map((e) => e.eventId);

async function get(path: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as Json };
}

const ids = (body: Json) => (body.items as Json[]).map((h) => h.highlightId);

beforeAll(async () => {
  await runMigrations(clickhouse);
  await insertEvents(clickhouse, [...matchA, ...matchB], new Date(KICKOFF + 7_200_000));
  await insertEvents(clickhouse, [matchA[1]!], new Date(KICKOFF + 7_300_000)); // redelivered
  const { app, read } = readApp({ store: new ClickHouseStore(clickhouse), pollIntervalMs: 100 });
  readApi = read;
  api = await listen(app);
});

afterAll(async () => {
  readApi.close();
  await api.close();
  await execute(clickhouse, { nativeParams: false }, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
  await clickhouse.close();
});

describe('GET /api/highlights', () => {
  it('lists every highlight once, newest first, PENDING with a title from the event', async () => {
    const res = await get('/api/highlights');
    expect(res.status).toBe(200);
    expect(validatorFor(HighlightList)(res.body)).toBe(true);
    expect(res.body).toMatchObject({ page: 1, pageSize: 20, total: 4 });
    expect(ids(res.body)).toEqual(newestFirst);
    expect((res.body.items as Json[])[3]).toMatchObject({
      status: 'PENDING',
      title: "GOAL — Team 1, p-10 (10')",
      summary: null,
    });
  });

  it('after an enrichment pass: READY with the enricher title and summary (first page ≤ 1 s stale)', async () => {
    const caps = await detectCapabilities(clickhouse);
    const policy = { batch: 50, maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 1, timeoutMs: 1000 };
    await enrichDue({ client: clickhouse, caps, enricher: defaultEnricher, policy });
    await new Promise((r) => setTimeout(r, 1100));
    const res = await get('/api/highlights?matchId=hl-b');
    expect((res.body.items as Json[]).map((h) => [h.status, h.title, h.summary])).toEqual([
      ['READY', "GOAL — Team 2 0–2, p-40 (40')", 'p-40 scores for Team 2 in the 40th minute: 0–2.'],
      ['READY', "GOAL — Team 2 0–1, p-20 (20')", 'p-20 scores for Team 2 in the 20th minute: 0–1.'],
    ]);
    const perMatch = await get('/api/matches/hl-a/highlights');
    expect((perMatch.body.items as Json[]).map((h) => h.title)).toEqual([
      "RED CARD — Team 2, p-30 (30')",
      "GOAL — Team 1 1–0, p-10 (10')",
    ]);
  });

  it('pages with page and pageSize, filters by status and match', async () => {
    const pages = await Promise.all([1, 2, 3].map((p) => get(`/api/highlights?pageSize=3&page=${p}`)));
    expect(pages.map((p) => [p.body.page, p.body.pageSize, p.body.total])).toEqual([
      [1, 3, 4],
      [2, 3, 4],
      [3, 3, 4],
    ]);
    expect(pages.flatMap((p) => ids(p.body))).toEqual(newestFirst);
    expect((await get('/api/highlights?status=READY')).body.total).toBe(4);
    expect((await get('/api/highlights?status=FAILED')).body).toMatchObject({ total: 0, items: [] });
    expect(ids((await get('/api/highlights?matchId=hl-a&status=READY')).body)).toEqual([
      matchA[2]!.eventId,
      matchA[1]!.eventId,
    ]);
    expect((await get('/api/highlights?matchId=no-such-match')).body).toMatchObject({ total: 0, items: [] });
  });

  it.each([
    ['status=DONE', 'status'],
    ['page=0', 'page'],
    ['page=1001', 'page'],
    ['pageSize=101', 'pageSize'],
    ['pageSize=x', 'pageSize'],
    ['matchId=a%20b', 'matchId'],
    ['limit=5', 'limit'],
    ['page=1&page=2', 'page'],
  ])('?%s → 400 naming %s', async (query, name) => {
    const res = await get(`/api/highlights?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: 'urn:pitchpulse:problem:invalid-parameter' });
    expect((res.body.errors as Json[])[0]!.path).toBe(name);
  });
});

describe('GET /api/highlights/{highlightId}', () => {
  it('answers one highlight; 404 problem for an unknown id; 400 for a malformed one', async () => {
    const goal = matchA[1]!;
    const found = await get(`/api/highlights/${goal.eventId}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ highlightId: goal.eventId, matchId: 'hl-a', status: 'READY' });
    const missing = await get(`/api/highlights/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      type: 'urn:pitchpulse:problem:not-found',
      title: 'Highlight not found',
    });
    const bad = await get('/api/highlights/not-a-uuid');
    expect(bad.status).toBe(400);
    expect((bad.body.errors as Json[])[0]!.path).toBe('highlightId');
  });

  it('other methods are 405', async () => {
    const res = await fetch(`${api.url}/api/highlights`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/GET/);
  });
});

describe('GET /api/matches/{matchId}/stream', () => {
  it('sends a `highlight` event when a highlight of the match becomes READY, once', async () => {
    const kickoff = event('hl-live', 'pass', 0, 1);
    const goal = event('hl-live', 'goal', 3, 1);
    await insertEvents(clickhouse, [kickoff], new Date());
    const controller = new AbortController();
    const res = await fetch(`${api.url}/api/matches/hl-live/stream`, { signal: controller.signal });
    const messages: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (m) => messages.push(m) });
    const reading = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk));
      } catch {
        // aborted
      }
    })();
    try {
      await insertEvents(clickhouse, [goal], new Date());
      // The first page, read now, is cached as PENDING for up to a second…
      const pending = await get('/api/matches/hl-live/highlights');
      expect((pending.body.items as Json[]).map((h) => h.status)).toEqual(['PENDING']);
      const caps = await detectCapabilities(clickhouse);
      const policy = { batch: 50, maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 1, timeoutMs: 1000 };
      await enrichDue({ client: clickhouse, caps, enricher: defaultEnricher, policy });
      const deadline = Date.now() + 5000;
      while (!messages.some((m) => m.event === 'highlight') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const pushed = messages.filter((m) => m.event === 'highlight').map((m) => JSON.parse(m.data) as Json);
      expect(pushed).toHaveLength(1);
      // …but a read after the event sees what the event said (the event drops the cached pages of the match).
      const after = await get('/api/matches/hl-live/highlights');
      expect((after.body.items as Json[]).map((h) => h.status)).toEqual(['READY']);
      expect(pushed[0]).toMatchObject({
        highlightId: goal.eventId,
        status: 'READY',
        title: "GOAL — Team 1 1–0, p-3 (3')",
      });
      await new Promise((r) => setTimeout(r, 2500)); // later looks overlap: still once
      expect(messages.filter((m) => m.event === 'highlight')).toHaveLength(1);
      expect(messages[0]!.event).toBe('metrics');
    } finally {
      controller.abort();
      await reading;
    }
  });
});
