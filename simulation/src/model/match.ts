import type { EventType, MatchEvent } from '@pitchpulse/contract';
import { deriveEventId, simulatedMatchId } from './ids';
import {
  BUILD_UP_PASSES,
  EXPECTED_MINUTES_PLAYED,
  GOAL_BURST,
  HALF_MINUTES,
  HALF_TIME_BREAK_MS,
  PER_MATCH,
  PROBABILITY,
  ROLE_WEIGHTS,
  SUBS_PER_TEAM,
} from './rates';
import { Rng } from './rng';
import { buildSquad, type Player, type Squad, type TeamId } from './squad';

const MINUTE_MS = 60_000;

export interface MatchOptions {
  seed: number;
  /** 1-based position of the match in the run; part of the matchId, player ids and event ids. */
  index: number;
  /** Wall-clock time of kick-off: event timestamps are kick-off + match time (plus the half-time break). */
  kickoff: Date;
}

/** One generated event with its place on the match clock. */
export interface SimEvent {
  /** Milliseconds of play since kick-off (the half-time break excluded). */
  clockMs: number;
  /** Integer minute of play, 0 to ~96, stoppage time included (`metadata.minute`). */
  minute: number;
  event: MatchEvent;
}

export interface SimulatedMatch {
  matchId: string;
  index: number;
  kickoff: string;
  /** Minutes of play in each half, stoppage included (e.g. 47 and 50). */
  halves: [number, number];
  /** Milliseconds of play from kick-off to the final whistle. */
  playedMs: number;
  score: Record<TeamId, number>;
  squads: Record<TeamId, Squad>;
  /** Sorted by `clockMs`; causes come before their consequences. */
  events: SimEvent[];
}

interface Draft {
  clockMs: number;
  order: number;
  type: EventType;
  teamId: TeamId;
  playerId: string;
  metadata: Record<string, unknown>;
}

/** Wall-clock time (epoch ms) of a moment of play: kick-off + match time, plus the half-time break in the second half. */
function wallClockMs(kickoffMs: number, secondHalfStartMs: number, clockMs: number): number {
  return kickoffMs + clockMs + (clockMs >= secondHalfStartMs ? HALF_TIME_BREAK_MS : 0);
}

/** When (epoch ms) a moment of play of `match` happened on the wall clock. */
export function wallClockOf(match: SimulatedMatch, clockMs: number): number {
  return wallClockMs(Date.parse(match.kickoff), match.halves[0] * MINUTE_MS, clockMs);
}

/** The half (`metadata.period`) a moment of play of `match` falls in. */
export function periodOf(match: SimulatedMatch, clockMs: number): 1 | 2 {
  return clockMs < match.halves[0] * MINUTE_MS ? 1 : 2;
}

/** The same match kicked off at `kickoff`: every timestamp moves by the difference, nothing else changes. */
export function withKickoff(match: SimulatedMatch, kickoff: Date): SimulatedMatch {
  const shiftMs = kickoff.getTime() - Date.parse(match.kickoff);
  return {
    ...match,
    kickoff: kickoff.toISOString(),
    events: match.events.map((sim) => ({
      ...sim,
      event: { ...sim.event, timestamp: new Date(Date.parse(sim.event.timestamp) + shiftMs).toISOString() },
    })),
  };
}

/**
 * The players of a team on the pitch at a moment of play: the starters, with the substitutions and red cards before
 * it applied.
 */
export function onPitchAt(match: SimulatedMatch, teamId: TeamId, clockMs: number): Player[] {
  const squad = match.squads[teamId];
  const byId = new Map([...squad.starters, ...squad.bench].map((p) => [p.id, p]));
  const onPitch = new Set(squad.starters.map((p) => p.id));
  for (const { clockMs: at, event } of match.events) {
    if (at >= clockMs) break;
    if (event.teamId !== teamId) continue;
    if (event.eventType === 'red_card') onPitch.delete(event.playerId!);
    if (event.eventType !== 'substitution') continue;
    onPitch.delete((event.metadata as { playerOut: string }).playerOut);
    onPitch.add(event.playerId!);
  }
  return [...onPitch].map((id) => byId.get(id)!);
}

const other = (team: TeamId): TeamId => (team === 1 ? 2 : 1);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** Generates one match: a deterministic function of (seed, index, kickoff). */
export function simulateMatch(options: MatchOptions): SimulatedMatch {
  return new MatchEngine(options).run();
}

