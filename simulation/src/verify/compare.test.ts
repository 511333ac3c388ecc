import type { MatchEvent } from '@pitchpulse/events';
import { GroundTruth } from '../truth/ground-truth';
import { computeMetrics } from '../truth/metrics';
import { compareMetrics, type ApiMetrics } from './compare';

let n = 0;
function ev(eventType: MatchEvent['eventType'], teamId: 1 | 2, minute: number, second = 0): MatchEvent {
  n++;
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    matchId: 'm1',
    eventType,
    teamId,
    timestamp: new Date(Date.UTC(2024, 4, 18, 14, minute, second)).toISOString(),
    metadata: { minute },
  };
}

/** What a correct API answers for these events (written out independently of computeMetrics). */
function answerFor(events: MatchEvent[]): ApiMetrics {
  const byType: Record<string, number> = {};
  const perMinute = new Map<number, number>();
  for (const e of events) {
    byType[e.eventType] = (byType[e.eventType] ?? 0) + 1;
    const m = (e.metadata as { minute: number }).minute;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
  }
  const top = [...perMinute]
    .map(([minute, eventCount]) => ({ minute, eventCount }))
    .sort((a, b) => b.eventCount - a.eventCount || b.minute - a.minute);
  const team = (t: 1 | 2) => {
    const mine = events.filter((e) => e.teamId === t);
    return {
      events: mine.length,
      goals: mine.filter((e) => e.eventType === 'goal').length,
      shots: mine.filter((e) => e.eventType === 'shot').length,
      cards: mine.filter((e) => e.eventType === 'yellow_card' || e.eventType === 'red_card').length,
    };
  };
  const times = events.map((e) => e.timestamp).sort();
  return {
    matchId: 'm1',
    totalEvents: events.length,
    eventsByType: byType,
    goals: byType.goal ?? 0,
    yellowCards: byType.yellow_card ?? 0,
    redCards: byType.red_card ?? 0,
    firstEventAt: times[0] ?? null,
    lastEventAt: times[times.length - 1] ?? null,
    peakMinute: top[0] ?? null,
    peakEngagementPeriods: top.slice(0, 5),
    byTeam: { '1': team(1), '2': team(2) },
  };
}

