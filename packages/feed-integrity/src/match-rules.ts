import { parseTimestampMs, type FeedRule, type StoredEvent } from '@pitchpulse/contract';
import { touch, trimOldest } from './bounded';

export interface MatchRuleOptions {
  /** Distinct events in one minute of a match's event time above this: match velocity. */
  maxEventsPerMinute: number;
  /** This many distinct goals of a match within goalBurstMs of event time: a goal burst. */
  goalBurstGoals: number;
  goalBurstMs: number;
  /** An event stamped more than this after the API received it: clock skew. */
  clockAheadMs: number;
  /** An event stamped more than this before the API received it, in a live match: clock skew. */
  clockBehindMs: number;
  /** A match is live while it had an event received in time (neither skew) within this long. */
  liveWindowMs: number;
  /** Matches tracked at once (the least recently seen are forgotten first). */
  maxMatches: number;
}

export const DEFAULT_MATCH_RULES: MatchRuleOptions = {
  maxEventsPerMinute: 200,
  goalBurstGoals: 4,
  goalBurstMs: 90_000,
  clockAheadMs: 10 * 60_000,
  clockBehindMs: 4 * 3_600_000,
  liveWindowMs: 10 * 60_000,
  maxMatches: 2_000,
};

/** Per match, at most this many eventIds (with their flags), minutes and players are kept. */
const MAX_EVENTS_PER_MATCH = 10_000;
const MAX_MINUTES_PER_MATCH = 600;
const MAX_GOALS_PER_MATCH = 200;
const MAX_PLAYERS_PER_MATCH = 500;
const NO_FLAGS: readonly FeedRule[] = Object.freeze([]);

export interface MatchVerdict {
  rules: readonly FeedRule[];
  /** a redelivery of an event judged before: same rules, already reported */
  repeated: boolean;
}

interface MatchState {
  /** eventId → the rules its first delivery was flagged with (a redelivery is flagged the same). */
  flagsOf: Map<string, readonly FeedRule[]>;
  /** distinct events per minute of event time (epoch minute) */
  perMinute: Map<number, number>;
  goalTimes: number[];
  teamOf: Map<string, number>;
  /** receivedAt of the latest event received in time, + liveWindowMs */
  liveUntilMs: number;
}

/**
 * The consumer's rules, per match: every event of a match reaches one partition, so one consumer sees them in
 * order and `judge` decides each one's flags once, in that order. State is in memory only and bounded
 * (maxMatches, and per match the limits above): after a restart or a rebalance a match's rules start from
 * nothing, so they can miss an anomaly then, never invent one (docs/feed-integrity.md).
 */
export class MatchMonitor {
  private readonly matches = new Map<string, MatchState>();

  constructor(private readonly options: MatchRuleOptions = DEFAULT_MATCH_RULES) {}

  get trackedMatches(): number {
    return this.matches.size;
  }

  /**
   * The rules `event` breaks. A redelivery of an event seen before gets the flags of its first delivery and
   * `repeated` (its flags were counted then).
   */
  judge(event: StoredEvent): MatchVerdict {
    const state = this.stateOf(event.matchId);
    const seen = state.flagsOf.get(event.eventId);
    if (seen !== undefined) return { rules: seen, repeated: true };
    const eventMs = parseTimestampMs(event.timestamp) ?? event.receivedAt;
    const flags: FeedRule[] = [];
    if (this.tooManyInMinute(state, eventMs)) flags.push('match-velocity');
    if (event.eventType === 'goal' && this.isGoalBurst(state, eventMs)) flags.push('goal-burst');
    if (this.isClockSkewed(state, eventMs, event.receivedAt)) flags.push('clock-skew');
    if (this.playsForBothTeams(state, event)) flags.push('player-both-teams');
    const result = flags.length === 0 ? NO_FLAGS : flags;
    trimOldest(state.flagsOf, MAX_EVENTS_PER_MATCH);
    state.flagsOf.set(event.eventId, result);
    return { rules: result, repeated: false };
  }

  private stateOf(matchId: string): MatchState {
    let state = this.matches.get(matchId);
    if (!state) {
      trimOldest(this.matches, this.options.maxMatches);
      state = { flagsOf: new Map(), perMinute: new Map(), goalTimes: [], teamOf: new Map(), liveUntilMs: 0 };
    }
    touch(this.matches, matchId, state);
    return state;
  }

  private tooManyInMinute(state: MatchState, eventMs: number): boolean {
    const minute = Math.floor(eventMs / 60_000);
    const count = (state.perMinute.get(minute) ?? 0) + 1;
    if (!state.perMinute.has(minute)) trimOldest(state.perMinute, MAX_MINUTES_PER_MATCH);
    state.perMinute.set(minute, count);
    return count > this.options.maxEventsPerMinute;
  }

  /** Whether some window of goalBurstMs holding this goal holds goalBurstGoals goals (this one included). */
  private isGoalBurst(state: MatchState, eventMs: number): boolean {
    if (state.goalTimes.length >= MAX_GOALS_PER_MATCH) state.goalTimes.shift();
    state.goalTimes.push(eventMs);
    const { goalBurstGoals, goalBurstMs } = this.options;
    return state.goalTimes.some((start) => {
      if (start > eventMs || eventMs - start > goalBurstMs) return false;
      const inWindow = state.goalTimes.filter((t) => t >= start && t - start <= goalBurstMs).length;
      return inWindow >= goalBurstGoals;
    });
  }

  private isClockSkewed(state: MatchState, eventMs: number, receivedAt: number): boolean {
    const { clockAheadMs, clockBehindMs, liveWindowMs } = this.options;
    const ahead = eventMs - receivedAt > clockAheadMs;
    const behind = receivedAt - eventMs > clockBehindMs;
    if (!ahead && !behind) {
      state.liveUntilMs = Math.max(state.liveUntilMs, receivedAt + liveWindowMs);
      return false;
    }
    return ahead || receivedAt <= state.liveUntilMs;
  }

  /** An own goal (`metadata.ownGoal: true`) is credited to the other team: it says nothing of the scorer's side. */
  private playsForBothTeams(state: MatchState, event: StoredEvent): boolean {
    const player = event.playerId;
    if (player === undefined || (event.metadata as { ownGoal?: unknown } | undefined)?.ownGoal === true) {
      return false;
    }
    const team = state.teamOf.get(player);
    if (team === undefined) {
      trimOldest(state.teamOf, MAX_PLAYERS_PER_MATCH);
      state.teamOf.set(player, event.teamId);
      return false;
    }
    return team !== event.teamId;
  }
}
