import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { TRACE_HEADERS } from '@pitchpulse/contract';
import { decodeRecordMessage, encodeEventMessage, encodeRetractionMessage } from '@pitchpulse/events';
import { failureFromHeaders, requestIdOf, type FailureInfo } from '@pitchpulse/kafka';

export interface DeadLetter {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  failure: FailureInfo | undefined;
  /** the x-request-id of the POST that wrote the event (none on messages written before it travelled in the headers) */
  requestId: string | undefined;
}

/** Reads every message on `topic` up to its current end, with a throwaway group that commits nothing. */
export async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic))
      .filter((p) => BigInt(p.high) > BigInt(p.low))
      .map((p) => [p.partition, BigInt(p.high) - 1n]),
  );
  const letters: DeadLetter[] = [];
  if (ends.size > 0) {
    const groupId = `pitchpulse-dlq-reader-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const pending = new Set(ends.keys());
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms reading ${topic}`)),
          timeoutMs,
        );
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const end = ends.get(partition);
            if (end === undefined || BigInt(message.offset) > end) return;
            letters.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              failure: failureFromHeaders(message.headers),
              requestId: requestIdOf(message.headers),
            });
            if (BigInt(message.offset) === end) pending.delete(partition);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        });
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }
  await admin.disconnect();
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

export type Patch = Record<string, unknown>;

/** Parses `field=value` pairs; values are JSON when they parse as JSON (numbers, objects), strings otherwise. */
export function parsePatches(pairs: string[]): Patch {
  const patch: Patch = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--set takes field=value, got "${pair}"`);
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    patch[pair.slice(0, at)] = value;
  }
  return patch;
}

export type ReplayVerdict =
  | { letter: DeadLetter; ok: true; message: { key: string; value: string; headers: IHeaders } }
  | { letter: DeadLetter; ok: false; error: string };

/** Prepares a dead letter for `match-events`: applies the fix, re-validates, keeps the original receivedAt. */
/** Where the replayed copy came from, and the request that first wrote it. */
function replayHeaders(letter: DeadLetter): IHeaders {
  const headers: IHeaders = { 'x-replayed-from': `dlq:${letter.partition}:${letter.offset}` };
  if (letter.requestId) headers[TRACE_HEADERS.requestId] = letter.requestId;
  return headers;
}

export function prepareReplay(letter: DeadLetter, patch: Patch): ReplayVerdict {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(letter.value ?? '') as Record<string, unknown>;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
  } catch (err) {
    return {
      letter,
      ok: false,
      error: `value is not a JSON object (${(err as Error).message}); cannot replay`,
    };
  }
  const fixed = { ...parsed, ...patch };
  if (typeof fixed.receivedAt !== 'number') fixed.receivedAt = Date.now();
  try {
    const record = decodeRecordMessage(JSON.stringify(fixed));
    let encoded;
    if (record.kind === 'retraction') {
      const { kind: _kind, receivedAt, ...retraction } = record.retraction;
      encoded = encodeRetractionMessage(retraction, receivedAt);
    } else {
      const { receivedAt, anomalies, ...event } = record.event;
      encoded = encodeEventMessage(event, receivedAt, anomalies);
    }
    return {
      letter,
      ok: true,
      message: { ...encoded, headers: replayHeaders(letter) },
    };
  } catch (err) {
    return { letter, ok: false, error: (err as Error).message };
  }
}

/** Selects letters by `partition:offset` (or every one when `ids` is undefined). */
export function selectLetters(letters: DeadLetter[], ids: string[] | undefined): DeadLetter[] {
  if (!ids) return letters;
  const wanted = new Set(ids.map((id) => (id.includes(':') ? id : `0:${id}`)));
  const found = letters.filter((l) => wanted.has(`${l.partition}:${l.offset}`));
  const missing = [...wanted].filter((id) => !found.some((l) => `${l.partition}:${l.offset}` === id));
  if (missing.length > 0) throw new Error(`not in the DLQ: ${missing.join(', ')}`);
  return found;
}
