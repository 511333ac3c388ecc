import type { MatchEvent } from '@pitchpulse/contract';
import type { Rng } from './rng';

/** Ways a feed gets an event wrong; each breaks exactly one rule of the v1 contract. */
export const BREAKAGES = {
  'team-out-of-range': (e: MatchEvent) => ({ ...e, teamId: 3 }),
  'unknown-event-type': (e: MatchEvent) => ({ ...e, eventType: 'penalty_kick' }),
  'missing-event-id': ({ eventId: _omit, ...rest }: MatchEvent) => rest,
  'event-id-not-uuid': (e: MatchEvent) => ({ ...e, eventId: `evt-${e.eventId.slice(0, 8)}` }),
  'timestamp-not-rfc3339': (e: MatchEvent) => ({
    ...e,
    timestamp: e.timestamp.replace('T', ' ').replace(/\.\d+Z$/, ''),
  }),
  'unknown-field': (e: MatchEvent) => ({ ...e, minute: 12 }),
  'metadata-not-object': (e: MatchEvent) => ({ ...e, metadata: 'minute 12' }),
  'team-as-string': (e: MatchEvent) => ({ ...e, teamId: 'home' }),
} as const;

export type Breakage = keyof typeof BREAKAGES;
const KINDS = Object.keys(BREAKAGES) as Breakage[];

/** A broken copy of `event` under a fresh eventId, so it can never be mistaken for the valid one. */
export function breakEvent(
  event: MatchEvent,
  freshEventId: string,
  rng: Rng,
): { kind: Breakage; body: Record<string, unknown> } {
  const kind = rng.pick(KINDS);
  return { kind, body: BREAKAGES[kind]({ ...event, eventId: freshEventId }) as Record<string, unknown> };
}
