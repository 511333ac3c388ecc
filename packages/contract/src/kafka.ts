import { Type, type Static } from '@sinclair/typebox';
import { EventAnomalies } from './anomaly';
import { MatchEvent } from './event';
import { Closed, oneOf } from './schema';

/** The pipeline's topics (names are configurable; these are the defaults). */
export const DEFAULT_TOPICS = Object.freeze({
  events: 'match-events',
  retry: 'match-events.retry',
  dlq: 'match-events.dlq',
});

/**
 * The value of a message on `match-events` (and of its retry and DLQ copies, byte for byte): the validated event
 * plus the API's receive time and the feed-integrity rules it flagged the event with. Key = `matchId`, so one match keeps its order within one partition.
 */
export const StoredEvent = Closed(
  'StoredEvent',
  {
    ...MatchEvent.properties,
    receivedAt: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'When the API received the event (epoch milliseconds)',
    }),
    anomalies: Type.Optional(EventAnomalies),
  },
  {
    description:
      'Kafka message value: the v1 event plus `receivedAt` (and `anomalies` when the API flagged it), as JSON (UTF-8)',
  },
);
export type StoredEvent = Static<typeof StoredEvent>;

export const FAILURE_KINDS = ['undecodable', 'data', 'transient', 'unavailable'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Header names on the retry and DLQ copies of a message. */
export const FAILURE_HEADERS = {
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  attempt: 'x-attempt',
  firstFailureAt: 'x-first-failure-at',
  lastError: 'x-last-error',
  kind: 'x-error-kind',
  dueAt: 'x-due-at',
} as const;

/**
 * Header names of the API's messages, kept on their retry and DLQ copies: the request id of the POST that wrote
 * them, and its W3C trace context (`traceparent`, `tracestate`; only while tracing is on).
 */
export const TRACE_HEADERS = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** The longest `x-last-error` header a failure record carries (longer messages are cut). */
export const MAX_FAILURE_ERROR_LENGTH = 2000;

const decimal = (description: string) => Type.String({ pattern: '^(0|[1-9][0-9]*)$', description });

/** The failure headers as they travel (every Kafka header value is a string). */
export const FailureHeaders = Closed(
  'FailureHeaders',
  {
    [FAILURE_HEADERS.originalTopic]: Type.String({ description: 'Topic the event was first read from' }),
    [FAILURE_HEADERS.originalPartition]: decimal('Its partition there'),
    [FAILURE_HEADERS.originalOffset]: decimal('Its offset there'),
    [FAILURE_HEADERS.attempt]: decimal('Failed insert attempts so far, from 1'),
    [FAILURE_HEADERS.firstFailureAt]: decimal('Epoch ms of the first failure'),
    [FAILURE_HEADERS.lastError]: Type.String({
      maxLength: MAX_FAILURE_ERROR_LENGTH,
      description: `The last error (cut to ${MAX_FAILURE_ERROR_LENGTH} characters)`,
    }),
    [FAILURE_HEADERS.kind]: oneOf(FAILURE_KINDS, {
      description:
        'undecodable: not a contract event; data: ClickHouse refused the row; transient/unavailable: ClickHouse failed',
    }),
    [FAILURE_HEADERS.dueAt]: Type.Optional(
      decimal('Retry topic only: not re-attempted before this epoch ms'),
    ),
  },
  { description: 'Kafka headers on `match-events.retry` and `match-events.dlq` copies' },
);
export type FailureHeaders = Static<typeof FailureHeaders>;
