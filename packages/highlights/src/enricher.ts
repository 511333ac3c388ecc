import type { TeamId } from '@pitchpulse/contract';

/** What an enricher is told about a highlight: the event as the feed sent it, and the match around it. */
export interface EnrichmentInput {
  highlightId: string;
  matchId: string;
  eventType: string;
  teamId: TeamId;
  /** `metadata.scorer` when the feed sent one, else the event's playerId, else null */
  player: string | null;
  /** minute of play (the feed's, else minutes since the match's first event) */
  minute: number;
  /** the score after this event, counting the match's goals up to it (a redelivered goal once) */
  score: { '1': number; '2': number };
  metadata: Record<string, unknown>;
}

export interface Enrichment {
  title: string;
  summary: string;
}

/**
 * Turns a highlight into a title and a one-sentence summary. May throw: the worker retries with backoff and
 * records the error, then marks the highlight FAILED. Must not keep state between calls that changes the answer
 * (a highlight can be enriched twice: after a crash, or by two workers).
 */
export interface HighlightEnricher {
  readonly name: string;
  enrich(input: EnrichmentInput): Promise<Enrichment>;
}