describe('ground truth and metric comparison', () => {
  const events = [
    ev('pass', 1, 3),
    ev('pass', 1, 3, 20),
    ev('shot', 1, 3, 30),
    ev('goal', 1, 3, 32),
    ev('pass', 2, 10),
    ev('pass', 2, 10, 5),
    ev('foul', 2, 10, 9),
    ev('yellow_card', 2, 11),
    ev('red_card', 1, 12),
    ev('pass', 2, 20),
  ];

  it('computes the expected metrics, listing every tied peak minute', () => {
    const m = computeMetrics('m1', events);
    expect(m.totalEvents).toBe(10);
    expect(m.eventsByType).toMatchObject({
      pass: 5,
      shot: 1,
      goal: 1,
      foul: 1,
      yellow_card: 1,
      red_card: 1,
      corner: 0,
    });
    expect(m.peakMinutes).toEqual([3]);
    expect(m.peakCount).toBe(4);
    expect(m.byTeam).toEqual({
      '1': { events: 5, goals: 1, shots: 1, cards: 1 },
      '2': { events: 5, goals: 0, shots: 0, cards: 1 },
    });
    expect(m.firstEventAt).toBe('2024-05-18T14:03:00.000Z');
    expect(m.lastEventAt).toBe('2024-05-18T14:20:00.000Z');
    const tied = computeMetrics('m1', [
      ev('pass', 1, 5),
      ev('pass', 1, 9),
      ev('pass', 1, 9),
      ev('pass', 2, 5),
    ]);
    expect(tied.peakMinutes).toEqual([5, 9]);
  });

  it('passes a correct answer and counts duplicates once', () => {
    const truth = new GroundTruth();
    for (const e of events) truth.recordAccepted(e);
    truth.recordAccepted(events[0]!); // re-sent and acknowledged again
    const result = compareMetrics(truth.expectation('m1'), answerFor(events));
    expect(result).toEqual({ matchId: 'm1', pass: true, problems: [] });
  });

  it('accepts any of the tied peak minutes', () => {
    const tiedEvents = [ev('pass', 1, 5), ev('pass', 1, 9), ev('pass', 1, 9), ev('pass', 2, 5)];
    const truth = new GroundTruth();
    tiedEvents.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(tiedEvents);
    for (const minute of [5, 9]) {
      expect(
        compareMetrics(truth.expectation('m1'), { ...answer, peakMinute: { minute, eventCount: 2 } }).pass,
      ).toBe(true);
    }
    expect(
      compareMetrics(truth.expectation('m1'), { ...answer, peakMinute: { minute: 7, eventCount: 2 } })
        .problems,
    ).toEqual(['peakMinute: expected minute 5 or 9 with 2 events, got minute 7 with 2']);
  });

  it('names every field that is off', () => {
    const truth = new GroundTruth();
    events.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(events);
    const wrong: ApiMetrics = {
      ...answer,
      totalEvents: 11,
      eventsByType: { ...answer.eventsByType, pass: 6 },
      lastEventAt: '2024-05-18T14:20:00.001Z',
      byTeam: { ...answer.byTeam, '2': { ...answer.byTeam['2'], cards: 2 } },
    };
    expect(compareMetrics(truth.expectation('m1'), wrong).problems).toEqual([
      'totalEvents: expected 10, got 11',
      'eventsByType.pass: expected 5, got 6',
      'byTeam.2.cards: expected 1, got 2',
      'lastEventAt: expected 2024-05-18T14:20:00.000Z, got 2024-05-18T14:20:00.001Z',
    ]);
  });

  it('with unknown deliveries, accepts counts between accepted and accepted + unknown only', () => {
    const truth = new GroundTruth();
    events.slice(0, 8).forEach((e) => truth.recordAccepted(e));
    truth.recordUnknown(events[8]!); // red card, 12'
    truth.recordUnknown(events[9]!); // pass, 20'
    const expectation = truth.expectation('m1');
    expect(expectation.unknown).toBe(2);
    // The 503'd events did land: still right.
    expect(compareMetrics(expectation, answerFor(events)).pass).toBe(true);
    // They did not land: also right.
    expect(compareMetrics(expectation, answerFor(events.slice(0, 8))).pass).toBe(true);
    // One of them landed.
    expect(compareMetrics(expectation, answerFor(events.slice(0, 9))).pass).toBe(true);
    // One more than possible, or one accepted event missing: wrong.
    expect(compareMetrics(expectation, answerFor([...events, ev('pass', 1, 30)])).pass).toBe(false);
    expect(compareMetrics(expectation, answerFor(events.slice(1))).pass).toBe(false);
  });

  it('an unknown event that is later acknowledged becomes exact', () => {
    const truth = new GroundTruth();
    truth.recordUnknown(events[0]!);
    truth.recordAccepted(events[0]!);
    truth.recordUnknown(events[0]!);
    expect(truth.expectation('m1')).toMatchObject({ accepted: 1, unknown: 0 });
  });

  it('expects 404 exactly when nothing of a match was accepted', () => {
    const truth = new GroundTruth();
    truth.track('m1');
    expect(compareMetrics(truth.expectation('m1'), null).pass).toBe(true);
    truth.recordAccepted(events[0]!);
    expect(compareMetrics(truth.expectation('m1'), null).problems).toEqual([
      'API answered 404, but 1 events were accepted',
    ]);
  });

  it('checks the top-5 minutes by their counts', () => {
    const truth = new GroundTruth();
    events.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(events);
    const periods = answer.peakEngagementPeriods!.map((p) => ({ ...p }));
    periods[1]!.eventCount = 9;
    expect(compareMetrics(truth.expectation('m1'), { ...answer, peakEngagementPeriods: periods }).pass).toBe(
      false,
    );
  });
});
