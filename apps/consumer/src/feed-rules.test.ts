import type { FeedRule, StoredEvent } from '@pitchpulse/contract';
import { AnomalyReporter, MatchMonitor } from '@pitchpulse/feed-integrity';
import { createLogger, createRegistry } from '@pitchpulse/observability';
import { feedRules, flagEvent } from './feed-rules';

function recording() {
  const counts: Array<[FeedRule, number]> = [];
  const reporter = new AnomalyReporter({ count: (rule, n) => counts.push([rule, n]), warn: () => undefined });
  return { reporter, counts };
}

describe('flagEvent', () => {
  const base: StoredEvent = {
    eventId: '00000000-0000-4000-8000-000000000001',
    matchId: 'm1',
    eventType: 'pass',
    timestamp: '2026-12-03T20:00:00Z',
    teamId: 1,
    playerId: 'p1',
    receivedAt: Date.parse('2026-12-03T20:00:01Z'),
  };

  it('returns the event itself when nothing fired, else a copy with the rules joined to the API’s', () => {
    const { reporter, counts } = recording();
    const monitor = new MatchMonitor();
    expect(flagEvent(monitor, reporter, base)).toBe(base);
    const other = { ...base, eventId: '00000000-0000-4000-8000-000000000002', teamId: 2 as const };
    const flagged = flagEvent(monitor, reporter, { ...other, anomalies: ['duplicate-storm'] });
    expect(flagged.anomalies).toEqual(['duplicate-storm', 'player-both-teams']);
    // a redelivery: flagged the same, counted once
    expect(flagEvent(monitor, reporter, other).anomalies).toEqual(['player-both-teams']);
    expect(counts).toEqual([['player-both-teams', 1]]);
  });
});

describe('feedRules', () => {
  it('is undefined when the rules are off', () => {
    expect(
      feedRules(null, createRegistry({ service: 't' }), createLogger('test', { level: 'silent' })),
    ).toBeUndefined();
  });

  it('stores an event as it came when the rules fail, and says so in the log', () => {
    const inspect = feedRules(
      {
        maxEventsPerMinute: 200,
        goalBurstGoals: 4,
        goalBurstMs: 90_000,
        clockAheadMs: 600_000,
        clockBehindMs: 14_400_000,
        liveWindowMs: 600_000,
        maxMatches: 10,
      },
      createRegistry({ service: 't' }),
      createLogger('test', { level: 'silent' }),
    )!;
    const broken = {
      matchId: 'm1',
      eventId: '00000000-0000-4000-8000-000000000009',
      get timestamp(): string {
        throw new Error('boom');
      },
    } as unknown as StoredEvent;
    expect(inspect(broken)).toBe(broken);
  });
});
