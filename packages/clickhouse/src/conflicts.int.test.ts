/**
 * A feed that re-sends an eventId with a different timestamp sends a conflicting event (docs/clickhouse.md): on
 * both engines, the metrics of a live match (its raw rows) and of its seal count it once in every total, and in
 * each minute one of its copies falls in.
 */
import type { StoredEvent } from '@pitchpulse/contract';
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { closeEngines, openEngines, uniqueDatabase, type Engine } from './testing';

jest.setTimeout(120_000);

const MATCH = 'conflict-1';
const KICKOFF = Date.parse('2024-05-01T18:00:00.000Z');

const event = (
  n: number,
  minute: number,
  eventType: StoredEvent['eventType'],
  teamId: StoredEvent['teamId'],
): StoredEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  matchId: MATCH,
  eventType,
  timestamp: new Date(KICKOFF + minute * 60_000 + 5_000).toISOString(),
  teamId,
  receivedAt: KICKOFF + minute * 60_000 + 6_000,
});

describe('an eventId re-sent with a different timestamp, on both engines', () => {
  const database = uniqueDatabase('conflicts');
  let engines: Engine[];
  // 5 events; event 3 (a team-1 goal in minute 2) is re-sent as if it happened in minute 7
  const events = [
    event(1, 0, 'pass', 1),
    event(2, 1, 'shot', 2),
    event(3, 2, 'goal', 1),
    event(4, 7, 'pass', 2),
    event(5, 7, 'pass', 1),
  ];
  const conflicting = {
    ...events[2]!,
    timestamp: events[3]!.timestamp,
    receivedAt: events[3]!.receivedAt + 60_000,
  };

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client);
      await insertEvents(e.client, events, new Date(KICKOFF + 600_000));
      await insertEvents(e.client, [conflicting], new Date(KICKOFF + 700_000));
    }
  });
  afterAll(() => closeEngines(engines));

  const expected = {
    totalEvents: 5,
    goals: 1,
    eventsByType: expect.objectContaining({ pass: 3, shot: 1, goal: 1 }),
    byTeam: {
      '1': { events: 3, goals: 1, shots: 0, cards: 0 },
      '2': { events: 2, goals: 0, shots: 1, cards: 0 },
    },
    firstEventAt: events[0]!.timestamp,
    lastEventAt: events[4]!.timestamp,
    // minute 7 holds events 4 and 5 and the re-sent copy of 3; minute 2 still has its first copy
    peakMinute: { minute: '2024-05-01T18:07:00Z', eventCount: 3 },
  };

  it.each(['clickhouse-18', 'chdb'])('%s: the live metrics count it once in every total', async (name) => {
    const engine = engines.find((e) => e.name === name)!;
    expect(await engine.store.metricsFromEvents(MATCH)).toMatchObject(expected);
    // 6 rows stored: the reads say their answer holds them all
    expect(await engine.store.metrics(MATCH)).toMatchObject({ value: expected, storedRows: 6 });
  });

  it.each(['clickhouse-18', 'chdb'])('%s: its seal says the same as the live metrics', async (name) => {
    const engine = engines.find((e) => e.name === name)!;
    const live = await engine.store.metricsFromEvents(MATCH);
    expect(await engine.store.seal(MATCH)).toMatchObject({ totalEvents: 5 });
    expect(await engine.store.metricsFromSeal(MATCH)).toEqual(live);
    expect(await engine.store.metrics(MATCH)).toEqual({ value: live, storedRows: 6 });
  });
});
