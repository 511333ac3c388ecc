import type { StoredEvent } from '@pitchpulse/contract';
import { DEFAULT_MATCH_RULES, MatchMonitor } from './match-rules';

const NOW = Date.parse('2026-12-03T20:00:00Z');
let n = 0;
const event = (patch: Partial<StoredEvent> = {}): StoredEvent => ({
  eventId: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  matchId: 'm1',
  eventType: 'pass',
  timestamp: new Date(NOW - 60_000).toISOString(),
  teamId: 1,
  receivedAt: NOW,
  ...patch,
});
const at = (ms: number) => new Date(ms).toISOString();
const judge = (monitor: MatchMonitor, e: StoredEvent) => monitor.judge(e, Date.parse(e.timestamp));

describe('MatchMonitor', () => {
  it('match velocity: the 201st distinct event of one minute of event time, not a redelivery', () => {
    const monitor = new MatchMonitor();
    const minute = Date.parse('2026-12-03T19:30:00Z');
    const events = Array.from({ length: 200 }, (_, i) => event({ timestamp: at(minute + i * 250) }));
    for (const e of events) expect(judge(monitor, e).rules).toEqual([]);
    expect(judge(monitor, events[0]!)).toEqual({ rules: [], repeated: true });
    expect(judge(monitor, event({ timestamp: at(minute + 60_000) })).rules).toEqual([]); // the next minute
    const over = event({ timestamp: at(minute + 59_999) });
    expect(judge(monitor, over).rules).toEqual(['match-velocity']);
    expect(judge(monitor, over)).toEqual({ rules: ['match-velocity'], repeated: true });
    expect(judge(monitor, event({ matchId: 'm2', timestamp: at(minute) })).rules).toEqual([]);
  });

  it('match velocity: a minute 240 minutes later takes over its slot and starts from 0', () => {
    const monitor = new MatchMonitor();
    const minute = Date.parse('2026-12-03T10:00:00Z');
    for (let i = 0; i < 200; i++) judge(monitor, event({ matchId: 'ring', timestamp: at(minute + i * 100) }));
    const later = minute + 240 * 60_000;
    for (let i = 0; i < 200; i++) {
      expect(judge(monitor, event({ matchId: 'ring', timestamp: at(later + i * 100) })).rules).toEqual([]);
    }
    expect(judge(monitor, event({ matchId: 'ring', timestamp: at(later + 59_000) })).rules).toEqual([
      'match-velocity',
    ]);
  });

  it('goal burst: the goal that makes 4 within 90 s, in any arrival order; 4 over 91 s are not', () => {
    const monitor = new MatchMonitor();
    const t = Date.parse('2026-12-03T19:00:00Z');
    const goal = (ms: number, matchId = 'g1') => event({ matchId, eventType: 'goal', timestamp: at(t + ms) });
    expect(judge(monitor, goal(90_000)).rules).toEqual([]);
    expect(judge(monitor, goal(0)).rules).toEqual([]);
    expect(judge(monitor, goal(60_000)).rules).toEqual([]);
    expect(judge(monitor, goal(30_000)).rules).toEqual(['goal-burst']);
    for (const ms of [0, 30_000, 60_000]) expect(judge(monitor, goal(ms, 'g2')).rules).toEqual([]);
    expect(judge(monitor, goal(91_000, 'g2')).rules).toEqual([]);
    expect(
      judge(monitor, event({ matchId: 'g2', eventType: 'shot', timestamp: at(t + 1000) })).rules,
    ).toEqual([]);
  });

  it('clock skew: stamped over 10 min after receipt; over 4 h before it only while the match is live', () => {
    const monitor = new MatchMonitor();
    expect(judge(monitor, event({ matchId: 'c1', timestamp: at(NOW + 10 * 60_000) })).rules).toEqual([]);
    expect(judge(monitor, event({ matchId: 'c1', timestamp: at(NOW + 10 * 60_000 + 1) })).rules).toEqual([
      'clock-skew',
    ]);
    const old = at(NOW - 4 * 3_600_000 - 1);
    // c2: an old match imported late (never live): its old events are not skewed
    expect(judge(monitor, event({ matchId: 'c2', timestamp: old })).rules).toEqual([]);
    expect(judge(monitor, event({ matchId: 'c2', timestamp: old })).rules).toEqual([]);
    // c3: live (an event received in time), then one stamped 4 h earlier
    expect(judge(monitor, event({ matchId: 'c3', timestamp: at(NOW - 5000) })).rules).toEqual([]);
    expect(judge(monitor, event({ matchId: 'c3', timestamp: old, receivedAt: NOW + 1000 })).rules).toEqual([
      'clock-skew',
    ]);
    // …but not once the match has been quiet for longer than the live window
    const later = NOW + DEFAULT_MATCH_RULES.liveWindowMs + 2000;
    expect(judge(monitor, event({ matchId: 'c3', timestamp: old, receivedAt: later })).rules).toEqual([]);
  });

  it('player on both teams: flags the event for the other team, not an own goal', () => {
    const monitor = new MatchMonitor();
    expect(judge(monitor, event({ matchId: 'p1', playerId: 'p-9', teamId: 1 })).rules).toEqual([]);
    expect(judge(monitor, event({ matchId: 'p1', playerId: 'p-9', teamId: 1 })).rules).toEqual([]);
    expect(
      judge(
        monitor,
        event({ matchId: 'p1', playerId: 'p-9', teamId: 2, eventType: 'goal', metadata: { ownGoal: true } }),
      ).rules,
    ).toEqual([]);
    expect(judge(monitor, event({ matchId: 'p1', playerId: 'p-9', teamId: 2 })).rules).toEqual([
      'player-both-teams',
    ]);
    expect(judge(monitor, event({ matchId: 'p2', playerId: 'p-9', teamId: 2 })).rules).toEqual([]);
  });

  it('keeps at most maxMatches matches: a forgotten match starts again from nothing', () => {
    const monitor = new MatchMonitor({ ...DEFAULT_MATCH_RULES, maxMatches: 2 });
    judge(monitor, event({ matchId: 'a', playerId: 'x', teamId: 1 }));
    judge(monitor, event({ matchId: 'b' }));
    judge(monitor, event({ matchId: 'c' }));
    expect(monitor.trackedMatches).toBe(2);
    expect(judge(monitor, event({ matchId: 'a', playerId: 'x', teamId: 2 })).rules).toEqual([]);
  });
});
