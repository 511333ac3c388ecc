import { Type, type Static } from '@sinclair/typebox';
import { MatchEvent, MatchId } from './event';
import { Closed, Count, DateTime, oneOf } from './schema';

/**
 * The feed-integrity rules (docs/feed-integrity.md): each flags traffic no real match produces. A flagged event is
 * stored and counted as usual; its row names the rules that fired.
 */
export const FEED_RULES = [
  'source-velocity',
  'duplicate-storm',
  'match-velocity',
  'goal-burst',
  'clock-skew',
  'player-both-teams',
] as const;
export type FeedRule = (typeof FEED_RULES)[number];

/** The rules the API decides (it sees the sources); the consumer decides the others (it sees a match in order). */
export const SOURCE_RULES = ['source-velocity', 'duplicate-storm'] as const satisfies readonly FeedRule[];
export type SourceRule = (typeof SOURCE_RULES)[number];

export const FeedRuleName = oneOf(FEED_RULES, {
  description: 'A feed-integrity rule (docs/feed-integrity.md)',
});

/**
 * The rules an event is flagged with, on its Kafka message (absent when none fired): the API writes the source
 * rules; the consumer adds the match rules to the row it stores.
 */
export const EventAnomalies = Type.Array(FeedRuleName, {
  minItems: 1,
  maxItems: FEED_RULES.length,
  uniqueItems: true,
  description: 'Feed-integrity rules this event was flagged with (absent when none fired)',
});

export const MAX_ANOMALY_EXAMPLES = 5;

/** One rule's flags in a match. */
export const MatchAnomaly = Closed('MatchAnomaly', {
  rule: FeedRuleName,
  events: Count({ description: 'Distinct events of the match flagged by this rule' }),
  firstSeenAt: DateTime({ description: 'When the API received the first flagged delivery' }),
  lastSeenAt: DateTime({ description: 'When the API received the latest flagged delivery' }),
  exampleEventIds: Type.Array(MatchEvent.properties.eventId, {
    maxItems: MAX_ANOMALY_EXAMPLES,
    description: `Up to ${MAX_ANOMALY_EXAMPLES} of the flagged eventIds`,
  }),
});
export type MatchAnomaly = Static<typeof MatchAnomaly>;

/** `GET /api/matches/{matchId}/anomalies`. */
export const MatchAnomalies = Closed(
  'MatchAnomalies',
  {
    matchId: MatchId(),
    flaggedEvents: Count({
      description: 'Distinct events of the match flagged by any rule (retracted ones included)',
    }),
    rules: Type.Array(MatchAnomaly, {
      description: 'The rules that fired, in FEED_RULES order; empty when none',
    }),
  },
  { description: 'What the feed-integrity rules flagged in one match' },
);
export type MatchAnomalies = Static<typeof MatchAnomalies>;
