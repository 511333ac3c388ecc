import type { HighlightList } from '@pitchpulse/contract';
import { checkGoalHighlights } from './verify';

const h = (eventId: string, status: string, eventType = 'goal') =>
  ({ eventId, highlightId: eventId, eventType, status }) as unknown as HighlightList['items'][number];

describe('goal highlights against the ground truth', () => {
  const expected = { accepted: ['g1', 'g2'], unknown: ['g3'] };

  it('passes when every accepted goal has one READY highlight (an unknown one may have one too)', () => {
    expect(
      checkGoalHighlights(expected, [h('g1', 'READY'), h('g2', 'READY'), h('r1', 'READY', 'red_card')]),
    ).toEqual({
      problems: [],
      ready: 2,
    });
    expect(
      checkGoalHighlights(expected, [h('g1', 'READY'), h('g2', 'READY'), h('g3', 'PENDING')]).problems,
    ).toEqual([]);
  });

  it('names a missing, a doubled, a not-READY and a never-sent goal highlight', () => {
    const { problems, ready } = checkGoalHighlights(expected, [
      h('g1', 'PENDING'),
      h('g9', 'READY'),
      h('g3', 'READY'),
      h('g3', 'READY'),
    ]);
    expect(ready).toBe(0);
    expect(problems).toEqual([
      'goal g1: highlight PENDING, not READY',
      'goal g2: no highlight',
      'goal g9: a highlight, never sent',
      'goal g3: 2 highlights',
    ]);
    expect(
      checkGoalHighlights(expected, [h('g1', 'READY'), h('g1', 'READY'), h('g2', 'READY')]).problems,
    ).toEqual(['goal g1: 2 highlights']);
  });
});
