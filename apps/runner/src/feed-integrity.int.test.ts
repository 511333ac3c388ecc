/**
 * The feed-integrity rules end to end, one test per rule: the built api and consumer as child processes on the
 * test stack (own topics and database), events sent over HTTP from separate client addresses (127.0.0.x: each is
 * a source of its own), then read back. Each anomaly must be flagged with its rule, stored (the `anomalies`
 * column), counted (`feed_anomalies_total{rule}` on the component that detected it), visible in
 * GET /api/matches/{id}/anomalies and the metrics' flaggedEvents, and warned about in the detector's log without
 * the API key; the same traffic without the anomaly must not be flagged.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { freePort, preparePipeline, repoRoot, waitFor } from '@pitchpulse/devstack';
import { answers200, pipelineChildren } from './testing';

jest.setTimeout(120_000);

const API_KEY = `it-secret-${randomUUID()}`;
const OLD = Date.parse('2024-02-10T15:00:00.000Z'); // events of a long-past match: never live, never skewed

interface Event {
  eventId: string;
  matchId: string;
  eventType: string;
  timestamp: string;
  teamId: 1 | 2;
  playerId?: string;
  metadata?: Record<string, unknown>;
}

interface Anomalies {
  matchId: string;
  flaggedEvents: number;
  rules: Array<{
    rule: string;
    events: number;
    firstSeenAt: string;
    lastSeenAt: string;
    exampleEventIds: string[];
  }>;
}

const matchIdOf = (name: string) => `fi-${name}-${randomUUID().slice(0, 6)}`;

/** `n` passes of one match, a second apart from `startMs`, players p-0…p-21 (even: team 1, odd: team 2). */
function events(matchId: string, n: number, startMs = OLD, patch: Partial<Event> = {}): Event[] {
  return Array.from({ length: n }, (_, i) => ({
    eventId: randomUUID(),
    matchId,
    eventType: 'pass',
    timestamp: new Date(startMs + i * 1000).toISOString(),
    teamId: i % 2 === 0 ? 1 : 2,
    playerId: `p-${i % 22}`,
    metadata: { minute: Math.floor(i / 60) },
    ...patch,
  }));
}

