import { Type, type Static } from '@sinclair/typebox';
import { Closed, DateTime, FreeObject, oneOf } from './schema';

export const EVENT_TYPES = [
  'goal',
  'shot',
  'pass',
  'foul',
  'yellow_card',
  'red_card',
  'substitution',
  'offside',
  'corner',
  'free_kick',
  'interception',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const TEAM_IDS = [1, 2] as const;
export type TeamId = (typeof TEAM_IDS)[number];

export const MATCH_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';
export const MATCH_ID_RULE = '1–64 characters of A–Z a–z 0–9 . _ : -';
export const MAX_METADATA_BYTES = 4096;
export const MAX_BATCH_EVENTS = 1000;

export const MatchId = (options: { description?: string } = {}) =>
  Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: MATCH_ID_PATTERN,
    description: MATCH_ID_RULE,
    examples: ['match-123'],
    ...options,
  });

/** The v1 match event, as a feed sends it (`POST /api/events`). */
export const MatchEvent = Closed(
  'MatchEvent',
  {
    eventId: Type.String({
      format: 'uuid',
      description: 'Idempotency key: the same event sent twice is stored and counted once.',
      examples: ['550e8400-e29b-41d4-a716-446655440000'],
    }),
    matchId: MatchId(),
    eventType: oneOf(EVENT_TYPES),
    timestamp: DateTime({
      maxLength: 40,
      description: 'When it happened: RFC 3339 with an offset or Z; milliseconds are kept.',
      examples: ['2024-01-15T14:30:00Z'],
    }),
    teamId: oneOf(TEAM_IDS),
    playerId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'Identifies a person (not a shirt number): one playerId plays for one team of a match, else the ' +
          'event is flagged player-both-teams (an own goal: `metadata.ownGoal: true`).',
        examples: ['player-456'],
      }),
    ),
    metadata: Type.Optional(
      FreeObject({
        description:
          `Free-form details; at most ${MAX_METADATA_BYTES} bytes as JSON. \`minute\` (a whole number ≥ 0) is ` +
          'the match minute the metrics use; `scorer` names a goal scorer; `ownGoal: true` marks a goal a ' +
          'player scored for the other team (its `teamId` is the team credited).',
        examples: [{ minute: 45, scorer: 'Player Name' }],
      }),
    ),
  },
  { description: 'One match event sent by a feed system (contract v1). Unknown fields are rejected.' },
);
export type MatchEvent = Static<typeof MatchEvent>;

/** `POST /api/events/batch`: each item is validated on its own (a bad one is listed, not fatal). */
export const EventBatch = Closed('EventBatch', {
  events: Type.Array(Type.Unknown(), {
    minItems: 1,
    maxItems: MAX_BATCH_EVENTS,
    description: `1–${MAX_BATCH_EVENTS} events; each is validated on its own (a bad one is listed, not fatal).`,
  }),
});

/** One problem with a request, named by its JSON Pointer (`/teamId`) or parameter name. */
export const FieldError = Closed('FieldError', {
  path: Type.String({
    description: 'JSON Pointer into the body (`/events/3/teamId`), or the parameter name',
  }),
  message: Type.String(),
});
export type FieldError = Static<typeof FieldError>;

/** `202` of `POST /api/events`. */
export const EventAccepted = Closed(
  'EventAccepted',
  {
    eventId: Type.String({ format: 'uuid' }),
    status: Type.Literal('accepted'),
    timestamp: DateTime({ description: 'When the API received the event (server time)' }),
  },
  { description: 'The event is in Kafka (acks=all): it will be stored and counted once.' },
);
export type EventAccepted = Static<typeof EventAccepted>;

/** The `202` of a batch route: its accepted items by index, the rejected ones with their errors. */
export function batchAnswer(names: {
  answer: string;
  accepted: string;
  rejected: string;
  /** the batch body's array: `events` */
  items: string;
  /** one of them: `event` */
  item: string;
}) {
  return Closed(
    names.answer,
    {
      status: oneOf(['accepted', 'partially_accepted'] as const),
      timestamp: DateTime({ description: 'When the API received the batch (server time)' }),
      accepted: Type.Array(
        Closed(names.accepted, {
          index: Type.Integer({ minimum: 0 }),
          eventId: Type.String({ format: 'uuid' }),
        }),
      ),
      rejected: Type.Array(
        Closed(names.rejected, {
          index: Type.Integer({ minimum: 0, description: `Position in \`${names.items}\`` }),
          errors: Type.Array(FieldError),
        }),
      ),
    },
    {
      description: `Every accepted ${names.item} is in Kafka; the rejected ones are listed with their errors.`,
    },
  );
}

/** `202` of `POST /api/events/batch`. */
export const BatchAccepted = batchAnswer({
  answer: 'BatchAccepted',
  accepted: 'AcceptedEvent',
  rejected: 'RejectedEvent',
  items: 'events',
  item: 'event',
});
export type BatchAccepted = Static<typeof BatchAccepted>;
export const RejectedEvent = BatchAccepted.properties.rejected.items;
export type RejectedEvent = Static<typeof RejectedEvent>;
