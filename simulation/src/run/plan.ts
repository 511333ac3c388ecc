import type { MatchEvent } from '@pitchpulse/contract';
import { deriveEventId } from '../model/ids';
import { breakEvent } from '../model/invalid';
import { simulateMatch, type SimulatedMatch } from '../model/match';
import { Rng } from '../model/rng';

/** One request body waiting to be sent. */
export interface Outgoing {
  /** Where in its match this falls, 0–1 (match clock ÷ match length): release time = at × match duration. */
  at: number;
  kind: 'valid' | 'invalid' | 'duplicate';
  /** What goes on the wire. */
  body: unknown;
  /** The valid event (absent for deliberately broken ones). */
  event?: MatchEvent;
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
}

export interface RunPlan {
  matches: SimulatedMatch[];
  /** Every match's events interleaved in match-time order (the order a live feed of parallel matches produces). */
  items: Outgoing[];
  generated: number;
  invalid: number;
  duplicatesPlanned: number;
}

/** Generates the matches and the send order; a pure function of its options. */
export function planRun(options: PlanOptions): RunPlan {
  const matches: SimulatedMatch[] = [];
  const items: Outgoing[] = [];
  let invalid = 0;
  let duplicatesPlanned = 0;
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
  }
  const generated = items.length - invalid;
  // Stable sort: within a match, causes keep their place before consequences.
  items.sort((a, b) => a.at - b.at);
  return { matches, items, generated, invalid, duplicatesPlanned };
}
