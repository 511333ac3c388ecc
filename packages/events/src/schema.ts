import type { FromSchema } from 'json-schema-to-ts';

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

export const MATCH_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';
export const MAX_METADATA_BYTES = 4096;
export const MAX_BATCH_EVENTS = 1000;

/** The v1 match event: the one source for validation, TS types and the OpenAPI document. */
export const matchEventSchema = {
  $id: 'MatchEvent',
  title: 'MatchEvent',
  description: 'One match event sent by a feed system (contract v1).',
  type: 'object',
  additionalProperties: false,
  required: ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'],
  properties: {
    eventId: {
      type: 'string',
      format: 'uuid',
      description: 'Idempotency key: the same event sent twice is stored and counted once.',
      examples: ['550e8400-e29b-41d4-a716-446655440000'],
    },
    matchId: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: MATCH_ID_PATTERN,
      description: '1–64 characters of A–Z a–z 0–9 . _ : -',
      examples: ['match-123'],
    },
    eventType: { type: 'string', enum: EVENT_TYPES },
    timestamp: {
      type: 'string',
      format: 'date-time',
      maxLength: 40,
      description: 'When it happened: RFC 3339 with an offset or Z; milliseconds are kept.',
      examples: ['2024-01-15T14:30:00Z'],
    },
    teamId: { type: 'integer', enum: [1, 2] },
    playerId: { type: 'string', minLength: 1, maxLength: 64, examples: ['player-456'] },
    metadata: {
      type: 'object',
      description: `Free-form details (e.g. minute, scorer); at most ${MAX_METADATA_BYTES} bytes as JSON.`,
      examples: [{ minute: 45, scorer: 'Player Name' }],
    },
  },
} as const;

export const eventBatchSchema = {
  $id: 'EventBatch',
  title: 'EventBatch',
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BATCH_EVENTS,
      description: `1–${MAX_BATCH_EVENTS} events; each is validated on its own (a bad one is listed, not fatal).`,
      items: {},
    },
  },
} as const;

export type MatchEvent = FromSchema<typeof matchEventSchema>;
export type EventType = (typeof EVENT_TYPES)[number];
