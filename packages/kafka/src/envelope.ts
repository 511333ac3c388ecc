import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import {
  FAILURE_HEADERS,
  FAILURE_KINDS,
  MAX_FAILURE_ERROR_LENGTH,
  TRACE_HEADERS,
  type FailureKind,
} from '@pitchpulse/contract';

/** What the retry and DLQ copies of a message record about its failures (as Kafka headers). */
export interface FailureInfo {
  originalTopic: string;
  originalPartition: number;
  originalOffset: string;
  /** How many insert attempts (retry-topic rounds) have failed so far, starting at 1. */
  attempt: number;
  firstFailureAt: number;
  lastError: string;
  kind: FailureKind;
  /** Retry topic only: not to be re-attempted before this epoch-ms time. */
  dueAt?: number;
}

/** The first value of header `name`, as a string. */
export function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The x-request-id of the POST that wrote the message, if it carries one. */
export const requestIdOf = (headers: IHeaders | undefined): string | undefined =>
  header(headers, TRACE_HEADERS.requestId);

/**
 * A retry/DLQ copy of `message`: same key and value bytes, failure details in headers, and the request id and
 * trace context of the original, so a dead letter still names the request that wrote it.
 */
export function withFailure(
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>,
  info: FailureInfo,
): Message {
  const headers: IHeaders = {};
  for (const name of Object.values(TRACE_HEADERS)) {
    const value = header(message.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  Object.assign(headers, {
    [FAILURE_HEADERS.originalTopic]: info.originalTopic,
    [FAILURE_HEADERS.originalPartition]: String(info.originalPartition),
    [FAILURE_HEADERS.originalOffset]: info.originalOffset,
    [FAILURE_HEADERS.attempt]: String(info.attempt),
    [FAILURE_HEADERS.firstFailureAt]: String(info.firstFailureAt),
    [FAILURE_HEADERS.lastError]: info.lastError.slice(0, MAX_FAILURE_ERROR_LENGTH),
    [FAILURE_HEADERS.kind]: info.kind,
  });
  if (info.dueAt !== undefined) headers[FAILURE_HEADERS.dueAt] = String(info.dueAt);
  return { key: message.key, value: message.value, headers };
}

/** Reads the failure headers back; undefined when the message carries none (it never failed). */
export function failureFromHeaders(headers: IHeaders | undefined): FailureInfo | undefined {
  const originalTopic = header(headers, FAILURE_HEADERS.originalTopic);
  if (originalTopic === undefined) return undefined;
  const kind = header(headers, FAILURE_HEADERS.kind) as FailureKind | undefined;
  const dueAt = header(headers, FAILURE_HEADERS.dueAt);
  return {
    originalTopic,
    originalPartition: Number(header(headers, FAILURE_HEADERS.originalPartition) ?? -1),
    originalOffset: header(headers, FAILURE_HEADERS.originalOffset) ?? '-1',
    attempt: Number(header(headers, FAILURE_HEADERS.attempt) ?? 1),
    firstFailureAt: Number(header(headers, FAILURE_HEADERS.firstFailureAt) ?? 0),
    lastError: header(headers, FAILURE_HEADERS.lastError) ?? '',
    kind: kind && FAILURE_KINDS.includes(kind) ? kind : 'transient',
    ...(dueAt === undefined ? {} : { dueAt: Number(dueAt) }),
  };
}

/**
 * The failure record for a message that failed again: a message already on the retry topic keeps its origin
 * and first-failure time and counts one more attempt; a fresh one starts at attempt 1.
 */
export function nextFailure(
  source: { topic: string; partition: number; message: Pick<KafkaMessage, 'offset' | 'headers'> },
  error: { kind: FailureKind; message: string },
  now: number,
): FailureInfo {
  const previous = failureFromHeaders(source.message.headers);
  return {
    originalTopic: previous?.originalTopic ?? source.topic,
    originalPartition: previous?.originalPartition ?? source.partition,
    originalOffset: previous?.originalOffset ?? source.message.offset,
    attempt: (previous?.attempt ?? 0) + 1,
    firstFailureAt: previous?.firstFailureAt ?? now,
    lastError: error.message,
    kind: error.kind,
  };
}