class MatchEngine {
  private readonly rng: Rng;
  private readonly squads: Record<TeamId, Squad>;
  private readonly onPitch: Record<TeamId, Player[]>;
  private readonly bench: Record<TeamId, Player[]>;
  private readonly booked = new Set<string>();
  private readonly score: Record<TeamId, number> = { 1: 0, 2: 0 };
  private readonly drafts: Draft[] = [];
  /** Team 1's share of possession (home advantage on average). */
  private readonly possession: number;
  private order = 0;
  private lastGoalMinute = -100;
  private period: 1 | 2 = 1;
  private periodEndMs = 0;
  private secondHalfStartMs = 0;
  private secondHalfGoals = 0;
  private secondHalfCards = 0;

  constructor(private readonly options: MatchOptions) {
    this.rng = Rng.derive(options.seed, 'match', options.index);
    this.squads = { 1: buildSquad(this.rng, options.index, 1), 2: buildSquad(this.rng, options.index, 2) };
    this.onPitch = { 1: [...this.squads[1].starters], 2: [...this.squads[2].starters] };
    this.bench = { 1: [...this.squads[1].bench], 2: [...this.squads[2].bench] };
    this.possession = clamp(this.rng.normal(0.53, 0.08), 0.3, 0.75);
  }

  run(): SimulatedMatch {
    const firstHalf = HALF_MINUTES + this.rng.pick([1, 1, 2, 2, 2, 3, 3, 4]);
    this.secondHalfStartMs = firstHalf * MINUTE_MS;
    const subs = this.planSubstitutions();

    this.period = 1;
    this.periodEndMs = this.secondHalfStartMs;
    for (let minute = 0; minute < firstHalf; minute++) this.playMinute(minute, subs);

    this.period = 2;
    const regularEnd = firstHalf + HALF_MINUTES;
    this.periodEndMs = regularEnd * MINUTE_MS;
    for (let minute = firstHalf; minute < regularEnd; minute++) this.playMinute(minute, subs);
    // Stoppage time grows with what happened in the half: goals, cards and substitutions stop the clock.
    const stoppage = Math.min(
      9,
      2 +
        this.rng.int(0, 2) +
        (this.secondHalfGoals >= 2 ? 1 : 0) +
        (this.secondHalfCards >= 3 ? 1 : 0) +
        (subs.length >= 9 ? 1 : 0),
    );
    const secondHalf = HALF_MINUTES + stoppage;
    this.periodEndMs = (firstHalf + secondHalf) * MINUTE_MS;
    for (let minute = regularEnd; minute < firstHalf + secondHalf; minute++) this.playMinute(minute, subs);

    return this.finish([firstHalf, secondHalf]);
  }

  /** 2–5 substitutions per team: a few at half-time, rare early injuries, most between the 55th and 88th minute. */
  private planSubstitutions(): Array<{ clockMs: number; teamId: TeamId }> {
    const planned: Array<{ clockMs: number; teamId: TeamId }> = [];
    for (const teamId of [1, 2] as const) {
      const count = this.rng.weighted(SUBS_PER_TEAM, ([, p]) => p)[0];
      for (let i = 0; i < count; i++) {
        const r = this.rng.float();
        let clockMs: number;
        if (r < 0.03) clockMs = this.rng.int(10, 44) * MINUTE_MS + this.rng.int(0, 59_999);
        else if (r < 0.15) clockMs = this.secondHalfStartMs + this.rng.int(0, 4_999);
        else
          clockMs =
            this.secondHalfStartMs +
            (this.rng.int(55, 88) - HALF_MINUTES) * MINUTE_MS +
            this.rng.int(0, 59_999);
        planned.push({ clockMs, teamId });
      }
    }
    return planned.sort((a, b) => a.clockMs - b.clockMs);
  }

