import type { MatchEvent, Retraction } from '@pitchpulse/contract';
import { GroundTruth } from './ground-truth';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ev = (n: number, eventType: MatchEvent['eventType'], teamId: 1 | 2, minute: number): MatchEvent => ({
  eventId: id(n),
  matchId: 'm1',
  eventType,
  teamId,
  timestamp: new Date(Date.UTC(2024, 4, 18, 14, minute)).toISOString(),
  metadata: { minute },
});
const retraction = (event: MatchEvent): Retraction => ({
  eventId: event.eventId,
  matchId: event.matchId,
  reason: 'VAR review: goal disallowed',
});

describe('the ground truth with retractions', () => {
  const pass = ev(1, 'pass', 1, 3);
  const goal1 = ev(2, 'goal', 1, 5);
  const goal2 = ev(3, 'goal', 2, 10);
  const shot = ev(4, 'shot', 2, 12);
  const lastGoal = ev(5, 'goal', 1, 80);

  it('leaves an accepted retraction’s event out of every figure, whichever arrived first', () => {
    const before = new GroundTruth();
    const after = new GroundTruth();
    before.recordRetractionAccepted(retraction(lastGoal));
    for (const e of [pass, goal1, goal2, shot, lastGoal]) {
      before.recordAccepted(e);
      after.recordAccepted(e);
    }
    after.recordRetractionAccepted(retraction(lastGoal));
    after.recordRetractionAccepted(retraction(lastGoal)); // twice is the same as once
    after.recordAccepted(lastGoal); // a re-sent retracted goal stays retracted
    for (const truth of [before, after]) {
      const x = truth.expectation('m1');
      expect(x.accepted).toBe(4);
      expect(x.unknown).toBe(0);
      expect(x.exact.totalEvents).toBe(4);
      expect(x.exact.goals).toBe(2);
      expect(x.exact.eventsByType.goal).toBe(2);
      expect(x.exact.byTeam['1']).toEqual({ events: 2, goals: 1, shots: 0, cards: 0 });
      expect(x.exact.byTeam['2']).toEqual({ events: 2, goals: 1, shots: 1, cards: 0 });
      expect(x.exact.lastEventAt).toBe(shot.timestamp);
      expect(x.exact.minuteCounts.has(80)).toBe(false);
      expect(x.upper).toBe(x.exact);
      expect(x.goals).toEqual({
        accepted: [goal1.eventId, goal2.eventId, lastGoal.eventId],
        unknown: [],
        retracted: [lastGoal.eventId],
        maybeRetracted: [],
      });
      expect(x.retractions).toEqual({
        accepted: [
          {
            eventId: lastGoal.eventId,
            reason: 'VAR review: goal disallowed',
            eventStored: 'yes',
            eventType: 'goal',
          },
        ],
        unknown: [],
      });
    }
    expect(after.acceptedCount).toBe(5); // stored, though left out
  });

  it('makes an accepted event with a retraction of unknown fate "unknown": between the two answers', () => {
    const truth = new GroundTruth();
    for (const e of [pass, goal1, goal2]) truth.recordAccepted(e);
    truth.recordRetractionUnknown(retraction(goal2));
    const x = truth.expectation('m1');
    expect([x.accepted, x.unknown]).toEqual([2, 1]);
    expect([x.exact.goals, x.upper.goals]).toEqual([1, 2]);
    expect(x.goals.maybeRetracted).toEqual([goal2.eventId]);
    expect(x.retractions).toEqual({ accepted: [], unknown: [goal2.eventId] });

    truth.recordRetractionAccepted(retraction(goal2)); // a later send of it was acknowledged
    truth.recordRetractionUnknown(retraction(goal2)); // and an ambiguous one after that changes nothing
    const settled = truth.expectation('m1');
    expect([settled.accepted, settled.unknown, settled.upper.goals]).toEqual([2, 0, 1]);
    expect(settled.goals.retracted).toEqual([goal2.eventId]);
    expect(settled.goals.maybeRetracted).toEqual([]);
  });

  it('keeps a retracted event of unknown delivery out of the upper bound, and lists its retraction as maybe found', () => {
    const truth = new GroundTruth();
    truth.recordAccepted(pass);
    truth.recordUnknown(goal1);
    truth.recordUnknown(goal2);
    truth.recordRetractionAccepted(retraction(goal1));
    const x = truth.expectation('m1');
    expect([x.accepted, x.unknown, x.exact.goals, x.upper.goals]).toEqual([1, 1, 0, 1]);
    expect(x.goals).toEqual({
      accepted: [],
      unknown: [goal1.eventId, goal2.eventId],
      retracted: [goal1.eventId],
      maybeRetracted: [],
    });
    expect(x.retractions.accepted[0]).toMatchObject({ eventStored: 'maybe', eventType: 'goal' });
  });

  it('expects a retraction whose event never arrived to be listed as not found', () => {
    const truth = new GroundTruth();
    truth.recordAccepted(pass);
    truth.recordRetractionAccepted(retraction(goal1));
    const x = truth.expectation('m1');
    expect(x.exact.totalEvents).toBe(1);
    expect(x.goals.retracted).toEqual([]); // no highlight to look at: the goal was never delivered
    expect(x.retractions.accepted).toEqual([
      { eventId: goal1.eventId, reason: 'VAR review: goal disallowed', eventStored: 'no', eventType: null },
    ]);
  });
});
