import type { FeedRule, MatchEvent, Retraction, StoredEvent, StoredRetraction } from '@pitchpulse/contract';
import { validateStoredEvent, validateStoredRetraction, type ValidationResult } from './validate';

/** What a message on the events topic carries: an event, or a retraction of one. */
export type StoredRecord =
  { kind: 'event'; event: StoredEvent } | { kind: 'retraction'; retraction: StoredRetraction };

export interface EncodedMessage {
  key: string;
  value: string;
}

/**
 * Key = matchId so one match keeps its order within one partition. `anomalies`: the rules the API flagged the
 * event with (none: the field is left out).
 */
export function encodeEventMessage(
  event: MatchEvent,
  receivedAt: number,
  anomalies?: readonly FeedRule[],
): EncodedMessage {
  // Appending to the serialised event is about twice as fast as serialising a copy with receivedAt added;
  // a validated event is a non-empty object, so its JSON always ends with `}`.
  const json = JSON.stringify(event);
  const flags = anomalies && anomalies.length > 0 ? anomaliesJson(anomalies) : '';
  return {
    key: event.matchId,
    value: `${json.slice(0, -1)},"receivedAt":${Math.trunc(receivedAt)}${flags}}`,
  };
}

// The `anomalies` member per combination of rules (at most 2^6 of them), serialised once: a flagged flood is where
// the API has the least time to spare.
const ANOMALIES_JSON = new Map<string, string>();

function anomaliesJson(anomalies: readonly FeedRule[]): string {
  const key = anomalies.join(',');
  let json = ANOMALIES_JSON.get(key);
  if (json === undefined) {
    json = `,"anomalies":${JSON.stringify(anomalies)}`;
    ANOMALIES_JSON.set(key, json);
  }
  return json;
}

/** Key = matchId: a retraction is ordered with its match's events and read by the same consumer. */
export function encodeRetractionMessage(retraction: Retraction, receivedAt: number): EncodedMessage {
  const stored: StoredRetraction = { kind: 'retraction', ...retraction, receivedAt: Math.trunc(receivedAt) };
  return { key: retraction.matchId, value: JSON.stringify(stored) };
}

export class UndecodableMessageError extends Error {
  override readonly name = 'UndecodableMessageError';
}

function parseObject(value: Buffer | string | null): Record<string, unknown> {
  if (value === null) throw new UndecodableMessageError('message has no value');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (err) {
    throw new UndecodableMessageError(`value is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UndecodableMessageError('value is not a JSON object');
  }
  const { receivedAt } = parsed as { receivedAt?: unknown };
  if (typeof receivedAt !== 'number' || !Number.isSafeInteger(receivedAt) || receivedAt < 0) {
    throw new UndecodableMessageError('receivedAt must be epoch milliseconds');
  }
  return parsed as Record<string, unknown>;
}

function checked<T>(what: string, result: ValidationResult<T>): T {
  if (!result.ok) {
    throw new UndecodableMessageError(
      `${what} breaks the contract: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  }
  return result.value;
}

/** Parses and re-validates a Kafka message value that must be an event; anything else is undecodable. */
export function decodeEventMessage(value: Buffer | string | null): StoredEvent {
  return checked('event', validateStoredEvent(parseObject(value)));
}

/**
 * Parses and re-validates a message of the events topic: a retraction (`"kind": "retraction"`) or an event;
 * anything else is undecodable (and belongs in the DLQ).
 */
export function decodeRecordMessage(value: Buffer | string | null): StoredRecord {
  const parsed = parseObject(value);
  if (parsed.kind === 'retraction') {
    return { kind: 'retraction', retraction: checked('retraction', validateStoredRetraction(parsed)) };
  }
  return { kind: 'event', event: checked('event', validateStoredEvent(parsed)) };
}
