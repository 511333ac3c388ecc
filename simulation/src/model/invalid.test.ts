import { validateEvent } from '@pitchpulse/events';
import { BREAKAGES, breakEvent, type Breakage } from './invalid';
import { simulateMatch } from './match';
import { Rng } from './rng';

const event = simulateMatch({ seed: 1, index: 1, kickoff: new Date('2024-01-01T15:00:00Z') }).events[10]!
  .event;

describe('deliberately broken events', () => {
  it.each(Object.keys(BREAKAGES) as Breakage[])('%s breaks the contract', (kind) => {
    const broken = BREAKAGES[kind]({ ...event });
    const checked = validateEvent(broken);
    expect(checked.ok).toBe(false);
  });

  it('get a fresh eventId, never the valid event’s', () => {
    const rng = new Rng(5);
    const seen = new Set<Breakage>();
    for (let i = 0; i < 200; i++) {
      const { kind, body } = breakEvent(event, '00000000-0000-4000-8000-000000000001', rng);
      seen.add(kind);
      expect(body.eventId).not.toBe(event.eventId);
    }
    expect(seen.size).toBe(Object.keys(BREAKAGES).length);
  });
});
