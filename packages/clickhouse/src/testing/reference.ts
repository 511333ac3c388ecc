/**
 * What the stored rows imply, computed in plain TypeScript from the input events — independent of the SQL
 * under test. Definitions follow docs/clickhouse.md: distinct eventIds count once; an event's minute is its
 * feed minute (metadata.minute, whole 0–1000) or else whole minutes from the minute of the match's first event.
 */
import { EVENT_TYPES, type StoredEvent } from '@pitchpulse/contract';
import type { Delivery } from './fixture';

export interface RefEvent {
  eventId: string;
  matchId: string;
  eventType: string;
  teamId: number;
  playerId: string;
  timeMs: number;
  feedMinute: number;
  minuteStartMs: number;
  metadata: Record<string, unknown>;
  /** when its first copy was stored (epoch ms) */
  firstInsertedMs: number;
  /** the latest API receipt of any of its copies (epoch ms): the match list's liveness */
  lastReceivedMs: number;
}

function feedMinute(e: StoredEvent): number {
  const m = (e.metadata as Record<string, unknown> | undefined)?.minute;
  return typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 1000 ? m : -1;
}

/** Distinct events (first delivery wins), as the views should see them. */
export function distinctEvents(deliveries: Delivery[]): RefEvent[] {
  const seen = new Map<string, RefEvent>();
  for (const d of deliveries) {
    for (const e of d.events) {
      const known = seen.get(e.eventId);
      if (known) {
        known.firstInsertedMs = Math.min(known.firstInsertedMs, d.insertedAt.getTime());
        known.lastReceivedMs = Math.max(known.lastReceivedMs, e.receivedAt);
        continue;
      }
      const timeMs = Date.parse(e.timestamp); // independent of the row mapper's parser
      seen.set(e.eventId, {
        eventId: e.eventId,
        matchId: e.matchId,
        eventType: e.eventType,
        teamId: e.teamId,
        playerId: e.playerId ?? '',
        timeMs,
        feedMinute: feedMinute(e),
        minuteStartMs: Math.floor(timeMs / 60_000) * 60_000,
        metadata: (e.metadata as Record<string, unknown> | undefined) ?? {},
        firstInsertedMs: d.insertedAt.getTime(),
        lastReceivedMs: e.receivedAt,
      });
    }
  }
  return [...seen.values()];
}

export function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

/** ClickHouse quantileExact: the element at index ⌊level·n⌋ of the sorted values (last one at most). */
export function quantileExact(sorted: number[], level: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))]!;
}

