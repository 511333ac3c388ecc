import { RecentSet, SecondCounts, touch, trimOldest } from './bounded';
import { eventFingerprint } from './fingerprint';

export interface SourceRuleOptions {
  /** A source's events in the last 10 s above this many times its rate over the 60 s before: a spike. */
  spikeFactor: number;
  /** …and above this many events in the 10 s (a quiet source may double without being a spike). */
  spikeMinEvents: number;
  /** A source seen for less than 20 s: more events than this in 10 s is a new source bursting. */
  newSourceMaxEvents: number;
  /** Re-sent events (eventIds this API already accepted) in the last 60 s of a source: at least this many… */
  duplicateMinEvents: number;
  /** …making up at least this share (0–1) of the source's events in those 60 s: a duplicate storm. */
  duplicateShare: number;
  /** eventIds remembered as accepted (the newest; two generations of half each). */
  acceptedMemory: number;
  /** Sources tracked at once (the least recently seen are forgotten first). */
  maxSources: number;
}

export const DEFAULT_SOURCE_RULES: SourceRuleOptions = {
  spikeFactor: 10,
  spikeMinEvents: 300,
  newSourceMaxEvents: 20_000,
  duplicateMinEvents: 100,
  duplicateShare: 0.5,
  acceptedMemory: 200_000,
  maxSources: 10_000,
};

/** The rate is judged over the last WINDOW_S seconds against the HISTORY_S seconds before them. */
export const WINDOW_S = 10;
export const HISTORY_S = 60;
/** A source younger than WINDOW_S + MIN_HISTORY_S has too little history to compare with: it is new. */
export const MIN_HISTORY_S = 10;
/** Duplicate shares are judged over the last minute. */
export const DUPLICATE_WINDOW_S = 60;

interface SourceState {
  /** when the source was first seen, or seen again after a silence longer than WINDOW_S + HISTORY_S */
  firstSeenMs: number;
  lastSeenMs: number;
  events: SecondCounts;
  duplicates: SecondCounts;
}

/** What one request from a source is flagged with: per rule, the indexes of its events the rule flags. */
export interface SourceVerdict {
  /** Every event of the request: the request pushed the source past its rate. */
  velocity: boolean;
  /** Positions (in the request's events) of re-sent events during a duplicate storm. */
  duplicateStorm: number[];
}

/**
 * The API's rules, per source (an API key and client address): `judge` a request's eventIds before they are
 * produced, `accepted` once Kafka took them. State is in memory only and bounded (maxSources, acceptedMemory):
 * a restarted API, or another replica, starts from nothing (docs/feed-integrity.md).
 */
export class SourceMonitor {
  private readonly sources = new Map<string, SourceState>();
  /** fingerprints of accepted eventIds (fingerprint.ts) */
  private readonly acceptedIds: RecentSet;

  constructor(private readonly options: SourceRuleOptions = DEFAULT_SOURCE_RULES) {
    this.acceptedIds = new RecentSet(options.acceptedMemory);
  }

  get trackedSources(): number {
    return this.sources.size;
  }

  judge(source: string, eventIds: readonly string[], nowMs: number): SourceVerdict {
    const state = this.stateOf(source, nowMs);
    state.events.add(nowMs, eventIds.length);
    const duplicateAt: number[] = [];
    eventIds.forEach((id, i) => {
      const print = eventFingerprint(id);
      if (this.acceptedIds.has(print)) duplicateAt.push(i);
    });
    state.duplicates.add(nowMs, duplicateAt.length);
    return {
      velocity: this.isSpike(state, nowMs),
      duplicateStorm: duplicateAt.length > 0 && this.isDuplicateStorm(state, nowMs) ? duplicateAt : [],
    };
  }

  /** Remembers eventIds Kafka acknowledged: sending them again counts as a re-send. */
  accepted(eventIds: readonly string[]): void {
    for (const id of eventIds) this.acceptedIds.add(eventFingerprint(id));
  }

  private stateOf(source: string, nowMs: number): SourceState {
    let state = this.sources.get(source);
    if (!state) {
      trimOldest(this.sources, this.options.maxSources);
      state = {
        firstSeenMs: nowMs,
        lastSeenMs: nowMs,
        events: new SecondCounts(WINDOW_S + HISTORY_S),
        duplicates: new SecondCounts(DUPLICATE_WINDOW_S),
      };
    }
    // A source silent for longer than its history reaches back has no rate to compare with: it starts as new.
    if (nowMs - state.lastSeenMs > (WINDOW_S + HISTORY_S) * 1000) state.firstSeenMs = nowMs;
    state.lastSeenMs = nowMs;
    touch(this.sources, source, state);
    return state;
  }

  private isSpike(state: SourceState, nowMs: number): boolean {
    const recent = state.events.sum(nowMs, WINDOW_S);
    const ageS = (nowMs - state.firstSeenMs) / 1000;
    if (ageS < WINDOW_S + MIN_HISTORY_S) return recent > this.options.newSourceMaxEvents;
    if (recent <= this.options.spikeMinEvents) return false;
    const historyS = Math.min(HISTORY_S, Math.floor(ageS) - WINDOW_S);
    const expected = (state.events.sum(nowMs, historyS, WINDOW_S) / historyS) * WINDOW_S;
    return recent > this.options.spikeFactor * expected;
  }

  private isDuplicateStorm(state: SourceState, nowMs: number): boolean {
    const duplicates = state.duplicates.sum(nowMs, DUPLICATE_WINDOW_S);
    if (duplicates < this.options.duplicateMinEvents) return false;
    const events = state.events.sum(nowMs, DUPLICATE_WINDOW_S);
    return duplicates >= this.options.duplicateShare * events;
  }
}
