import type { FeedRule, MatchEvent, Retraction } from '@pitchpulse/contract';
import { deriveEventId } from '../model/ids';
import { breakEvent } from '../model/invalid';
import { simulateMatch, withKickoff, type SimulatedMatch } from '../model/match';
import { Rng } from '../model/rng';
import {
  injectedItems,
  planInjections,
  releasePoints,
  type AnomalyOptions,
  type Injection,
} from './anomalies';

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
  /** Sent by a separate source (a client address of its own: 1 = 127.0.0.2, …); absent: the regular source. */
  source?: number;
  /** Held back until every earlier item of its match has been answered (a duplicate storm re-sends accepted events). */
  awaitMatch?: boolean;
}

export interface PlanOptions {
  seed: number;
  matches: number;
  /**
   * Kick-off of every match. Default: honest timestamps — the latest whole second at which no event is stamped after
   * its planned release (`startAt` + at × `durationMs`), as a live feed stamps them.
   */
  kickoff?: Date;
  /** When sending starts: the honest kick-off and the clock-skew anomaly are reckoned from it. Default: now. */
  startAt?: Date;
  /** Wall ms one match takes (--duration); undefined or 0: as fast as possible. */
  durationMs?: number;
  /** Share (0–1) of extra, deliberately broken events. */
  invalidShare: number;
  /** Share (0–1) of accepted events to send a second time. */
  duplicateShare: number;
  /** Share (0–1) of goals disallowed: each is retracted about a minute of play after it was scored. Default 0. */
  retractShare?: number;
  /** Feed-integrity anomalies to inject (--inject-anomalies); default none. */
  anomalies?: AnomalyOptions;
}

export interface RunPlan {
  /** The kick-off of every match (the honest default, or the one asked for). */
  kickoff: Date;
  matches: SimulatedMatch[];
  /** Every match's events interleaved in match-time order (the order a live feed of parallel matches produces). */
  items: Outgoing[];
  /** Valid, distinct events (injected ones included). */
  generated: number;
  invalid: number;
  duplicatesPlanned: number;
  /** Retractions of disallowed goals. */
  retractions: number;
  /** The anomaly each injected match got, by matchId. */
  injected: Map<string, FeedRule>;
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

/** A kick-off to generate the matches with before the honest one is known (only their timestamps depend on it). */
const PROVISIONAL_KICKOFF = new Date(0);

/**
 * The latest kick-off (whole seconds) at which no model event is stamped after its planned release: now minus the
 * most any event's time since kick-off runs ahead of its release (≈ the longest match's span − the duration).
 */
function honestKickoff(
  matches: readonly SimulatedMatch[],
  injections: ReadonlyMap<number, Injection>,
  startAtMs: number,
  durationMs: number,
): Date {
  let leadMs = 0;
  for (const match of matches) {
    const kickoffMs = Date.parse(match.kickoff);
    const release = releasePoints(match, injections.get(match.index)?.kind, durationMs);
    match.events.forEach((sim, i) => {
      leadMs = Math.max(leadMs, Date.parse(sim.event.timestamp) - kickoffMs - release(i) * durationMs);
    });
  }
  return new Date(Math.floor((startAtMs - leadMs) / 1000) * 1000);
}

/** Every match, kicked off at `options.kickoff`, or at the honest kick-off when none is given. */
function generateMatches(
  options: PlanOptions,
  injections: ReadonlyMap<number, Injection>,
  startAtMs: number,
): { kickoff: Date; matches: SimulatedMatch[] } {
  const kickoff = options.kickoff ?? PROVISIONAL_KICKOFF;
  const matches: SimulatedMatch[] = [];
  for (let index = 1; index <= options.matches; index++) {
    matches.push(simulateMatch({ seed: options.seed, index, kickoff }));
  }
  if (options.kickoff) return { kickoff, matches };
  const honest = honestKickoff(matches, injections, startAtMs, options.durationMs ?? 0);
  return { kickoff: honest, matches: matches.map((match) => withKickoff(match, honest)) };
}

/**
 * The model's events of one match as items, on their release points, with the broken copies and re-sends asked for.
 * `run.invalid` numbers the broken copies across the run (part of their eventIds).
 */
function matchItems(
  options: PlanOptions,
  match: SimulatedMatch,
  injection: Injection | undefined,
  run: { invalid: number },
): Outgoing[] {
  const items: Outgoing[] = [];
  const { seed } = options;
  // Separate random streams: the shares change what is injected, never the matches themselves.
  const breakRng = Rng.derive(seed, 'invalid', match.index);
  const dupRng = Rng.derive(seed, 'duplicate', match.index);
  const release = releasePoints(match, injection?.kind, options.durationMs ?? 0);
  // A source-velocity match is sent by its own source only.
  const source = injection?.kind === 'source-velocity' ? { source: injection.source } : {};
  match.events.forEach((sim, i) => {
    const at = release(i);
    const resend = options.duplicateShare > 0 && dupRng.chance(options.duplicateShare);
    items.push({ at, kind: 'valid', body: sim.event, event: sim.event, resend, ...source });
    if (options.invalidShare > 0 && breakRng.chance(options.invalidShare)) {
      const freshId = deriveEventId(seed, match.index, `invalid:${run.invalid++}`);
      items.push({
        at,
        kind: 'invalid',
        body: breakEvent(sim.event, freshId, breakRng).body,
        resend: false,
        ...source,
      });
    }
  });
  return items;
}

/** Generates the matches and the send order; a pure function of its options (and of `startAt`, default now). */
export function planRun(options: PlanOptions): RunPlan {
  const injections = planInjections(options.seed, options.matches, options.anomalies);
  const startAtMs = (options.startAt ?? new Date()).getTime();
  const { kickoff, matches } = generateMatches(options, injections, startAtMs);
  const lastTimestampMs = matches.reduce(
    (latest, m) => Math.max(latest, Date.parse(m.events[m.events.length - 1]?.event.timestamp ?? m.kickoff)),
    -Infinity,
  );
  const items: Outgoing[] = [];
  const injected = new Map<string, FeedRule>();
  const run = { invalid: 0 };
  for (const match of matches) {
    const injection = injections.get(match.index);
    items.push(...matchItems(options, match, injection, run));
    const retractRng = Rng.derive(options.seed, 'retract', match.index);
    items.push(...plannedRetractions(match, options.retractShare ?? 0, retractRng));
    if (!injection) continue;
    injected.set(match.matchId, injection.kind);
    const context = { match, injection, lastTimestampMs, durationMs: options.durationMs ?? 0 };
    items.push(...injectedItems({ seed: options.seed, startAtMs, ...context }));
  }
  // Stable sort: within a match, causes keep their place before consequences.
  items.sort((a, b) => a.at - b.at);
  const count = (kind: Outgoing['kind']): number => items.filter((item) => item.kind === kind).length;
  return {
    kickoff,
    matches,
    items,
    generated: count('valid'),
    invalid: count('invalid'),
    duplicatesPlanned: items.filter((item) => item.resend).length,
    retractions: count('retraction'),
    injected,
  };
}
