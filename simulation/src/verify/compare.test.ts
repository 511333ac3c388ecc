import { EVENT_TYPES, type MatchEvent } from '@pitchpulse/contract';
import { GroundTruth } from '../truth/ground-truth';
import { computeMetrics, topMinutes } from '../truth/metrics';
import { compareMetrics, type MetricsFigures } from './compare';

let n = 0;
/** An event at 14:`minute`:`second` UTC whose feed minute is `minute` + `feedShift`. */
function ev(
  eventType: MatchEvent['eventType'],
  teamId: 1 | 2,
  minute: number,
  second = 0,
  feedShift = 0,
): MatchEvent {
  n++;
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    matchId: 'm1',
    eventType,
    teamId,
    timestamp: new Date(Date.UTC(2024, 4, 18, 14, minute, second)).toISOString(),
    metadata: { minute: minute + feedShift },
  };
}

/** What a correct API answers for these events (written out independently of computeMetrics). */
function answerFor(events: MatchEvent[]): MetricsFigures {
  const byType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as MetricsFigures['eventsByType'];
  const perMinute = new Map<number, number>();
  const perClock = new Map<string, number>();
  for (const e of events) {
    byType[e.eventType]++;
    const m = (e.metadata as { minute: number }).minute;
    perMinute.set(m, (perMinute.get(m) ?? 0) + 1);
    const clock = `${e.timestamp.slice(0, 16)}:00Z`;
    perClock.set(clock, (perClock.get(clock) ?? 0) + 1);
  }
  // Most events first; the earlier minute first on a tie.
  const top = [...perMinute]
    .map(([minute, eventCount]) => ({ minute, eventCount }))
    .sort((a, b) => b.eventCount - a.eventCount || a.minute - b.minute)
    .slice(0, 5);
  const clockTop = [...perClock]
    .map(([timestamp, eventCount]) => ({ timestamp, eventCount }))
    .sort((a, b) => b.eventCount - a.eventCount || (a.timestamp < b.timestamp ? -1 : 1))
    .slice(0, 5);
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
    goals: byType.goal,
    yellowCards: byType.yellow_card,
    redCards: byType.red_card,
    firstEventAt: times[0]!,
    lastEventAt: times[times.length - 1]!,
    peakMinute: { minute: clockTop[0]!.timestamp, eventCount: clockTop[0]!.eventCount },
    peakEngagementPeriods: clockTop,
    peakMatchMinute: top[0]!,
    peakMatchMinutes: top,
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
    expect(topMinutes(m.minuteCounts)[0]).toEqual([3, 4]);
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
    expect(topMinutes(tied.minuteCounts)).toEqual([
      [5, 2],
      [9, 2],
    ]);
  });

  it('passes a correct answer and counts duplicates once', () => {
    const truth = new GroundTruth();
    for (const e of events) truth.recordAccepted(e);
    truth.recordAccepted(events[0]!); // re-sent and acknowledged again
    const result = compareMetrics(truth.expectation('m1'), answerFor(events));
    expect(result).toEqual({ matchId: 'm1', pass: true, problems: [] });
  });

  it('takes the earliest of tied busiest minutes, as the contract says', () => {
    const tiedEvents = [ev('pass', 1, 5), ev('pass', 1, 9), ev('pass', 1, 9), ev('pass', 2, 5)];
    const truth = new GroundTruth();
    tiedEvents.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(tiedEvents);
    expect(compareMetrics(truth.expectation('m1'), answer).pass).toBe(true);
    const laterMatchMinute = { ...answer, peakMatchMinute: { minute: 9, eventCount: 2 } };
    expect(compareMetrics(truth.expectation('m1'), laterMatchMinute).problems).toEqual([
      'peakMatchMinute: expected minute 5 with 2 events, got minute 9 with 2',
    ]);
    const laterClockMinute = { ...answer, peakMinute: { minute: '2024-05-18T14:09:00Z', eventCount: 2 } };
    expect(compareMetrics(truth.expectation('m1'), laterClockMinute).problems).toEqual([
      'peakMinute: expected 2024-05-18T14:05:00Z with 2 events, got 2024-05-18T14:09:00Z with 2',
    ]);
    const repeated = {
      ...answer,
      peakMatchMinutes: [answer.peakMatchMinutes[0]!, answer.peakMatchMinutes[0]!],
    };
    expect(compareMetrics(truth.expectation('m1'), repeated).pass).toBe(false);
  });

  it('checks the wall-clock peak and the match-minute peak each against its own minutes', () => {
    // Feed minute 3 spans the wall-clock minutes 14:02 and 14:03 (3 + 2 events); 14:10 holds 4 events of minute 20.
    const shifted = [
      ...[50, 52, 54].map((s) => ev('pass', 1, 2, s, 1)),
      ...[1, 3].map((s) => ev('pass', 2, 3, s)),
      ...[0, 1, 2, 3].map((s) => ev('shot', 1, 10, s, 10)),
    ];
    const truth = new GroundTruth();
    shifted.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(shifted);
    expect(answer.peakMatchMinute).toEqual({ minute: 3, eventCount: 5 });
    expect(answer.peakMinute).toEqual({ minute: '2024-05-18T14:10:00Z', eventCount: 4 });
    expect(compareMetrics(truth.expectation('m1'), answer)).toMatchObject({ pass: true, problems: [] });
    // The match-minute peak reported as the wall-clock one (the old shape's mistake) is caught.
    const swapped = { ...answer, peakMinute: { minute: '2024-05-18T14:03:00Z', eventCount: 5 } };
    expect(compareMetrics(truth.expectation('m1'), swapped).pass).toBe(false);
  });

  it('names every field that is off', () => {
    const truth = new GroundTruth();
    events.forEach((e) => truth.recordAccepted(e));
    const answer = answerFor(events);
    const wrong: MetricsFigures = {
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
    const periods = answer.peakEngagementPeriods.map((p) => ({ ...p }));
    periods[1]!.eventCount = 9;
    expect(compareMetrics(truth.expectation('m1'), { ...answer, peakEngagementPeriods: periods }).pass).toBe(
      false,
    );
    const minutes = answer.peakMatchMinutes.map((p) => ({ ...p }));
    minutes[1]!.eventCount = 9;
    expect(compareMetrics(truth.expectation('m1'), { ...answer, peakMatchMinutes: minutes }).pass).toBe(
      false,
    );
  });
});
