import type { FeedRule, MatchAnomalies } from '@pitchpulse/contract';
import { checkAnomalies } from './verify';

const listed = (...rules: Array<[FeedRule, number]>): MatchAnomalies => ({
  matchId: 'm1',
  flaggedEvents: rules.reduce((n, [, events]) => n + events, 0),
  rules: rules.map(([rule, events]) => ({
    rule,
    events,
    firstSeenAt: '2024-05-18T14:00:00.000Z',
    lastSeenAt: '2024-05-18T14:00:01.000Z',
    exampleEventIds: [],
  })),
});

describe('checking the feed-integrity flags of a match', () => {
  it('passes an injected match flagged with its kind only, and a plain match flagged with nothing', () => {
    expect(checkAnomalies('goal-burst', listed(['goal-burst', 4]), 4).problems).toEqual([]);
    expect(checkAnomalies(null, listed(), 0).problems).toEqual([]);
    // A match the API does not know (404) has nothing flagged.
    expect(checkAnomalies(null, null, null).problems).toEqual([]);
  });

  it('fails an injected match that was not flagged', () => {
    expect(checkAnomalies('goal-burst', listed(), 0).problems).toEqual([
      'goal-burst injected but not flagged',
      'flaggedEvents: expected more than 0 (goal-burst injected), got 0',
    ]);
    expect(checkAnomalies('clock-skew', listed(['clock-skew', 0]), 1).problems).toEqual([
      'clock-skew injected but not flagged',
    ]);
  });

  it('fails any rule a match was not injected with, with a hint where there is one', () => {
    expect(
      checkAnomalies('duplicate-storm', listed(['duplicate-storm', 150], ['goal-burst', 1]), 151).problems,
    ).toEqual(['flagged goal-burst (1 events) though only duplicate-storm was injected']);
    const [velocity, flagged] = checkAnomalies(null, listed(['source-velocity', 500]), 500).problems;
    expect(velocity).toBe(
      "flagged source-velocity (500 events) though nothing was injected — the run sent in a burst by the API's " +
        'default thresholds: pace it with --duration or --rate (a new source sending > 20,000 events in 10 s is a ' +
        'burst; so is one resuming within 70 s of its last event at > 10 × its rate of the minute before: leave the ' +
        'address quiet for 70 s between runs)',
    );
    expect(flagged).toBe('flaggedEvents: expected 0 (nothing injected), got 500');
    expect(checkAnomalies(null, listed(), 3).problems).toEqual([
      'flaggedEvents: expected 0 (nothing injected), got 3',
    ]);
  });
});
