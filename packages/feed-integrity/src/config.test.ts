import { matchRulesFromEnv, sourceRulesFromEnv } from './config';
import { DEFAULT_MATCH_RULES } from './match-rules';
import { DEFAULT_SOURCE_RULES } from './source-rules';

describe('FEED_* settings', () => {
  it('default to the documented thresholds, and to nothing with FEED_INTEGRITY=false', () => {
    expect(sourceRulesFromEnv({})).toEqual(DEFAULT_SOURCE_RULES);
    expect(matchRulesFromEnv({})).toEqual(DEFAULT_MATCH_RULES);
    expect(sourceRulesFromEnv({ FEED_INTEGRITY: 'false' })).toBeNull();
    expect(matchRulesFromEnv({ FEED_INTEGRITY: 'false' })).toBeNull();
  });

  it('read every threshold, seconds as milliseconds', () => {
    expect(
      sourceRulesFromEnv({ FEED_DUPLICATE_SHARE: '.25', FEED_NEW_SOURCE_MAX_EVENTS: '500' }),
    ).toMatchObject({
      duplicateShare: 0.25,
      newSourceMaxEvents: 500,
    });
    expect(
      matchRulesFromEnv({ FEED_GOAL_BURST_SECONDS: '60', FEED_CLOCK_AHEAD_SECONDS: '30' }),
    ).toMatchObject({
      goalBurstMs: 60_000,
      clockAheadMs: 30_000,
    });
  });

  it('name every bad variable in one error', () => {
    expect(() => sourceRulesFromEnv({ FEED_DUPLICATE_SHARE: '1.5', FEED_SOURCE_SPIKE_FACTOR: '1' })).toThrow(
      /FEED_SOURCE_SPIKE_FACTOR: must be a whole number ≥ 2[\s\S]*FEED_DUPLICATE_SHARE: must be a share above 0 and at most 1, got "1.5"/,
    );
    expect(() => matchRulesFromEnv({ FEED_GOAL_BURST_GOALS: 'four' })).toThrow(/FEED_GOAL_BURST_GOALS/);
  });
});
