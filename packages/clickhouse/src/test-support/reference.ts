/**
 * What the stored rows imply, computed in plain TypeScript from the input events — independent of the SQL
 * under test. Definitions follow docs/clickhouse.md: distinct eventIds count once; an event's minute is its
 * feed minute (metadata.minute, whole 0–1000) or else whole minutes from the minute of the match's first event.
 */
import type { StoredEvent } from '@pitchpulse/events';
import { parseTimestampMs } from '../events';
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
      if (seen.has(e.eventId)) continue;
      const timeMs = parseTimestampMs(e.timestamp);
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
