/**
 * Retractions (migration 008, docs/clickhouse.md "retractions"): a feed taking an event back. Stored one row per
 * delivery; every figure leaves out the events they name (`notRetracted`), whichever of the two arrived first.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { EventType, MatchRetraction, StoredRetraction } from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from './capabilities';
import { databaseOf } from './client';
import { EventRowError } from './errors';
import { splitDateTime } from './events';
import { insertRows, selectRows } from './query';
import { identifier, inList, sql } from './sql';
import { checkMatchId, num, table, type Versioned } from './queries/common';
import { readHeads } from './queries/figures';

const COLUMNS = [
  'match_id',
  'event_id',
  'reason',
  'received_at',
  'received_at_ms',
  'inserted_at',
  'inserted_at_ms',
] as const;

/** The receive time as DateTime text and ms; an EventRowError (a `data` error) when ClickHouse could not store it. */
function receivedTime(r: StoredRetraction): [string, number] {
  try {
    return splitDateTime(r.receivedAt, 'receivedAt');
  } catch (err) {
    throw new EventRowError(
      `retraction of ${r.eventId} cannot be stored: ${(err as Error).message}`,
      r.eventId,
    );
  }
}

/**
 * Inserts the retractions into `<database>.retractions` in one insert, `insertedAt` on every row; every row is
 * mapped before anything is sent.
 */
export async function insertRetractions(
  client: ClickHouseClient,
  retractions: readonly StoredRetraction[],
  insertedAt: Date = new Date(),
): Promise<number> {
  if (retractions.length === 0) return 0;
  const [inserted, insertedMs] = splitDateTime(insertedAt.getTime(), 'insertedAt');
  const values = retractions.map((r) => {
    const [received, receivedMs] = receivedTime(r);
    return {
      match_id: r.matchId,
      event_id: r.eventId,
      reason: r.reason,
      received_at: received,
      received_at_ms: receivedMs,
      inserted_at: inserted,
      inserted_at_ms: insertedMs,
    };
  });
  await insertRows(client, identifier(databaseOf(client), 'retractions'), COLUMNS, values);
  return retractions.length;
}

/** Of the retracted eventIds of the given matches, those whose event is stored (for that match). */
export async function foundRetractions(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  retractions: ReadonlyArray<{ matchId: string; eventId: string }>,
): Promise<Set<string>> {
  if (retractions.length === 0) return new Set();
  const rows = await selectRows<{ match_id: string; event_id: string }>(
    client,
    caps,
    sql`SELECT DISTINCT match_id, event_id FROM ${table(caps, 'events')}
        WHERE match_id IN ${inList([...new Set(retractions.map((r) => r.matchId))])}
          AND event_id IN ${inList(retractions.map((r) => r.eventId))}`,
  );
  return new Set(rows.map((r) => `${r.match_id}/${r.event_id}`));
}

/**
 * The retractions of a match, oldest first: each retracted eventId once (its first retraction's reason and
 * time), whether its event is stored, and the event's type once it is; complete up to the match's marker, read
 * first (every stored event or retraction moves it, so a cache may keep the answer while it stays).
 */
export async function matchRetractions(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<Versioned<MatchRetraction[]>> {
  const match = checkMatchId(matchId);
  const marker = (await readHeads(client, caps, [match])).get(match)?.marker ?? 0;
  const received = sql`toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms`;
  const retractions = table(caps, 'retractions');
  const [rows, found] = await Promise.all([
    selectRows<{ event_id: string; first_reason: string; first_ms: number }>(
      client,
      caps,
      sql`SELECT event_id, argMin(reason, ${received}) AS first_reason, min(${received}) AS first_ms
          FROM ${retractions} WHERE match_id = ${match}
          GROUP BY event_id
          ORDER BY first_ms, event_id`,
    ),
    selectRows<{ event_id: string; found_type: string }>(
      client,
      caps,
      sql`SELECT event_id, any(event_type) AS found_type
          FROM ${table(caps, 'events')}
          WHERE match_id = ${match}
            AND event_id IN (SELECT event_id FROM ${retractions} WHERE match_id = ${match})
          GROUP BY event_id`,
    ),
  ]);
  const typeOf = new Map(found.map((r) => [r.event_id, r.found_type as EventType]));
  const value = rows.map((r) => ({
    eventId: r.event_id,
    reason: r.first_reason,
    retractedAt: new Date(num(r.first_ms)).toISOString(),
    found: typeOf.has(r.event_id),
    eventType: typeOf.get(r.event_id) ?? null,
  }));
  return { value, storedRows: marker };
}
