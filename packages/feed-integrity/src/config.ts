import { bool, cleanEnv } from 'envalid';
import { reporter, share, whole } from '@pitchpulse/config';
import { DEFAULT_MATCH_RULES, type MatchRuleOptions } from './match-rules';
import { DEFAULT_SOURCE_RULES, type SourceRuleOptions } from './source-rules';

const d = DEFAULT_SOURCE_RULES;
const m = DEFAULT_MATCH_RULES;

/** The API's rules, from FEED_* variables; `null` when FEED_INTEGRITY=false. */
export function sourceRulesFromEnv(env: NodeJS.ProcessEnv = process.env): SourceRuleOptions | null {
  const e = cleanEnv(
    env,
    {
      FEED_INTEGRITY: bool({ default: true, desc: 'run the feed-integrity rules (flag, never drop)' }),
      FEED_SOURCE_SPIKE_FACTOR: whole(2)({ default: d.spikeFactor }),
      FEED_SOURCE_SPIKE_MIN_EVENTS: whole(1)({ default: d.spikeMinEvents }),
      FEED_NEW_SOURCE_MAX_EVENTS: whole(1)({ default: d.newSourceMaxEvents }),
      FEED_DUPLICATE_MIN_EVENTS: whole(1)({ default: d.duplicateMinEvents }),
      FEED_DUPLICATE_SHARE: share({ default: d.duplicateShare }),
      FEED_ACCEPTED_MEMORY: whole(2, 100_000_000)({ default: d.acceptedMemory }),
      FEED_MAX_SOURCES: whole(1, 10_000_000)({ default: d.maxSources }),
    },
    { reporter: reporter('feed-integrity (api)') },
  );
  if (!e.FEED_INTEGRITY) return null;
  return {
    spikeFactor: e.FEED_SOURCE_SPIKE_FACTOR,
    spikeMinEvents: e.FEED_SOURCE_SPIKE_MIN_EVENTS,
    newSourceMaxEvents: e.FEED_NEW_SOURCE_MAX_EVENTS,
    duplicateMinEvents: e.FEED_DUPLICATE_MIN_EVENTS,
    duplicateShare: e.FEED_DUPLICATE_SHARE,
    acceptedMemory: e.FEED_ACCEPTED_MEMORY,
    maxSources: e.FEED_MAX_SOURCES,
  };
}

/** The consumer's rules, from FEED_* variables; `null` when FEED_INTEGRITY=false. */
export function matchRulesFromEnv(env: NodeJS.ProcessEnv = process.env): MatchRuleOptions | null {
  const e = cleanEnv(
    env,
    {
      FEED_INTEGRITY: bool({ default: true, desc: 'run the feed-integrity rules (flag, never drop)' }),
      FEED_MATCH_MAX_EVENTS_PER_MINUTE: whole(1)({ default: m.maxEventsPerMinute }),
      FEED_GOAL_BURST_GOALS: whole(2)({ default: m.goalBurstGoals }),
      FEED_GOAL_BURST_SECONDS: whole(1, 86_400)({ default: m.goalBurstMs / 1000 }),
      FEED_CLOCK_AHEAD_SECONDS: whole(1)({ default: m.clockAheadMs / 1000 }),
      FEED_CLOCK_BEHIND_SECONDS: whole(1)({ default: m.clockBehindMs / 1000 }),
      FEED_LIVE_WINDOW_SECONDS: whole(1)({ default: m.liveWindowMs / 1000 }),
      FEED_MAX_MATCHES: whole(1, 10_000_000)({ default: m.maxMatches }),
    },
    { reporter: reporter('feed-integrity (consumer)') },
  );
  if (!e.FEED_INTEGRITY) return null;
  return {
    maxEventsPerMinute: e.FEED_MATCH_MAX_EVENTS_PER_MINUTE,
    goalBurstGoals: e.FEED_GOAL_BURST_GOALS,
    goalBurstMs: e.FEED_GOAL_BURST_SECONDS * 1000,
    clockAheadMs: e.FEED_CLOCK_AHEAD_SECONDS * 1000,
    clockBehindMs: e.FEED_CLOCK_BEHIND_SECONDS * 1000,
    liveWindowMs: e.FEED_LIVE_WINDOW_SECONDS * 1000,
    maxMatches: e.FEED_MAX_MATCHES,
  };
}