describe('feed-integrity rules through the pipeline', () => {
  const root = repoRoot(__dirname);
  const children = pipelineChildren(root);
  const logs = children.logs;
  let api = '';
  let consumerMetrics = '';
  let clickhouse = { url: '', database: '' };
  beforeAll(async () => {
    const id = randomUUID().slice(0, 8);
    const pipeline = await preparePipeline(`feed_integrity_${id}`, { events: 3 });
    clickhouse = { url: pipeline.env.CLICKHOUSE_URL!, database: pipeline.database };
    const [apiPort, consumerPort] = [await freePort(), await freePort()];
    const env = {
      ...pipeline.env,
      LOG_LEVEL: 'warn',
      FLUSH_INTERVAL_MS: '300',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      METRICS_PORT: String(consumerPort),
      API_KEYS: API_KEY,
      // A new source may send 2,000 events in its first 10 s (default 20,000: fewer events to send here).
      FEED_NEW_SOURCE_MAX_EVENTS: '2000',
      RATE_LIMIT_PER_SECOND: '0',
    };
    children.start('consumer', env);
    consumerMetrics = `http://127.0.0.1:${consumerPort}/metrics`;
    await waitFor('the consumer', answers200(`http://127.0.0.1:${consumerPort}/ready`), 60_000, 250);
    children.start('api', env);
    api = `http://127.0.0.1:${apiPort}`;
    await waitFor('the api', answers200(`${api}/ready`), 60_000, 250);
  }, 120_000);

  afterAll(() => children.stop());

  /** POSTs JSON from a chosen client address (a source of its own). */
  const post = (path: string, body: unknown, from: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(path, api);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          localAddress: from,
          agent: false,
          headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  const sendBatch = async (batch: Event[], from: string) => {
    for (let i = 0; i < batch.length; i += 1000) {
      const res = await post('/api/events/batch', { events: batch.slice(i, i + 1000) }, from);
      expect(res.status).toBe(202);
      expect(JSON.parse(res.body).rejected).toEqual([]);
    }
  };
  const sendOne = async (event: Event, from: string) =>
    expect((await post('/api/events', event, from)).status).toBe(202);

  const getJson = async <T>(path: string): Promise<T> => (await (await fetch(`${api}${path}`)).json()) as T;
  /** Waits until the match's metrics count `total` events, then answers its anomalies and flaggedEvents. */
  const stored = async (matchId: string, total: number) => {
    await waitFor(
      `${total} events of ${matchId}`,
      async () => {
        const res = await fetch(`${api}/api/matches/${matchId}/metrics`);
        return res.status === 200 && ((await res.json()) as { totalEvents: number }).totalEvents === total;
      },
      30_000,
      200,
    );
    const metrics = await getJson<{ flaggedEvents: number }>(`/api/matches/${matchId}/metrics`);
    const anomalies = await getJson<Anomalies>(`/api/matches/${matchId}/anomalies`);
    expect(anomalies.flaggedEvents).toBe(metrics.flaggedEvents);
    return anomalies;
  };
  const rulesOf = (a: Anomalies) => a.rules.map((r) => [r.rule, r.events]);
  /** The stored rows of the match that carry flags: eventId → the rules of its rows (the `anomalies` column). */
  const storedFlags = async (matchId: string): Promise<Record<string, string[]>> => {
    const query =
      `SELECT event_id, groupUniqArrayArray(anomalies) AS rules FROM ${clickhouse.database}.events ` +
      `WHERE match_id = '${matchId}' AND notEmpty(anomalies) GROUP BY event_id FORMAT JSONEachRow`;
    const text = await (await fetch(clickhouse.url, { method: 'POST', body: query })).text();
    const rows = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event_id: string; rules: string[] });
    return Object.fromEntries(rows.map((r) => [r.event_id, r.rules.sort()]));
  };
  const counter = async (url: string, rule: string): Promise<number> => {
    const text = await (await fetch(url)).text();
    const line = text.split('\n').find((l) => l.startsWith(`feed_anomalies_total{rule="${rule}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const apiCounter = (rule: string) => counter(`${api}/metrics`, rule);
  const consumerCounter = (rule: string) => counter(consumerMetrics, rule);
  const warned = (component: 'api' | 'consumer', rule: string, matchId: string) =>
    logs[component]
      .split('\n')
      .filter((l) => l.includes('feed anomaly') && l.includes(`"rule":"${rule}"`) && l.includes(matchId));

  it('source velocity: a new source sending more than its limit in 10 s; exactly the limit is not', async () => {
    const before = await apiCounter('source-velocity');
    const burst = matchIdOf('velocity');
    const calm = matchIdOf('velocity-calm');
    const burstEvents = events(burst, 2100);
    await sendBatch(burstEvents.slice(0, 1000), '127.0.0.2');
    await sendBatch(burstEvents.slice(1000, 2000), '127.0.0.2');
    await sendBatch(burstEvents.slice(2000), '127.0.0.2'); // the 100 past 2,000 in 10 s
    await sendBatch(events(calm, 2000), '127.0.0.3');

    const flagged = await stored(burst, 2100);
    expect(rulesOf(flagged)).toEqual([['source-velocity', 100]]);
    expect(
      flagged.rules[0]!.exampleEventIds.every((id) => burstEvents.slice(2000).some((e) => e.eventId === id)),
    ).toBe(true);
    expect(rulesOf(await stored(calm, 2000))).toEqual([]);
    expect(await storedFlags(burst)).toEqual(
      Object.fromEntries(burstEvents.slice(2000).map((e) => [e.eventId, ['source-velocity']])),
    );
    expect((await apiCounter('source-velocity')) - before).toBe(100);
    const lines = warned('api', 'source-velocity', burst);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toContain('"source":"key-1@127.0.0.2"');
    expect(logs.api).not.toContain(API_KEY);
  });

  it('duplicate storm: a source re-sending as many accepted events as new ones; 99 re-sends are not', async () => {
    const before = await apiCounter('duplicate-storm');
    const storm = matchIdOf('storm');
    const calm = matchIdOf('storm-calm');
    const stormEvents = events(storm, 100);
    await sendBatch(stormEvents, '127.0.0.4');
    await sendBatch(stormEvents, '127.0.0.4'); // 100 re-sends of 200 events in the last minute
    const calmEvents = events(calm, 100);
    await sendBatch(calmEvents, '127.0.0.5');
    await sendBatch(calmEvents.slice(0, 99), '127.0.0.5');

    const flagged = await stored(storm, 100);
    expect(rulesOf(flagged)).toEqual([['duplicate-storm', 100]]);
    expect(flagged.flaggedEvents).toBe(100);
    expect(await storedFlags(storm)).toEqual(
      Object.fromEntries(stormEvents.map((e) => [e.eventId, ['duplicate-storm']])),
    );
    expect(rulesOf(await stored(calm, 100))).toEqual([]);
    expect((await apiCounter('duplicate-storm')) - before).toBe(100);
    expect(warned('api', 'duplicate-storm', storm)[0]).toContain('"source":"key-1@127.0.0.4"');
  });

  it('match velocity: a 201st distinct event in one minute of a match; 200 (and their re-sends) are not', async () => {
    const before = await consumerCounter('match-velocity');
    const busy = matchIdOf('busy');
    const calm = matchIdOf('busy-calm');
    const inOneMinute = (matchId: string, n: number) =>
      events(matchId, n).map((e, i) => ({
        ...e,
        timestamp: new Date(OLD + i * 250).toISOString(),
        metadata: { minute: 10 },
      }));
    const busyEvents = inOneMinute(busy, 201);
    await sendBatch(busyEvents, '127.0.0.6');
    const calmEvents = inOneMinute(calm, 200);
    await sendBatch(calmEvents, '127.0.0.6');
    await sendBatch(calmEvents.slice(0, 50), '127.0.0.7');

    const flagged = await stored(busy, 201);
    expect(rulesOf(flagged)).toEqual([['match-velocity', 1]]);
    expect(flagged.rules[0]!.exampleEventIds).toEqual([busyEvents[200]!.eventId]);
    expect(rulesOf(await stored(calm, 200))).toEqual([]);
    expect(await storedFlags(busy)).toEqual({ [busyEvents[200]!.eventId]: ['match-velocity'] });
    expect((await consumerCounter('match-velocity')) - before).toBe(1);
    expect(warned('consumer', 'match-velocity', busy).length).toBe(1);
  });

  it('goal burst: the 4th goal within 90 s; 4 goals over 91 s are not', async () => {
    const before = await consumerCounter('goal-burst');
    const burst = matchIdOf('goals');
    const calm = matchIdOf('goals-calm');
    const goals = (matchId: string, offsetsS: number[]) =>
      offsetsS.map((s, i) => ({
        ...events(matchId, 1)[0]!,
        eventType: 'goal',
        timestamp: new Date(OLD + s * 1000).toISOString(),
        teamId: (i % 2 === 0 ? 1 : 2) as 1 | 2,
        playerId: `p-${i % 2}`,
        metadata: { minute: 20 + Math.floor(s / 60) },
      }));
    const burstGoals = goals(burst, [0, 30, 60, 90]);
    for (const g of burstGoals) await sendOne(g, '127.0.0.8');
    for (const g of goals(calm, [0, 30, 60, 91])) await sendOne(g, '127.0.0.8');

    const flagged = await stored(burst, 4);
    expect(rulesOf(flagged)).toEqual([['goal-burst', 1]]);
    expect(flagged.rules[0]!.exampleEventIds).toEqual([burstGoals[3]!.eventId]);
    expect(await storedFlags(burst)).toEqual({ [burstGoals[3]!.eventId]: ['goal-burst'] });
    expect(rulesOf(await stored(calm, 4))).toEqual([]);
    expect(await storedFlags(calm)).toEqual({});
    expect((await consumerCounter('goal-burst')) - before).toBe(1);
    expect(warned('consumer', 'goal-burst', burst).length).toBe(1);
  });

  it('clock skew: stamped 11 min ahead of receipt, or 5 h behind it in a live match; neither otherwise', async () => {
    const before = await consumerCounter('clock-skew');
    const ahead = matchIdOf('ahead');
    const behind = matchIdOf('behind');
    const calm = matchIdOf('skew-calm');
    const now = Date.now();
    const [a1, a2] = events(ahead, 2);
    await sendOne({ ...a1!, timestamp: new Date(now + 11 * 60_000).toISOString() }, '127.0.0.9');
    await sendOne({ ...a2!, timestamp: new Date(now + 5 * 60_000).toISOString() }, '127.0.0.9');
    const [b1, b2] = events(behind, 2);
    await sendOne({ ...b1!, timestamp: new Date(now - 30_000).toISOString() }, '127.0.0.9'); // live
    await sendOne({ ...b2!, timestamp: new Date(now - 5 * 3_600_000).toISOString() }, '127.0.0.9');
    // an old match imported now: its events are all 5 h behind, but it never was live
    for (const e of events(calm, 3, now - 5 * 3_600_000)) await sendOne(e, '127.0.0.9');

    expect(rulesOf(await stored(ahead, 2))).toEqual([['clock-skew', 1]]);
    expect((await stored(ahead, 2)).rules[0]!.exampleEventIds).toEqual([a1!.eventId]);
    expect(rulesOf(await stored(behind, 2))).toEqual([['clock-skew', 1]]);
    expect((await stored(behind, 2)).rules[0]!.exampleEventIds).toEqual([b2!.eventId]);
    expect(await storedFlags(behind)).toEqual({ [b2!.eventId]: ['clock-skew'] });
    expect(rulesOf(await stored(calm, 3))).toEqual([]);
    expect((await consumerCounter('clock-skew')) - before).toBe(2);
    expect(warned('consumer', 'clock-skew', ahead).length).toBe(1);
  });

  it('player on both teams: the same playerId for the other team; an own goal is not', async () => {
    const before = await consumerCounter('player-both-teams');
    const both = matchIdOf('both');
    const calm = matchIdOf('both-calm');
    const [p1, p2] = events(both, 2);
    await sendOne({ ...p1!, teamId: 1, playerId: 'p-7' }, '127.0.0.10');
    await sendOne({ ...p2!, teamId: 2, playerId: 'p-7' }, '127.0.0.10');
    const [c1, c2] = events(calm, 2);
    await sendOne({ ...c1!, teamId: 1, playerId: 'p-7' }, '127.0.0.10');
    await sendOne(
      { ...c2!, eventType: 'goal', teamId: 2, playerId: 'p-7', metadata: { minute: 3, ownGoal: true } },
      '127.0.0.10',
    );

    const flagged = await stored(both, 2);
    expect(rulesOf(flagged)).toEqual([['player-both-teams', 1]]);
    expect(flagged.rules[0]!.exampleEventIds).toEqual([p2!.eventId]);
    expect(rulesOf(await stored(calm, 2))).toEqual([]);
    expect(await storedFlags(both)).toEqual({ [p2!.eventId]: ['player-both-teams'] });
    expect((await consumerCounter('player-both-teams')) - before).toBe(1);
    expect(warned('consumer', 'player-both-teams', both).length).toBe(1);
  });

  it('answers 404 for a match without events', async () => {
    expect((await fetch(`${api}/api/matches/${matchIdOf('none')}/anomalies`)).status).toBe(404);
  });
});
