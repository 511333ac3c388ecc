import type { FeedRule, StoredEvent } from '@pitchpulse/contract';
import { RecentSet } from './bounded';
import { eventFingerprint } from './fingerprint';

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
  maxMatches: 1_000,
};

/**
 * Per match, at most this many eventIds (as fingerprints; at least half as many are always kept), minutes of event
 * time, goals and players are kept; past them the oldest are forgotten (a match has ~1,000–3,000 events over ~120
 * minutes, ~3 goals, ~40 players).
 */
export const MATCH_STATE_LIMITS = { events: 5_000, minutes: 240, goals: 50, players: 200 } as const;
/** The consumer's rules, each a bit of a mask, in the order an event's flags list them. */
const RULE_BITS = [
  'match-velocity',
  'goal-burst',
  'clock-skew',
  'player-both-teams',
] as const satisfies FeedRule[];
/** The flags of every mask, built once: a flagged event shares its list with every other of its kind. */
const FLAGS_OF_MASK: ReadonlyArray<readonly FeedRule[]> = Array.from(
  { length: 1 << RULE_BITS.length },
  (_, mask) => Object.freeze(RULE_BITS.filter((_rule, bit) => mask & (1 << bit))),
);
const NO_FLAGS = FLAGS_OF_MASK[0]!;
/** The verdict of almost every event, one object for all (judge runs once per consumed event). */
const NOT_FLAGGED: MatchVerdict = Object.freeze({ rules: NO_FLAGS, repeated: false });

export interface MatchVerdict {
  rules: readonly FeedRule[];
  /** a redelivery of an event judged before: same rules, already reported */
  repeated: boolean;
}

interface MatchState {
  /** the fingerprints of the match's events seen (fingerprint.ts) */
  seen: RecentSet;
  /** the rules of the flagged ones among them, as a RULE_BITS mask (a redelivery is flagged the same) */
  flagsOf: Map<number, number>;
  /** distinct events per minute of event time: a ring of MATCH_STATE_LIMITS.minutes slots by epoch minute */
  minuteOf: Float64Array;
  countOf: Uint32Array;
  /** the event times of its goals, in order */
  goalTimes: number[];
  teamOf: Map<string, number>;
  /** receivedAt of the latest event received in time, + liveWindowMs */
  liveUntilMs: number;
  /** when it was last judged (a counter): the least recent is forgotten first */
  lastSeen: number;
}

/** Drops the first (oldest) entry of a Set or Map once it holds `max`. */
function makeRoom<K>(collection: Set<K> | Map<K, unknown>, max: number): void {
  if (collection.size < max) return;
  for (const key of collection.keys()) {
    collection.delete(key);
    return;
  }
}

/**
 * The consumer's rules, per match: every event of a match reaches one partition, so one consumer sees them in
 * order and `judge` decides each one's flags once, in that order. State is in memory only and bounded
 * (maxMatches, and per match MATCH_STATE_LIMITS): after a restart or a rebalance a match's rules start from
 * nothing (docs/feed-integrity.md).
 */
export class MatchMonitor {
  private readonly matches = new Map<string, MatchState>();
  private clock = 0;

  constructor(private readonly options: MatchRuleOptions = DEFAULT_MATCH_RULES) {}

  get trackedMatches(): number {
    return this.matches.size;
  }

  /**
   * The rules `event` (stamped `eventMs`) breaks. A redelivery of an event seen before gets the flags of its first
   * delivery and `repeated` (its flags were counted then).
   */
  judge(event: StoredEvent, eventMs: number): MatchVerdict {
    const state = this.stateOf(event.matchId);
    const print = eventFingerprint(event.eventId);
    if (state.seen.has(print))
      return { rules: FLAGS_OF_MASK[state.flagsOf.get(print) ?? 0]!, repeated: true };
    state.seen.add(print);
    // Every rule runs (each keeps its own state), in RULE_BITS order.
    const mask =
      (this.tooManyInMinute(state, eventMs) ? 1 : 0) |
      (event.eventType === 'goal' && this.isGoalBurst(state, eventMs) ? 2 : 0) |
      (this.isClockSkewed(state, eventMs, event.receivedAt) ? 4 : 0) |
      (this.playsForBothTeams(state, event) ? 8 : 0);
    if (mask === 0) return NOT_FLAGGED;
    makeRoom(state.flagsOf, MATCH_STATE_LIMITS.events);
    state.flagsOf.set(print, mask);
    return { rules: FLAGS_OF_MASK[mask]!, repeated: false };
  }

  private stateOf(matchId: string): MatchState {
    let state = this.matches.get(matchId);
    if (!state) {
      if (this.matches.size >= this.options.maxMatches) this.forgetLeastRecent();
      state = {
        seen: new RecentSet(MATCH_STATE_LIMITS.events),
        flagsOf: new Map(),
        minuteOf: new Float64Array(MATCH_STATE_LIMITS.minutes).fill(-1),
        countOf: new Uint32Array(MATCH_STATE_LIMITS.minutes),
        goalTimes: [],
        teamOf: new Map(),
        liveUntilMs: 0,
        lastSeen: 0,
      };
      this.matches.set(matchId, state);
    }
    state.lastSeen = ++this.clock;
    return state;
  }

  /** A scan of every match, only when a new match arrives at the limit: cheaper than reordering on every event. */
  private forgetLeastRecent(): void {
    let oldest: string | undefined;
    let oldestSeen = Infinity;
    for (const [id, s] of this.matches) {
      if (s.lastSeen < oldestSeen) [oldest, oldestSeen] = [id, s.lastSeen];
    }
    if (oldest !== undefined) this.matches.delete(oldest);
  }

  /** A minute's slot is taken over by a minute MATCH_STATE_LIMITS.minutes later, which forgets the older one. */
  private tooManyInMinute(state: MatchState, eventMs: number): boolean {
    const minute = Math.floor(eventMs / 60_000);
    const slot =
      ((minute % MATCH_STATE_LIMITS.minutes) + MATCH_STATE_LIMITS.minutes) % MATCH_STATE_LIMITS.minutes;
    if (state.minuteOf[slot] !== minute) {
      state.minuteOf[slot] = minute;
      state.countOf[slot] = 0;
    }
    const count = ++state.countOf[slot]!;
    return count > this.options.maxEventsPerMinute;
  }

  /** Whether some window of goalBurstMs holding this goal holds goalBurstGoals goals (this one included). */
  private isGoalBurst(state: MatchState, eventMs: number): boolean {
    const goals = state.goalTimes;
    if (goals.length >= MATCH_STATE_LIMITS.goals) goals.shift();
    let at = goals.length;
    while (at > 0 && goals[at - 1]! > eventMs) at--; // goals mostly arrive in order: a short walk back
    goals.splice(at, 0, eventMs);
    const { goalBurstGoals, goalBurstMs } = this.options;
    // A window [start, start + goalBurstMs] holding this goal starts at one of the goals up to it.
    let end = at;
    for (let start = Math.max(0, at - goalBurstGoals + 1); start <= at; start++) {
      if (eventMs - goals[start]! > goalBurstMs) continue;
      while (end + 1 < goals.length && goals[end + 1]! - goals[start]! <= goalBurstMs) end++;
      if (end - start + 1 >= goalBurstGoals) return true;
    }
    return false;
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
      makeRoom(state.teamOf, MATCH_STATE_LIMITS.players);
      state.teamOf.set(player, event.teamId);
      return false;
    }
    return team !== event.teamId;
  }
}
