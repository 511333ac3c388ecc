/** The events the benchmarks send and store: contract-valid, cheap to make, distinct ids. */
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, type EventType, type MatchEvent, type StoredEvent } from '@pitchpulse/contract';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Ingest's event number `n` over `matches` matches, with a fresh eventId. */
export function ingestEvent(n: number, matches = 64): MatchEvent {
  return {
    eventId: randomUUID(),
    matchId: `bench-${n % matches}`,
    eventType: EVENT_TYPES[n % EVENT_TYPES.length]!,
    timestamp: `2024-01-15T14:${pad(n % 60, 2)}:00.${pad(n % 1000, 3)}Z`,
    teamId: n % 2 === 0 ? 1 : 2,
    playerId: `player-${n % 22}`,
    metadata: { minute: n % 90, seq: n },
  };
}

/** `JSON.stringify(ingestEvent(n))`, built as a string: cheap enough for autocannon's request loop. */
export function ingestEventJson(n: number, matches = 64): string {
  return (
    `{"eventId":"${randomUUID()}","matchId":"bench-${n % matches}","eventType":"${EVENT_TYPES[n % EVENT_TYPES.length]}",` +
    `"timestamp":"2024-01-15T14:${pad(n % 60, 2)}:00.${pad(n % 1000, 3)}Z",` +
    `"teamId":${n % 2 === 0 ? 1 : 2},"playerId":"player-${n % 22}","metadata":{"minute":${n % 90},"seq":${n}}}`
  );
}

/** A batch body (`{"events":[…]}`) of `size` ingest events from number `first`. */
export function ingestBatchJson(first: number, size: number): string {
  const events: string[] = [];
  for (let i = 0; i < size; i++) events.push(ingestEventJson(first + i));
  return `{"events":[${events.join(',')}]}`;
}

const PIPELINE_TYPES: readonly EventType[] = [
  'pass',
  'shot',
  'goal',
  'foul',
  'yellow_card',
  'pass',
  'interception',
];

/**
 * `count` events for the consumer benchmark over `matches` matches, one second apart from 2024-01-15 14:00 UTC
 * (the shape the consumer's published figures were measured with).
 */
export function pipelineEvents(count: number, matches = 200): MatchEvent[] {
  return Array.from({ length: count }, (_, n) => ({
    eventId: randomUUID(),
    matchId: `bench-${n % matches}`,
    eventType: PIPELINE_TYPES[n % PIPELINE_TYPES.length]!,
    timestamp: new Date(Date.UTC(2024, 0, 15, 14, 0, 0) + n * 1000).toISOString(),
    teamId: n % 2 === 0 ? 1 : 2,
    playerId: `p-${n % 22}`,
    metadata: { minute: Math.floor(n / 60) },
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Realistic matches for the read benchmarks: a type mix like a real feed, two squads, the feed's minute

const WEIGHTS: Array<[EventType, number]> = [
  ['pass', 60],
  ['interception', 10],
  ['foul', 5],
  ['free_kick', 5],
  ['shot', 6],
  ['corner', 4],
  ['offside', 2],
  ['substitution', 2],
  ['yellow_card', 2],
  ['goal', 1],
  ['red_card', 0.2],
];
const WEIGHT_SUM = WEIGHTS.reduce((a, [, w]) => a + w, 0);

/** Event types without a weight (empty when every contract type has one). */
export const unweightedTypes = (): EventType[] => EVENT_TYPES.filter((t) => !WEIGHTS.some(([w]) => w === t));

export { prng } from '@pitchpulse/clickhouse/testing';

function pickType(r: number): EventType {
  let x = r * WEIGHT_SUM;
  for (const [type, w] of WEIGHTS) if ((x -= w) < 0) return type;
  return 'pass';
}

export const KICKOFF = Date.parse('2024-03-02T12:00:00.000Z');
export const benchMatchId = (m: number): string => `bench-${m}`;

/** Kickoffs are this far apart: 200 matches span 60 days, so the stats across matches have a season to read. */
export const KICKOFF_SPACING_MS = 7.2 * 3_600_000;
/** Clubs of the league: each match is two of them, so players recur across matches and weeks. */
export const CLUBS = 20;
const SQUAD = 18;

/** The clubs of match `match`: a different pairing for each match of a round. */
export function clubsOf(match: number): [number, number] {
  const home = match % CLUBS;
  const away = (home + 1 + (Math.floor(match / CLUBS) % (CLUBS - 1))) % CLUBS;
  return [home, away];
}

/**
 * Events `from`..`to` (exclusive) of match `match` in time order, `perMatch` events spread over 95 minutes from
 * its kickoff (KICKOFF_SPACING_MS apart); each received 3–43 ms after it happened. Players are `c<club>-p<n>`.
 */
export function matchEvents(
  match: number,
  from: number,
  to: number,
  perMatch: number,
  rand: () => number,
): StoredEvent[] {
  const kickoff = KICKOFF + match * KICKOFF_SPACING_MS;
  const clubs = clubsOf(match);
  const out: StoredEvent[] = [];
  for (let i = from; i < to; i++) {
    const offsetMs = Math.floor((i / perMatch) * 95 * 60_000);
    const ms = kickoff + offsetMs;
    const team = rand() < 0.5 ? 1 : 2;
    out.push({
      eventId: randomUUID(),
      matchId: benchMatchId(match),
      eventType: pickType(rand()),
      timestamp: new Date(ms).toISOString(),
      teamId: team,
      playerId: `c${clubs[team - 1]}-p${1 + Math.floor(rand() * SQUAD)}`,
      metadata: { minute: Math.floor(offsetMs / 60_000) },
      receivedAt: ms + 3 + Math.floor(rand() * 40),
    });
  }
  return out;
}
