import {
  FEED_RULES,
  SOURCE_RULES,
  type EventType,
  type FeedRule,
  type MatchEvent,
} from '@pitchpulse/contract';
import { deriveEventId } from '../model/ids';
import { onPitchAt, periodOf, wallClockOf, type SimulatedMatch } from '../model/match';
import { ROLE_WEIGHTS } from '../model/rates';
import { Rng } from '../model/rng';
import type { Player, TeamId } from '../model/squad';
import type { Outgoing } from './plan';

/** `--inject-anomalies`: the feed-integrity rules to trip, each in its own matches (docs/feed-integrity.md). */
export interface AnomalyOptions {
  kinds: readonly FeedRule[];
  /** Share (above 0, at most 1) of the matches that get one: at least one match per kind. */
  share: number;
}

/** The one anomaly an injected match gets. */
export interface Injection {
  kind: FeedRule;
  /** Place among the matches with this kind (0-based) and how many there are: spreads them over the match. */
  rank: number;
  of: number;
  /** The separate source sending it (1 = 127.0.0.2, …), for the kinds the API judges per source. */
  source?: number;
}

/** A request for anomalies the run cannot honour (too few matches for the kinds). */
export class InjectionError extends Error {}

const MINUTE_MS = 60_000;
/** A source-velocity match's own source sends every 10th event of the first half on time, the rest at once at 0.5. */
const TRICKLE_EVERY = 10;
const BURST_AT = 0.5;
/**
 * …but no sooner than 21 s into the run: the API takes a source younger than 20 s for a new one, judged by another
 * threshold (> 20,000 events in 10 s), so the burst leaves a second of slack after that.
 */
const BURST_NOT_BEFORE_MS = 21_000;
/** The shortest --duration (s) whose first half gives the source-velocity trickle the history it needs. */
export const SOURCE_VELOCITY_MIN_DURATION_S = 40;
const VELOCITY_PASSES = 250;
const BURST_GOALS = 4;
const GOAL_SPACING_MS = 15_000;
/** No goal of the match's own within 3 minutes of play of a goal burst. */
const GOAL_CLEARANCE_MS = 3 * MINUTE_MS;
const SKEW_AHEAD_MS = 2 * 3_600_000;
const STORM_RESENDS = 300;
/**
 * Minutes of play an injection sits at: well inside each half (away from kick-off, half-time and the final
 * whistle), one minute each so that matches with the same kind spread out instead of piling up on one moment.
 */
const INJECTION_MINUTES = [...range(20, 40), ...range(55, 75)];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Whether the API judges this rule per source: its anomaly needs a client address of its own. */
export function needsSeparateSource(kind: FeedRule): boolean {
  return (SOURCE_RULES as readonly FeedRule[]).includes(kind);
}

/** Matches that get an anomaly: round(share × matches), at least one per kind; too few matches is an error. */
export function injectedMatchCount(matches: number, options: AnomalyOptions): number {
  const kinds = new Set(options.kinds).size;
  if (matches < kinds) {
    throw new InjectionError(
      `--inject-anomalies with ${kinds} kinds needs at least ${kinds} matches (one per kind), got ${matches}`,
    );
  }
  return Math.min(matches, Math.max(kinds, Math.round(options.share * matches)));
}

/**
 * Which matches (by index) get which anomaly, a function of the seed: the injected matches are drawn at random, the
 * kinds (in FEED_RULES order) dealt round-robin, one per match; the source kinds get a source each.
 */
export function planInjections(
  seed: number,
  matches: number,
  options: AnomalyOptions | undefined,
): Map<number, Injection> {
  const injections = new Map<number, Injection>();
  if (!options || options.kinds.length === 0) return injections;
  const kinds = FEED_RULES.filter((kind) => options.kinds.includes(kind));
  const count = injectedMatchCount(matches, options);
  const chosen = drawIndexes(matches, count, Rng.derive(seed, 'anomalies'));
  let sources = 0;
  chosen.forEach((index, i) => {
    const kindIndex = i % kinds.length;
    const kind = kinds[kindIndex]!;
    injections.set(index, {
      kind,
      rank: Math.floor(i / kinds.length),
      of: Math.floor((count - 1 - kindIndex) / kinds.length) + 1,
      ...(needsSeparateSource(kind) && { source: ++sources }),
    });
  });
  return injections;
}

/** `count` distinct match indexes (1-based) in random order (a partial Fisher–Yates shuffle). */
function drawIndexes(matches: number, count: number, rng: Rng): number[] {
  const indexes = range(1, matches);
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, matches - 1);
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes.slice(0, count);
}

