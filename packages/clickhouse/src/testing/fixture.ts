/**
 * Deterministic match events for the compatibility suite, and the stored deliveries (first insert plus
 * redelivered duplicates) the tests insert. Every shape the schema has to handle appears: feed minutes and
 * none, offsets in timestamps, missing players, hostile metadata and player ids, several matches and months.
 */
import { EVENT_TYPES, type StoredEvent } from '@pitchpulse/contract';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Weighted like a real match: many passes, few goals and red cards. */
const WEIGHTS: Record<(typeof EVENT_TYPES)[number], number> = {
  pass: 40,
  shot: 8,
  goal: 2,
  foul: 8,
  yellow_card: 3,
  red_card: 1,
  substitution: 2,
  offside: 3,
  corner: 5,
  free_kick: 6,
  interception: 10,
};

function pickType(rand: () => number): StoredEvent['eventType'] {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (const [type, w] of Object.entries(WEIGHTS)) {
    r -= w;
    if (r < 0) return type as StoredEvent['eventType'];
  }
  return 'pass';
}

function withOffset(ms: number, offsetMinutes: number): string {
  if (offsetMinutes === 0) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export interface MatchSpec {
  matchId: string;
  kickoff: string;
  events: number;
  /** share of events whose metadata carries `minute` */
  feedMinuteShare: number;
  /** timestamps written with this UTC offset (minutes) */
  offsetMinutes: number;
}

export const MATCHES: MatchSpec[] = [
  {
    matchId: 'cmp-feed-minutes',
    kickoff: '2024-01-15T14:00:20.500Z',
    events: 400,
    feedMinuteShare: 1,
    offsetMinutes: 0,
  },
  {
    matchId: 'cmp-derived',
    kickoff: '2024-01-31T23:30:45.000Z',
    events: 300,
    feedMinuteShare: 0,
    offsetMinutes: 90,
  },
  {
    matchId: 'cmp.mixed:2_x-y',
    kickoff: '2024-03-02T19:59:59.999Z',
    events: 250,
    feedMinuteShare: 0.5,
    offsetMinutes: -300,
  },
  {
    matchId: 'cmp-tiny',
    kickoff: '2024-03-03T10:00:00.000Z',
    events: 3,
    feedMinuteShare: 0,
    offsetMinutes: 0,
  },
];

const HOSTILE_PLAYERS = [
  "o'neil",
  'back\\slash',
  'ünïcødé-⚽',
  'x"; DROP TABLE events; --',
  'p-1',
  'p-2',
  'p-3',
  'p-4',
];

const RECEIVED_FROM = Date.parse('2024-03-10T12:00:00.000Z');

export function buildEvents(seed = 42): StoredEvent[] {
  const rand = prng(seed);
  const out: StoredEvent[] = [];
  let id = 1;
  for (const spec of MATCHES) {
    const start = Date.parse(spec.kickoff);
    for (let i = 0; i < spec.events; i++) {
      // ~95 minutes of play, clustered a little around a few moments so there is a clear peak.
      const base = rand() * 95 * 60_000;
      const ms = i === 0 ? start : start + Math.floor(rand() < 0.2 ? 30 * 60_000 + rand() * 60_000 : base);
      const teamId = rand() < 0.5 ? 1 : 2;
      const hasPlayer = rand() < 0.85;
      const event: StoredEvent = {
        eventId: uuid(id++),
        matchId: spec.matchId,
        eventType: pickType(rand),
        timestamp: withOffset(ms, spec.offsetMinutes),
        teamId,
        // Replayed into the API in one go: receipt times close together, independent of the event times.
        receivedAt: RECEIVED_FROM + out.length * 5 + Math.floor(rand() * 2000),
      };
      if (hasPlayer) event.playerId = HOSTILE_PLAYERS[Math.floor(rand() * HOSTILE_PLAYERS.length)]!;
      const metadata: Record<string, unknown> = {};
      if (rand() < spec.feedMinuteShare)
        metadata.minute = Math.min(120, Math.floor((ms - start) / 60_000) + 1);
      if (event.eventType === 'goal' && event.playerId) metadata.scorer = `Scorer ${event.playerId}`;
      if (rand() < 0.3) metadata.note = 'it\'s a "quote" \\ and a\nnewline ⚽';
      if (Object.keys(metadata).length > 0 || rand() < 0.5) event.metadata = metadata;
      out.push(event);
    }
  }
  return out;
}

export interface Delivery {
  events: StoredEvent[];
  insertedAt: Date;
}

/** The first delivery of everything (two inserts), then redeliveries of a third of the events (two more). */
export function buildDeliveries(events: StoredEvent[], seed = 7): { first: Delivery[]; again: Delivery[] } {
  const rand = prng(seed);
  const latest = Math.max(...events.map((e) => e.receivedAt));
  const at = (offsetMs: number) => new Date(latest + offsetMs);
  const half = Math.floor(events.length / 2);
  const first = [
    { events: events.slice(0, half), insertedAt: at(1_234) },
    { events: events.slice(half), insertedAt: at(2_345) },
  ];
  const dup = events.filter(() => rand() < 0.33);
  const again = [
    { events: dup.slice(0, Math.floor(dup.length / 2)), insertedAt: at(60_017) },
    { events: dup.slice(Math.floor(dup.length / 2)), insertedAt: at(125_999) },
  ];
  return { first, again };
}
