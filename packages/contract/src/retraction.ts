import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPES, MatchEvent, MatchId, batchAnswer } from './event';
import { Closed, Count, DateTime, oneOf } from './schema';

export const MAX_RETRACTION_REASON_LENGTH = 500;
export const MAX_BATCH_RETRACTIONS = 1000;

/**
 * `POST /api/retractions`: the feed takes an event back (a goal disallowed on review, a card rescinded, an event
 * sent for the wrong match). Every figure leaves the event out once the retraction is stored, whichever of the two
 * arrives first; retracting an event twice is the same as once.
 */
export const Retraction = Closed(
  'Retraction',
  {
    eventId: Type.String({
      format: 'uuid',
      description: 'The retracted event (its `eventId`); also the idempotency key of the retraction.',
      examples: ['550e8400-e29b-41d4-a716-446655440000'],
    }),
    matchId: MatchId({ description: 'The match the event was sent for' }),
    reason: Type.String({
      minLength: 1,
      maxLength: MAX_RETRACTION_REASON_LENGTH,
      description: `Why (1–${MAX_RETRACTION_REASON_LENGTH} characters), e.g. "VAR: offside"`,
      examples: ['VAR: offside in the build-up'],
    }),
  },
  { description: 'Takes one event back: every figure leaves it out once the retraction is stored.' },
);
export type Retraction = Static<typeof Retraction>;

/** `POST /api/retractions/batch`: each item is validated on its own (a bad one is listed, not fatal). */
export const RetractionBatch = Closed('RetractionBatch', {
  retractions: Type.Array(Type.Unknown(), {
    minItems: 1,
    maxItems: MAX_BATCH_RETRACTIONS,
    description: `1–${MAX_BATCH_RETRACTIONS} retractions; each is validated on its own (a bad one is listed, not fatal).`,
  }),
});

/** `202` of `POST /api/retractions`. */
export const RetractionAccepted = Closed(
  'RetractionAccepted',
  {
    eventId: Type.String({ format: 'uuid' }),
    status: Type.Literal('accepted'),
    timestamp: DateTime({ description: 'When the API received the retraction (server time)' }),
  },
  { description: 'The retraction is in Kafka (acks=all): the event will be left out of every figure.' },
);
export type RetractionAccepted = Static<typeof RetractionAccepted>;

/** `202` of `POST /api/retractions/batch`. */
export const RetractionBatchAccepted = batchAnswer({
  answer: 'RetractionBatchAccepted',
  accepted: 'AcceptedRetraction',
  rejected: 'RejectedRetraction',
  items: 'retractions',
  item: 'retraction',
});
export type RetractionBatchAccepted = Static<typeof RetractionBatchAccepted>;

/**
 * A retraction as it travels on `match-events` (key = matchId, so it is ordered with the match's events and read
 * by the same consumer): the request plus `kind` and the API's receive time.
 */
export const StoredRetraction = Closed(
  'StoredRetraction',
  {
    kind: Type.Literal('retraction', { description: 'Tells a retraction from an event on the events topic' }),
    ...Retraction.properties,
    receivedAt: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'When the API received the retraction (epoch milliseconds)',
    }),
  },
  { description: 'Kafka message value of a retraction on `match-events`, as JSON (UTF-8)' },
);
export type StoredRetraction = Static<typeof StoredRetraction>;

/** `GET /api/matches/{matchId}/retractions`: one entry per retracted eventId. */
export const MatchRetraction = Closed('MatchRetraction', {
  eventId: MatchEvent.properties.eventId,
  reason: Type.String({ description: 'The reason of the first retraction stored' }),
  retractedAt: DateTime({ description: 'When the API received the first retraction of the event' }),
  found: Type.Boolean({ description: 'Whether the event itself is stored (for this match)' }),
  eventType: Type.Union([oneOf(EVENT_TYPES), Type.Null()], {
    description: 'The retracted event’s type, null until the event is stored',
  }),
});
export type MatchRetraction = Static<typeof MatchRetraction>;

export const MatchRetractions = Closed(
  'MatchRetractions',
  {
    matchId: MatchId(),
    total: Count({ description: 'Retracted eventIds of the match' }),
    notFound: Count({ description: 'Of those, retractions whose event is not stored (yet)' }),
    items: Type.Array(MatchRetraction, { description: 'Oldest retraction first' }),
  },
  { description: 'The retractions of one match, whether or not their events arrived' },
);
export type MatchRetractions = Static<typeof MatchRetractions>;
