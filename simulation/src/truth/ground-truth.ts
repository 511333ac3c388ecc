import type { MatchEvent } from '@pitchpulse/contract';
import { computeMetrics, type ExpectedMetrics } from './metrics';

export interface MatchExpectation {
  matchId: string;
  /** Distinct events the API acknowledged with 202: the pipeline must count every one of them. */
  accepted: number;
  /** Distinct events whose delivery is unknown (503, timeout, broken connection): each may or may not count. */
  unknown: number;
  /** Metrics of the accepted events alone: the lower bound, and the exact answer when `unknown` is 0. */
  exact: ExpectedMetrics;
  /** Metrics of accepted plus unknown events: the upper bound. */
  upper: ExpectedMetrics;
  /** The eventIds of the goals: each accepted one must have exactly one READY highlight, an unknown one may. */
  goals: { accepted: string[]; unknown: string[] };
}

interface MatchLedger {
  accepted: Map<string, MatchEvent>;
  unknown: Map<string, MatchEvent>;
}

/**
 * What the simulator knows was stored. Only events acknowledged with `202` count; an event sent twice counts
 * once (by eventId); an event whose request failed ambiguously is "unknown" until a later send of it is acknowledged.
 */
export class GroundTruth {
  private readonly matches = new Map<string, MatchLedger>();

  /** Registers a match so that it is verified even if nothing of it was delivered (then it must be unknown: 404). */
  track(matchId: string): void {
    this.ledger(matchId);
  }

  recordAccepted(event: MatchEvent): void {
    const ledger = this.ledger(event.matchId);
    ledger.accepted.set(event.eventId, event);
    ledger.unknown.delete(event.eventId);
  }

  recordUnknown(event: MatchEvent): void {
    const ledger = this.ledger(event.matchId);
    if (!ledger.accepted.has(event.eventId)) ledger.unknown.set(event.eventId, event);
  }

  isAccepted(event: MatchEvent): boolean {
    return this.matches.get(event.matchId)?.accepted.has(event.eventId) ?? false;
  }

  matchIds(): string[] {
    return [...this.matches.keys()];
  }

  get acceptedCount(): number {
    let n = 0;
    for (const ledger of this.matches.values()) n += ledger.accepted.size;
    return n;
  }

  get unknownCount(): number {
    let n = 0;
    for (const ledger of this.matches.values()) n += ledger.unknown.size;
    return n;
  }

  expectation(matchId: string): MatchExpectation {
    const ledger = this.ledger(matchId);
    const exact = computeMetrics(matchId, ledger.accepted.values());
    const upper =
      ledger.unknown.size === 0
        ? exact
        : computeMetrics(matchId, [...ledger.accepted.values(), ...ledger.unknown.values()]);
    const goalIds = (events: Map<string, MatchEvent>) =>
      [...events.values()].filter((e) => e.eventType === 'goal').map((e) => e.eventId);
    return {
      matchId,
      accepted: ledger.accepted.size,
      unknown: ledger.unknown.size,
      exact,
      upper,
      goals: { accepted: goalIds(ledger.accepted), unknown: goalIds(ledger.unknown) },
    };
  }

  private ledger(matchId: string): MatchLedger {
    let ledger = this.matches.get(matchId);
    if (!ledger) {
      ledger = { accepted: new Map(), unknown: new Map() };
      this.matches.set(matchId, ledger);
    }
    return ledger;
  }
}