  private playMinute(minute: number, subs: Array<{ clockMs: number; teamId: TeamId }>): void {
    const start = minute * MINUTE_MS;
    const end = start + MINUTE_MS;
    while (subs.length > 0 && (subs[0] as { clockMs: number }).clockMs < end) {
      const sub = subs.shift() as { clockMs: number; teamId: TeamId };
      this.substitute(sub.teamId, Math.max(sub.clockMs, start));
    }

    let intensity = 1;
    if (minute === this.lastGoalMinute + 1) intensity = GOAL_BURST.pauseFactor;
    else if (minute > this.lastGoalMinute + 1 && minute <= this.lastGoalMinute + 1 + GOAL_BURST.boostMinutes)
      intensity = GOAL_BURST.boostFactor;
    if (this.period === 2 && minute - this.secondHalfStartMs / MINUTE_MS >= 35) intensity *= 1.1;

    const perMinute = (mean: number): number =>
      this.rng.poisson((mean / EXPECTED_MINUTES_PLAYED) * intensity);
    const at = (): number => start + this.rng.int(0, MINUTE_MS - 1);
    const attacking = (): TeamId => (this.rng.chance(this.possession) ? 1 : 2);
    const shooting = (): TeamId =>
      this.rng.chance(clamp(0.5 + (this.possession - 0.5) * 1.5, 0.15, 0.85)) ? 1 : 2;

    for (let n = perMinute(PER_MATCH.pass); n > 0; n--) this.simple('pass', attacking(), at(), 'pass');
    for (let n = perMinute(PER_MATCH.interception); n > 0; n--)
      this.simple('interception', this.rng.chance(0.5) ? 1 : 2, at(), 'interception');
    for (let n = perMinute(PER_MATCH.corner); n > 0; n--) this.simple('corner', shooting(), at(), 'corner');
    for (let n = perMinute(PER_MATCH.offside); n > 0; n--) this.offside(attacking(), at());
    for (let n = perMinute(PER_MATCH.foul); n > 0; n--) this.foul(other(attacking()), at());
    for (let n = perMinute(PER_MATCH.shot); n > 0; n--) this.shot(shooting(), at(), start);
  }

  private player(teamId: TeamId, role: keyof typeof ROLE_WEIGHTS): Player {
    const weights = ROLE_WEIGHTS[role];
    return this.rng.weighted(this.onPitch[teamId], (p) => weights[p.position]);
  }

  private push(
    type: EventType,
    teamId: TeamId,
    clockMs: number,
    player: Player,
    extra: Record<string, unknown> = {},
  ): void {
    const minute = Math.floor(clockMs / MINUTE_MS);
    this.drafts.push({
      clockMs,
      order: this.order++,
      type,
      teamId,
      playerId: player.id,
      metadata: { minute, period: this.period, ...extra },
    });
  }

  /** A consequence a few seconds after its cause, never past the end of the half. */
  private after(clockMs: number, minDelay: number, maxDelay: number): number {
    return Math.min(clockMs + this.rng.int(minDelay, maxDelay), this.periodEndMs - 1);
  }

  private simple(type: EventType, teamId: TeamId, clockMs: number, role: keyof typeof ROLE_WEIGHTS): void {
    this.push(type, teamId, clockMs, this.player(teamId, role));
  }

  private offside(teamId: TeamId, clockMs: number): void {
    this.push('offside', teamId, clockMs, this.player(teamId, 'offside'));
    const defending = other(teamId);
    this.push(
      'free_kick',
      defending,
      this.after(clockMs, 5_000, 20_000),
      this.player(defending, 'free_kick'),
      {
        reason: 'offside',
      },
    );
  }

  private foul(teamId: TeamId, clockMs: number): void {
    const fouler = this.player(teamId, 'foul');
    const victimTeam = other(teamId);
    const victim = this.player(victimTeam, 'pass');
    this.push('foul', teamId, clockMs, fouler, { fouled: victim.id });
    if (this.rng.chance(PROBABILITY.freeKickPerFoul)) {
      this.push(
        'free_kick',
        victimTeam,
        this.after(clockMs, 8_000, 30_000),
        this.player(victimTeam, 'free_kick'),
        {
          reason: 'foul',
        },
      );
    }
    const r = this.rng.float();
    const cardAt = this.after(clockMs, 10_000, 45_000);
    if (r < PROBABILITY.straightRedPerFoul) {
      this.sendOff(teamId, fouler, cardAt, 'serious_foul_play');
    } else if (
      r <
      PROBABILITY.straightRedPerFoul +
        PROBABILITY.yellowPerFoul * (this.booked.has(fouler.id) ? PROBABILITY.bookedCaution : 1)
    ) {
      const second = this.booked.has(fouler.id);
      this.push(
        'yellow_card',
        teamId,
        cardAt,
        fouler,
        second ? { reason: 'foul', secondYellow: true } : { reason: 'foul' },
      );
      if (this.period === 2) this.secondHalfCards++;
      if (second) this.sendOff(teamId, fouler, cardAt, 'second_yellow');
      else this.booked.add(fouler.id);
    }
  }