/**
 * Where in its match (0–1) each model event (by position) is released: on its match clock; in a source-velocity
 * match every 10th event of the first half on time (the trickle), all others together at 0.5 (the burst; later with
 * a duration under 42 s, see BURST_NOT_BEFORE_MS).
 */
export function releasePoints(
  match: SimulatedMatch,
  kind: FeedRule | undefined,
  durationMs: number,
): (i: number) => number {
  const onClock = (i: number): number => match.events[i]!.clockMs / match.playedMs;
  if (kind !== 'source-velocity') return onClock;
  // Shorter runs (refused by the command line) cannot give the source its history: they burst at 0.5 regardless.
  const burstAt =
    durationMs >= SOURCE_VELOCITY_MIN_DURATION_S * 1000
      ? Math.max(BURST_AT, BURST_NOT_BEFORE_MS / durationMs)
      : BURST_AT;
  return (i) => {
    const at = onClock(i);
    return at < BURST_AT && i % TRICKLE_EVERY === 0 ? at : burstAt;
  };
}

export interface InjectionContext {
  seed: number;
  match: SimulatedMatch;
  injection: Injection;
  /** When sending starts (epoch ms) and the wall ms one match takes (0: as fast as possible). */
  startAtMs: number;
  durationMs: number;
  /** The latest timestamp of any model event of the run (epoch ms). */
  lastTimestampMs: number;
}

type Builder = (ctx: InjectionContext, rng: Rng) => Outgoing[];

const BUILDERS: Record<FeedRule, Builder> = {
  // The trickle and the burst re-route the match's own events (releasePoints): nothing extra.
  'source-velocity': () => [],
  'duplicate-storm': duplicateStorm,
  'match-velocity': matchVelocity,
  'goal-burst': goalBurst,
  'clock-skew': clockSkew,
  'player-both-teams': playerBothTeams,
};

/** The items an injected match's anomaly adds to the plan: valid events counted like any other, or re-sends. */
export function injectedItems(ctx: InjectionContext): Outgoing[] {
  return BUILDERS[ctx.injection.kind](ctx, Rng.derive(ctx.seed, 'anomaly', ctx.match.index));
}

interface Extra {
  type: EventType;
  teamId: TeamId;
  playerId: string;
  clockMs: number;
  timestampMs: number;
  metadata?: Record<string, unknown>;
}

/** The n-th extra event of an injection: its eventId derived like the model's, its minute and half from its clock. */
function extraEvent(ctx: InjectionContext, n: number, extra: Extra): MatchEvent {
  const { match, injection } = ctx;
  return {
    eventId: deriveEventId(ctx.seed, match.index, `anomaly:${injection.kind}:${n}`),
    matchId: match.matchId,
    eventType: extra.type,
    timestamp: new Date(extra.timestampMs).toISOString(),
    teamId: extra.teamId,
    playerId: extra.playerId,
    metadata: {
      minute: Math.floor(extra.clockMs / MINUTE_MS),
      period: periodOf(match, extra.clockMs),
      ...extra.metadata,
    },
  };
}

const sent = (event: MatchEvent, at: number): Outgoing => ({
  at,
  kind: 'valid',
  body: event,
  event,
  resend: false,
});

const pickTeam = (rng: Rng): TeamId => (rng.chance(0.5) ? 1 : 2);

const pickPlayer = (rng: Rng, players: Player[], role: keyof typeof ROLE_WEIGHTS): Player =>
  rng.weighted(players, (p) => ROLE_WEIGHTS[role][p.position]);

/** The minute of play this injection sits at: the matches with its kind spread over INJECTION_MINUTES. */
function injectionMinute({ rank, of }: Injection): number {
  return INJECTION_MINUTES[Math.floor(((rank + 0.5) / of) * INJECTION_MINUTES.length)]!;
}

/** The middle of the injection's minute of play. */
const injectionClockMs = (injection: Injection): number => injectionMinute(injection) * MINUTE_MS + 30_000;

/** 250 passes of one team in one minute of event time (epoch minute), all released at its end. */
function matchVelocity(ctx: InjectionContext, rng: Rng): Outgoing[] {
  const { match } = ctx;
  const anchor = injectionClockMs(ctx.injection);
  const anchorMs = wallClockOf(match, anchor);
  const minuteStartMs = Math.floor(anchorMs / MINUTE_MS) * MINUTE_MS;
  const teamId = pickTeam(rng);
  const players = onPitchAt(match, teamId, anchor);
  const spacingMs = MINUTE_MS / VELOCITY_PASSES;
  const passes = range(0, VELOCITY_PASSES - 1).map((n) => {
    const timestampMs = minuteStartMs + n * spacingMs;
    // Inside one half: a minute of play and a minute of the wall clock are the same minute.
    const clockMs = anchor + (timestampMs - anchorMs);
    const playerId = pickPlayer(rng, players, 'pass').id;
    return extraEvent(ctx, n, { type: 'pass', teamId, playerId, clockMs, timestampMs });
  });
  const lastClockMs = anchor + (minuteStartMs + (VELOCITY_PASSES - 1) * spacingMs - anchorMs);
  return passes.map((event) => sent(event, lastClockMs / match.playedMs));
}

