import type { MatchEvent, Retraction } from '@pitchpulse/contract';
import { deriveEventId } from '../model/ids';
import { breakEvent } from '../model/invalid';
import { simulateMatch, type SimulatedMatch } from '../model/match';
import { Rng } from '../model/rng';

/** One request body waiting to be sent. */
export interface Outgoing {
  /** Where in its match this falls, 0–1 (match clock ÷ match length): release time = at × match duration. */
  at: number;
  kind: 'valid' | 'invalid' | 'duplicate' | 'retraction';
  /** What goes on the wire. */
  body: unknown;
  /** The valid event (absent for deliberately broken ones and for retractions). */
  event?: MatchEvent;
  /** The retraction of a disallowed goal (kind `retraction`; sent to `/api/retractions`). */
  retraction?: Retraction;
  /** Re-send this event once it has been acknowledged (duplicate injection). */
  resend: boolean;
}

export interface PlanOptions {
  seed: number;
  matches: number;
  kickoff: Date;
  /** Share (0–1) of extra, deliberately broken events. */
  invalidShare: number;
  /** Share (0–1) of accepted events to send a second time. */
  duplicateShare: number;
  /** Share (0–1) of goals disallowed: each is retracted about a minute of play after it was scored. Default 0. */
  retractShare?: number;
}

export interface RunPlan {
  matches: SimulatedMatch[];
  /** Every match's events interleaved in match-time order (the order a live feed of parallel matches produces). */
  items: Outgoing[];
  /** Valid, distinct events. */
  generated: number;
  invalid: number;
  duplicatesPlanned: number;
  /** Retractions of disallowed goals. */
  retractions: number;
}

export const RETRACTION_REASON = 'VAR review: goal disallowed';
/** A VAR review takes about a minute of play: the retraction follows its goal by 45–75 s on the match clock. */
const REVIEW_MS = { min: 45_000, max: 75_000 };

/**
 * The retractions of a match's disallowed goals: each goal is disallowed with probability `share`, and retracted
 * a VAR review after it was scored (never after the final whistle).
 */
function plannedRetractions(match: SimulatedMatch, share: number, rng: Rng): Outgoing[] {
  const out: Outgoing[] = [];
  if (share <= 0) return out;
  for (const sim of match.events) {
    if (sim.event.eventType !== 'goal' || !rng.chance(share)) continue;
    const clockMs = Math.min(sim.clockMs + rng.int(REVIEW_MS.min, REVIEW_MS.max), match.playedMs);
    const retraction: Retraction = {
      eventId: sim.event.eventId,
      matchId: match.matchId,
      reason: RETRACTION_REASON,
    };
    out.push({
      at: clockMs / match.playedMs,
      kind: 'retraction',
      body: retraction,
      retraction,
      resend: false,
    });
  }
  return out;
}

/** Generates the matches and the send order; a pure function of its options. */
export function planRun(options: PlanOptions): RunPlan {
  const matches: SimulatedMatch[] = [];
  const items: Outgoing[] = [];
  let invalid = 0;
  let duplicatesPlanned = 0;
  let retractions = 0;
  for (let index = 1; index <= options.matches; index++) {
    const match = simulateMatch({ seed: options.seed, index, kickoff: options.kickoff });
    matches.push(match);
    // Separate random streams: the shares change what is injected, never the matches themselves.
    const breakRng = Rng.derive(options.seed, 'invalid', index);
    const dupRng = Rng.derive(options.seed, 'duplicate', index);
    for (const sim of match.events) {
      const at = sim.clockMs / match.playedMs;
      const resend = options.duplicateShare > 0 && dupRng.chance(options.duplicateShare);
      if (resend) duplicatesPlanned++;
      items.push({ at, kind: 'valid', body: sim.event, event: sim.event, resend });
      if (options.invalidShare > 0 && breakRng.chance(options.invalidShare)) {
        const broken = breakEvent(
          sim.event,
          deriveEventId(options.seed, index, `invalid:${invalid}`),
          breakRng,
        );
        items.push({ at, kind: 'invalid', body: broken.body, resend: false });
        invalid++;
      }
    }
    const disallowed = plannedRetractions(
      match,
      options.retractShare ?? 0,
      Rng.derive(options.seed, 'retract', index),
    );
    items.push(...disallowed);
    retractions += disallowed.length;
  }
  const generated = items.length - invalid - retractions;
  // Stable sort: within a match, causes keep their place before consequences.
  items.sort((a, b) => a.at - b.at);
  return { matches, items, generated, invalid, duplicatesPlanned, retractions };
}
