import type { Position } from './squad';

/**
 * Per-match averages the model is calibrated to (both teams together, top-flight European football):
 * ~900 passes, ~25 shots of which ~11% are goals, ~22 fouls (most give a free kick, ~16% a yellow card),
 * ~4 offsides, ~10 corners (some after saved or blocked shots), ~50 interceptions, ~8 substitutions, ~0.15 red cards.
 * The model draws Poisson counts per minute of play from these; derived events (goal after a shot, free kick and
 * card after a foul, free kick after an offside) follow their cause a few seconds later.
 */
export const PER_MATCH = {
  /** Open-play passes; shots add a build-up of `BUILD_UP_PASSES` passes each on top. */
  pass: 800,
  shot: 24,
  foul: 21.5,
  offside: 4,
  corner: 6.3,
  interception: 48,
} as const;

export const PROBABILITY = {
  goalPerShot: 0.1,
  freeKickPerFoul: 0.93,
  yellowPerFoul: 0.16,
  straightRedPerFoul: 0.004,
  /** A booked player tackles more carefully: his yellow-card chance per foul is multiplied by this. */
  bookedCaution: 0.3,
} as const;

/** Mean passes in the move that leads to a shot (Poisson). */
export const BUILD_UP_PASSES = 4;

/** After a goal: one quieter minute (celebration, restart), then a few minutes of higher tempo. */
export const GOAL_BURST = { pauseFactor: 0.6, boostMinutes: 4, boostFactor: 1.45 } as const;

/** Substitutions per team (modern five-sub rule): probability of 2, 3, 4 or 5. */
export const SUBS_PER_TEAM: ReadonlyArray<readonly [number, number]> = [
  [2, 0.05],
  [3, 0.25],
  [4, 0.35],
  [5, 0.35],
];

export const HALF_MINUTES = 45;
export const HALF_TIME_BREAK_MS = 15 * 60_000;
/** Expected minutes of play including stoppage, used to turn per-match means into per-minute rates. */
export const EXPECTED_MINUTES_PLAYED = 96;

/** Who does what: relative weights by position. */
export const ROLE_WEIGHTS: Record<
  'pass' | 'shot' | 'foul' | 'interception' | 'offside' | 'corner' | 'free_kick',
  Record<Position, number>
> = {
  pass: { GK: 0.4, DF: 1.0, MF: 1.4, FW: 0.7 },
  shot: { GK: 0, DF: 0.25, MF: 0.8, FW: 2.2 },
  foul: { GK: 0.05, DF: 1.3, MF: 1.1, FW: 0.7 },
  interception: { GK: 0.1, DF: 1.5, MF: 1.0, FW: 0.3 },
  offside: { GK: 0, DF: 0.05, MF: 0.6, FW: 3 },
  corner: { GK: 0, DF: 0.3, MF: 1.5, FW: 0.5 },
  free_kick: { GK: 0.3, DF: 0.8, MF: 1.3, FW: 0.6 },
};