/** Latency samples per match: one per stored row, inserted_at − received_at in ms (never negative). */
export function latencies(deliveries: Delivery[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const d of deliveries) {
    for (const e of d.events) {
      const list = out.get(e.matchId) ?? [];
      list.push(Math.max(0, d.insertedAt.getTime() - e.receivedAt));
      out.set(e.matchId, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

export function firstEventMs(events: RefEvent[], matchId: string): number {
  return Math.min(...events.filter((e) => e.matchId === matchId).map((e) => e.timeMs));
}

/** The documented minute of an event. */
export function minuteOf(e: RefEvent, matchFirstMs: number): number {
  if (e.feedMinute >= 0) return e.feedMinute;
  return Math.max(0, Math.floor((e.minuteStartMs - Math.floor(matchFirstMs / 60_000) * 60_000) / 60_000));
}

// ---------------------------------------------------------------------------------------------------------
// Expected answers of the read queries

const byteCompare = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function ofMatch(events: RefEvent[], matchId: string): RefEvent[] {
  return events.filter((e) => e.matchId === matchId);
}

function minuteCounts(events: RefEvent[], matchId: string): { minute: number; eventCount: number }[] {
  const evs = ofMatch(events, matchId);
  const first = firstEventMs(events, matchId);
  const counts = countBy(evs, (e) => String(minuteOf(e, first)));
  return [...counts.entries()]
    .map(([m, n]) => ({ minute: Number(m), eventCount: n }))
    .sort((a, b) => b.eventCount - a.eventCount || a.minute - b.minute);
}

export function refMetrics(events: RefEvent[], deliveries: Delivery[], matchId: string) {
  const evs = ofMatch(events, matchId);
  if (evs.length === 0) return null;
  const byType = Object.fromEntries(EVENT_TYPES.map((t) => [t, evs.filter((e) => e.eventType === t).length]));
  const team = (id: number) => {
    const t = evs.filter((e) => e.teamId === id);
    const n = (type: string) => t.filter((e) => e.eventType === type).length;
    return { events: t.length, goals: n('goal'), shots: n('shot'), cards: n('yellow_card') + n('red_card') };
  };
  const minutes = minuteCounts(events, matchId);
  const clock = [...countBy(evs, (e) => String(Math.floor(e.timeMs / 60_000) * 60_000)).entries()]
    .map(([start, n]) => ({ start: Number(start), eventCount: n }))
    .sort((a, b) => b.eventCount - a.eventCount || a.start - b.start)
    .map(({ start, eventCount }) => ({
      timestamp: new Date(start).toISOString().replace('.000Z', 'Z'),
      eventCount,
    }));
  const lat = latencies(deliveries).get(matchId) ?? [];
  return {
    matchId,
    totalEvents: evs.length,
    eventsByType: byType,
    goals: byType.goal,
    yellowCards: byType.yellow_card,
    redCards: byType.red_card,
    firstEventAt: new Date(Math.min(...evs.map((e) => e.timeMs))).toISOString(),
    lastEventAt: new Date(Math.max(...evs.map((e) => e.timeMs))).toISOString(),
    peakMinute: { minute: clock[0]!.timestamp, eventCount: clock[0]!.eventCount },
    peakEngagementPeriods: clock.slice(0, 5),
    peakMatchMinute: minutes[0],
    peakMatchMinutes: minutes.slice(0, 5),
    byTeam: { '1': team(1), '2': team(2) },
    pipelineLatencyMs: {
      p50: quantileExact(lat, 0.5),
      p95: quantileExact(lat, 0.95),
      p99: quantileExact(lat, 0.99),
    },
  };
}

export function refListMatches(
  events: RefEvent[],
  p: { limit: number; offset: number; now: Date; liveWindowMinutes: number },
) {
  const ids = [...new Set(events.map((e) => e.matchId))];
  const liveSince = p.now.getTime() - p.liveWindowMinutes * 60_000;
  const all = ids.map((matchId) => {
    const evs = ofMatch(events, matchId);
    const last = Math.max(...evs.map((e) => e.timeMs));
    const lastReceived = Math.max(...evs.map((e) => e.lastReceivedMs));
    const goals = (team: number) => evs.filter((e) => e.eventType === 'goal' && e.teamId === team).length;
    return {
      matchId,
      totalEvents: evs.length,
      score: { '1': goals(1), '2': goals(2) },
      firstEventAt: new Date(Math.min(...evs.map((e) => e.timeMs))).toISOString(),
      lastEventAt: new Date(last).toISOString(),
      live: lastReceived >= liveSince,
    };
  });
  all.sort(
    (a, b) =>
      Number(b.live) - Number(a.live) ||
      Date.parse(b.lastEventAt) - Date.parse(a.lastEventAt) ||
      byteCompare(a.matchId, b.matchId),
  );
  return { total: all.length, items: all.slice(p.offset, p.offset + p.limit) };
}

export function refTimeline(events: RefEvent[], matchId: string, bucket: '1m' | '5m') {
  const evs = ofMatch(events, matchId);
  if (evs.length === 0) return null;
  const size = bucket === '1m' ? 1 : 5;
  const first = firstEventMs(events, matchId);
  const buckets = new Map<number, { minute: number; total: number; counts: Record<string, number> }>();
  for (const e of evs) {
    const m = Math.floor(minuteOf(e, first) / size) * size;
    const b = buckets.get(m) ?? { minute: m, total: 0, counts: {} };
    b.total++;
    b.counts[e.eventType] = (b.counts[e.eventType] ?? 0) + 1;
    buckets.set(m, b);
  }
  const list = [...buckets.values()].sort((a, b) => a.minute - b.minute);
  for (const b of list)
    b.counts = Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => byteCompare(x, y)));
  return { matchId, bucket, buckets: list };
}

/** The highlights of a match as created (PENDING, not enriched), newest first; null for a match without events. */
export function refHighlights(events: RefEvent[], matchId: string, limit: number, offset: number) {
  const evs = ofMatch(events, matchId);
  if (evs.length === 0) return null;
  const first = firstEventMs(events, matchId);
  const all = evs
    .filter((e) => e.eventType === 'goal' || e.eventType === 'red_card')
    .sort((a, b) => b.timeMs - a.timeMs || byteCompare(a.eventId, b.eventId))
    .map((e) => ({
      highlightId: e.eventId,
      matchId: e.matchId,
      eventId: e.eventId,
      eventType: e.eventType,
      teamId: e.teamId,
      playerId: e.playerId === '' ? null : e.playerId,
      minute: minuteOf(e, first),
      timestamp: new Date(e.timeMs).toISOString(),
      metadata: e.metadata,
      status: 'PENDING',
      title: '',
      summary: null,
      error: null,
      attempts: 0,
      createdAt: new Date(e.firstInsertedMs).toISOString(),
      updatedAt: new Date(e.firstInsertedMs).toISOString(),
    }));
  return { total: all.length, items: all.slice(offset, offset + limit) };
}

export function refTopPlayers(
  events: RefEvent[],
  matchId: string,
  limit: number,
  by: 'events' | 'goals' | 'shots' = 'events',
) {
  const evs = ofMatch(events, matchId);
  if (evs.length === 0) return null;
  const players = new Map<
    string,
    { playerId: string; teamId: number; events: number; goals: number; shots: number }
  >();
  for (const e of evs) {
    if (e.playerId === '') continue;
    const k = JSON.stringify([e.playerId, e.teamId]);
    const p = players.get(k) ?? { playerId: e.playerId, teamId: e.teamId, events: 0, goals: 0, shots: 0 };
    p.events++;
    if (e.eventType === 'goal') p.goals++;
    if (e.eventType === 'shot') p.shots++;
    players.set(k, p);
  }
  return [...players.values()]
    .sort(
      (a, b) =>
        b[by] - a[by] ||
        b.events - a.events ||
        b.goals - a.goals ||
        b.shots - a.shots ||
        byteCompare(a.playerId, b.playerId) ||
        a.teamId - b.teamId,
    )
    .slice(0, limit);
}
