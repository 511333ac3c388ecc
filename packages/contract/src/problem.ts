import { Type, type Static } from '@sinclair/typebox';
import { Closed, oneOf } from './schema';
import { FieldError, RejectedEvent } from './event';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types the services answer with (RFC 9457 `type` is `urn:pitchpulse:problem:<name>`). */
export const PROBLEM_TYPES = {
  'invalid-event': 'The body breaks the event contract; `errors` lists every field',
  'invalid-retraction': 'The body breaks the retraction contract; `errors` lists every field',
  'malformed-json': 'The body is not valid JSON',
  'missing-body': 'The request has no body',
  'body-too-large': 'The body is larger than the limit',
  'unsupported-media-type': 'The body is not application/json',
  'missing-api-key': 'No x-api-key header',
  'invalid-api-key': 'The x-api-key is not accepted',
  'rate-limited': 'Too many requests for this key or address; retry after Retry-After seconds',
  overloaded: 'The API is at capacity; retry after Retry-After seconds',
  'kafka-unavailable':
    'Kafka did not acknowledge the write in time; send the events again after Retry-After seconds (eventIds make it safe)',
  'invalid-parameter': 'A path or query parameter is invalid; `errors` names it',
  'clickhouse-unavailable': 'ClickHouse did not answer the read; retry after Retry-After seconds',
  'not-found': 'No such resource',
  'method-not-allowed': 'The resource does not support this method',
  internal: 'An unexpected error; it has been logged with the request id',
} as const;
export type ProblemType = keyof typeof PROBLEM_TYPES;

export const problemTypeUri = (type: ProblemType): string => `urn:pitchpulse:problem:${type}`;

/** An RFC 9457 problem document (`application/problem+json`): every error either service answers. */
export const Problem = Closed(
  'Problem',
  {
    type: oneOf(
      Object.keys(PROBLEM_TYPES).map((t) => problemTypeUri(t as ProblemType)),
      {
        description: 'urn:pitchpulse:problem:<name>, one of the problem types listed in the contract',
      },
    ),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(FieldError, { description: 'Validation failures, each naming its field (400, 413 never)' }),
    ),
    rejected: Type.Optional(
      Type.Array(RejectedEvent, { description: 'A batch with no valid event: every event with its errors' }),
    ),
    requestId: Type.Optional(
      Type.String({ description: 'The x-request-id of the request, also in the logs' }),
    ),
  },
  { description: 'RFC 9457 problem details; `Retry-After` accompanies 429 and 503.' },
);
export type ProblemBody = Static<typeof Problem>;