/** Four goals within 60 s of play, alternating teams, where the match has no goal of its own within 3 minutes. */
function goalBurst(ctx: InjectionContext, rng: Rng): Outgoing[] {
  const { match } = ctx;
  const start = goalBurstStart(match, injectionMinute(ctx.injection));
  const score = scoreBefore(match, start);
  let teamId = pickTeam(rng);
  return range(0, BURST_GOALS - 1).map((n) => {
    const clockMs = start + n * GOAL_SPACING_MS;
    const scorer = pickPlayer(rng, onPitchAt(match, teamId, clockMs), 'shot');
    score[teamId]++;
    const event = extraEvent(ctx, n, {
      type: 'goal',
      teamId,
      playerId: scorer.id,
      clockMs,
      timestampMs: wallClockOf(match, clockMs),
      // The running score of the model's goals after the burst is left as it was: no consumer reads it.
      metadata: { scorer: scorer.name, score: `${score[1]}-${score[2]}` },
    });
    teamId = teamId === 1 ? 2 : 1;
    return sent(event, clockMs / match.playedMs);
  });
}

/** The clock of the first goal of a burst: the injection minute nearest `target` clear of the match's own goals. */
function goalBurstStart(match: SimulatedMatch, target: number): number {
  const goals = match.events.filter((s) => s.event.eventType === 'goal').map((s) => s.clockMs);
  const span = (BURST_GOALS - 1) * GOAL_SPACING_MS;
  const clear = (start: number): boolean =>
    goals.every((g) => g < start - GOAL_CLEARANCE_MS || g > start + span + GOAL_CLEARANCE_MS);
  const nearest = [...INJECTION_MINUTES].sort((a, b) => Math.abs(a - target) - Math.abs(b - target) || a - b);
  const minute = nearest.find((m) => clear(m * MINUTE_MS + 5_000)) ?? target;
  return minute * MINUTE_MS + 5_000;
}

function scoreBefore(match: SimulatedMatch, clockMs: number): Record<TeamId, number> {
  const score: Record<TeamId, number> = { 1: 0, 2: 0 };
  for (const { clockMs: at, event } of match.events) {
    if (at < clockMs && event.eventType === 'goal') score[event.teamId as TeamId]++;
  }
  return score;
}

/** One foul stamped 2 h after both the run's last timestamp and its own planned send time. */
function clockSkew(ctx: InjectionContext, rng: Rng): Outgoing[] {
  const { match } = ctx;
  const clockMs = injectionClockMs(ctx.injection);
  const at = clockMs / match.playedMs;
  const plannedSendMs = ctx.startAtMs + at * ctx.durationMs;
  const teamId = pickTeam(rng);
  const event = extraEvent(ctx, 0, {
    type: 'foul',
    teamId,
    playerId: pickPlayer(rng, onPitchAt(match, teamId, clockMs), 'foul').id,
    clockMs,
    timestampMs: Math.max(ctx.lastTimestampMs, plannedSendMs) + SKEW_AHEAD_MS,
  });
  return [sent(event, at)];
}

/** A pass of team 2 by the team-1 player of the latest team-1 event before it (no own goal). */
function playerBothTeams(ctx: InjectionContext): Outgoing[] {
  const { match } = ctx;
  const clockMs = injectionClockMs(ctx.injection);
  let playerId: string | undefined;
  for (const { clockMs: at, event } of match.events) {
    if (at >= clockMs) break;
    if (event.teamId === 1 && event.playerId) playerId = event.playerId;
  }
  const event = extraEvent(ctx, 0, {
    type: 'pass',
    teamId: 2,
    playerId: playerId ?? match.squads[1].starters[0]!.id,
    clockMs,
    timestampMs: wallClockOf(match, clockMs),
  });
  return [sent(event, clockMs / match.playedMs)];
}

/** The match's last 300 events sent again, from the injection's own source, once the match's items are answered. */
function duplicateStorm(ctx: InjectionContext): Outgoing[] {
  return ctx.match.events.slice(-STORM_RESENDS).map(({ event }) => ({
    at: 1,
    kind: 'duplicate',
    body: event,
    event,
    resend: false,
    source: ctx.injection.source,
    awaitMatch: true,
  }));
}
