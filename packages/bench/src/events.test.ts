import { validateEvent } from '@pitchpulse/events';
import {
  ingestBatchJson,
  ingestEvent,
  ingestEventJson,
  matchEvents,
  pipelineEvents,
  prng,
  unweightedTypes,
} from './events';

describe('bench events', () => {
  it('are contract-valid, so the api accepts every one', () => {
    const rand = prng(1);
    const events = [
      ...Array.from({ length: 50 }, (_, n) => JSON.parse(ingestEventJson(n)) as unknown),
      ...Array.from({ length: 50 }, (_, n) => ingestEvent(n)),
      ...pipelineEvents(50),
      ...matchEvents(3, 0, 50, 50, rand).map(({ receivedAt: _r, ...event }) => event),
    ];
    for (const event of events) expect(validateEvent(event).ok).toBe(true);
  });

  it('builds the same event as JSON text as ingestEvent does as an object, with fresh ids', () => {
    const { eventId, ...fromJson } = JSON.parse(ingestEventJson(1234)) as { eventId: string };
    const { eventId: otherId, ...fromObject } = ingestEvent(1234);
    expect(fromJson).toEqual(fromObject);
    expect(eventId).not.toBe(otherId);
  });

  it('builds batch bodies of the size asked', () => {
    const body = JSON.parse(ingestBatchJson(10, 100)) as { events: Array<{ eventId: string }> };
    expect(body.events).toHaveLength(100);
    expect(new Set(body.events.map((e) => e.eventId)).size).toBe(100);
  });

  it('gives every event type a weight and the same matches for the same seed', () => {
    expect(unweightedTypes()).toEqual([]);
    const strip = (events: ReturnType<typeof matchEvents>) => events.map(({ eventId: _e, ...rest }) => rest);
    expect(strip(matchEvents(1, 0, 20, 20, prng(5)))).toEqual(strip(matchEvents(1, 0, 20, 20, prng(5))));
  });
});