  private sendOff(teamId: TeamId, player: Player, clockMs: number, reason: string): void {
    this.push('red_card', teamId, clockMs, player, { reason });
    if (this.period === 2) this.secondHalfCards++;
    this.onPitch[teamId] = this.onPitch[teamId].filter((p) => p.id !== player.id);
  }

  private shot(teamId: TeamId, clockMs: number, minuteStart: number): void {
    const shooter = this.player(teamId, 'shot');
    // The move that led to the shot: a few passes in the seconds before it.
    for (let n = this.rng.poisson(BUILD_UP_PASSES); n > 0; n--) {
      this.push(
        'pass',
        teamId,
        this.rng.int(Math.max(minuteStart, clockMs - 20_000), clockMs),
        this.player(teamId, 'pass'),
      );
    }
    if (this.rng.chance(PROBABILITY.goalPerShot)) {
      this.push('shot', teamId, clockMs, shooter, { outcome: 'goal' });
      this.score[teamId]++;
      const goalAt = this.after(clockMs, 1_000, 3_000);
      // The running score is written in finish(), once the goals are in time order.
      this.push('goal', teamId, goalAt, shooter, { scorer: shooter.name, score: '' });
      this.lastGoalMinute = Math.floor(goalAt / MINUTE_MS);
      if (this.period === 2) this.secondHalfGoals++;
      return;
    }
    const r = this.rng.float();
    const outcome = r < 0.33 ? 'saved' : r < 0.58 ? 'blocked' : 'off_target';
    this.push('shot', teamId, clockMs, shooter, { outcome });
    if (outcome !== 'off_target' && this.rng.chance(0.28)) {
      this.push('corner', teamId, this.after(clockMs, 5_000, 25_000), this.player(teamId, 'corner'));
    }
  }

  private substitute(teamId: TeamId, clockMs: number): void {
    const candidates = this.onPitch[teamId].filter(
      (p) => p.position !== 'GK' && this.squads[teamId].starters.some((s) => s.id === p.id),
    );
    if (candidates.length === 0 || this.bench[teamId].length === 0) return;
    const out = this.rng.weighted(candidates, (p) => ({ GK: 0, DF: 0.7, MF: 1.3, FW: 1.5 })[p.position]);
    const sameRole = this.bench[teamId].filter((p) => p.position === out.position);
    const outfield = this.bench[teamId].filter((p) => p.position !== 'GK');
    const pool = sameRole.length > 0 ? sameRole : outfield;
    if (pool.length === 0) return;
    const incoming = this.rng.pick(pool);
    this.bench[teamId] = this.bench[teamId].filter((p) => p.id !== incoming.id);
    this.onPitch[teamId] = this.onPitch[teamId].map((p) => (p.id === out.id ? incoming : p));
    this.push('substitution', teamId, clockMs, incoming, { playerOut: out.id, playerIn: incoming.id });
  }

  private finish(halves: [number, number]): SimulatedMatch {
    const { seed, index, kickoff } = this.options;
    const matchId = simulatedMatchId(seed, index);
    const kickoffMs = kickoff.getTime();
    const sorted = this.drafts.sort((a, b) => a.clockMs - b.clockMs || a.order - b.order);
    const running: Record<TeamId, number> = { 1: 0, 2: 0 };
    for (const d of sorted) {
      if (d.type !== 'goal') continue;
      running[d.teamId]++;
      d.metadata.score = `${running[1]}-${running[2]}`;
    }
    const events: SimEvent[] = sorted.map((d, seq) => ({
      clockMs: d.clockMs,
      minute: d.metadata.minute as number,
      event: {
        eventId: deriveEventId(seed, index, seq),
        matchId,
        eventType: d.type,
        timestamp: new Date(wallClockMs(kickoffMs, this.secondHalfStartMs, d.clockMs)).toISOString(),
        teamId: d.teamId,
        playerId: d.playerId,
        metadata: d.metadata,
      },
    }));
    return {
      matchId,
      index,
      kickoff: kickoff.toISOString(),
      halves,
      playedMs: (halves[0] + halves[1]) * MINUTE_MS,
      score: { ...this.score },
      squads: this.squads,
      events,
    };
  }
}
