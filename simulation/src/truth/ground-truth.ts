import type { EventType, FeedRule, MatchEvent, Retraction } from '@pitchpulse/contract';
import { computeMetrics, type ExpectedMetrics } from './metrics';

/** A retraction the API acknowledged, as `GET /api/matches/{matchId}/retractions` must list it. */
export interface ExpectedRetraction {
  eventId: string;
  reason: string;
  /** Whether its event is stored: acknowledged (`yes`), delivery unknown (`maybe`), never acknowledged (`no`). */
  eventStored: 'yes' | 'maybe' | 'no';
  /** The retracted event's type, when the simulator delivered (or may have delivered) it. */
  eventType: EventType | null;
}

export interface MatchExpectation {
  matchId: string;
  /** Distinct events the pipeline must count: acknowledged with 202, and not (possibly) retracted. */
  accepted: number;
  /**
   * Distinct events that may or may not count: delivery unknown (503, timeout, broken connection), or acknowledged
   * but retracted by a request whose delivery is unknown.
   */
  unknown: number;
  /** Metrics of the events that must count: the lower bound, and the exact answer when `unknown` is 0. */
  exact: ExpectedMetrics;
  /** Metrics of the events that must or may count: the upper bound. */
  upper: ExpectedMetrics;
  /**
   * The eventIds of the goals: each accepted one must have exactly one highlight, an unknown one may. Its status
   * is READY, or RETRACTED for a goal in `retracted`; either for one in `maybeRetracted`.
   */
  goals: { accepted: string[]; unknown: string[]; retracted: string[]; maybeRetracted: string[] };
  /** Retractions: the accepted ones must be listed, the unknown ones (eventIds) may be. */
  retractions: { accepted: ExpectedRetraction[]; unknown: string[] };
  /** The feed-integrity anomaly injected into the match: the only rule that may flag it (null: none may). */
  anomaly: FeedRule | null;
}

interface MatchLedger {
  accepted: Map<string, MatchEvent>;
  unknown: Map<string, MatchEvent>;
  /** Retractions acknowledged with 202, by eventId. */
  retracted: Map<string, Retraction>;
  /** Retractions whose delivery is unknown, by eventId. */
  maybeRetracted: Map<string, Retraction>;
  anomaly: FeedRule | null;
}

/**
 * What the simulator knows was stored. Only events acknowledged with `202` count; an event sent twice counts
 * once (by eventId); an event whose request failed ambiguously is "unknown" until a later send of it is acknowledged.
 * A retracted event counts nowhere, whether it arrived before or after its retraction (or never).
 */
export class GroundTruth {
  private readonly matches = new Map<string, MatchLedger>();

  /**
   * Registers a match so that it is verified even if nothing of it was delivered (then it must be unknown: 404),
   * with the anomaly injected into it, if any.
   */
  track(matchId: string, anomaly?: FeedRule): void {
    const ledger = this.ledger(matchId);
    if (anomaly) ledger.anomaly = anomaly;
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

  recordRetractionAccepted(retraction: Retraction): void {
    const ledger = this.ledger(retraction.matchId);
    if (!ledger.retracted.has(retraction.eventId)) ledger.retracted.set(retraction.eventId, retraction);
    ledger.maybeRetracted.delete(retraction.eventId);
  }

  recordRetractionUnknown(retraction: Retraction): void {
    const ledger = this.ledger(retraction.matchId);
    if (!ledger.retracted.has(retraction.eventId)) ledger.maybeRetracted.set(retraction.eventId, retraction);
  }

  isAccepted(event: MatchEvent): boolean {
    return this.matches.get(event.matchId)?.accepted.has(event.eventId) ?? false;
  }

  matchIds(): string[] {
    return [...this.matches.keys()];
  }

  /** Distinct events acknowledged (retracted ones included: the pipeline stores them, and leaves them out). */
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
    const { certain, possible } = countedEvents(ledger);
    const exact = computeMetrics(matchId, certain);
    const upper = possible.length === 0 ? exact : computeMetrics(matchId, [...certain, ...possible]);
    const goalIds = (events: Iterable<MatchEvent>) =>
      [...events].filter((e) => e.eventType === 'goal').map((e) => e.eventId);
    const allGoals = new Set([...goalIds(ledger.accepted.values()), ...goalIds(ledger.unknown.values())]);
    const goalsOf = (retractions: Map<string, Retraction>) =>
      [...retractions.keys()].filter((id) => allGoals.has(id));
    return {
      matchId,
      accepted: certain.length,
      unknown: possible.length,
      exact,
      upper,
      goals: {
        accepted: goalIds(ledger.accepted.values()),
        unknown: goalIds(ledger.unknown.values()),
        retracted: goalsOf(ledger.retracted),
        maybeRetracted: goalsOf(ledger.maybeRetracted),
      },
      retractions: {
        accepted: [...ledger.retracted.values()].map((r) => expectedRetraction(ledger, r)),
        unknown: [...ledger.maybeRetracted.keys()],
      },
      anomaly: ledger.anomaly,
    };
  }

  private ledger(matchId: string): MatchLedger {
    let ledger = this.matches.get(matchId);
    if (!ledger) {
      ledger = {
        accepted: new Map(),
        unknown: new Map(),
        retracted: new Map(),
        maybeRetracted: new Map(),
        anomaly: null,
      };
      this.matches.set(matchId, ledger);
    }
    return ledger;
  }
}

/**
 * The events that certainly count (acknowledged, no retraction sent for them that may have landed) and those that
 * may (delivery unknown and not certainly retracted, or acknowledged with a retraction whose delivery is unknown).
 */
function countedEvents(ledger: MatchLedger): { certain: MatchEvent[]; possible: MatchEvent[] } {
  const certain: MatchEvent[] = [];
  const possible: MatchEvent[] = [];
  for (const event of ledger.accepted.values()) {
    if (ledger.retracted.has(event.eventId)) continue;
    (ledger.maybeRetracted.has(event.eventId) ? possible : certain).push(event);
  }
  for (const event of ledger.unknown.values()) {
    if (!ledger.retracted.has(event.eventId)) possible.push(event);
  }
  return { certain, possible };
}

function expectedRetraction(ledger: MatchLedger, retraction: Retraction): ExpectedRetraction {
  const accepted = ledger.accepted.get(retraction.eventId);
  const unknown = ledger.unknown.get(retraction.eventId);
  return {
    eventId: retraction.eventId,
    reason: retraction.reason,
    eventStored: accepted ? 'yes' : unknown ? 'maybe' : 'no',
    eventType: (accepted ?? unknown)?.eventType ?? null,
  };
}
