import type { HighlightList, MatchRetractions } from '@pitchpulse/contract';
import type { ExpectedRetraction } from '../truth/ground-truth';
import { checkGoalHighlights, checkRetractions } from './verify';

const h = (eventId: string, status: string, eventType = 'goal') =>
  ({ eventId, highlightId: eventId, eventType, status }) as unknown as HighlightList['items'][number];

describe('goal highlights against the ground truth', () => {
  const expected = { accepted: ['g1', 'g2'], unknown: ['g3'], retracted: [], maybeRetracted: [] };

  it('passes when every accepted goal has one READY highlight (an unknown one may have one too)', () => {
    expect(
      checkGoalHighlights(expected, [h('g1', 'READY'), h('g2', 'READY'), h('r1', 'READY', 'red_card')]),
    ).toEqual({
      problems: [],
      settled: 2,
    });
    expect(
      checkGoalHighlights(expected, [h('g1', 'READY'), h('g2', 'READY'), h('g3', 'PENDING')]).problems,
    ).toEqual([]);
  });

  it('names a missing, a doubled, a not-READY and a never-sent goal highlight', () => {
    const { problems, settled } = checkGoalHighlights(expected, [
      h('g1', 'PENDING'),
      h('g9', 'READY'),
      h('g3', 'READY'),
      h('g3', 'READY'),
    ]);
    expect(settled).toBe(0);
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

  it('wants a retracted goal’s highlight RETRACTED, and either status while its retraction is unknown', () => {
    const retracting = {
      accepted: ['g1', 'g2', 'g4'],
      unknown: ['g3'],
      retracted: ['g1', 'g3'],
      maybeRetracted: ['g4'],
    };
    expect(
      checkGoalHighlights(retracting, [
        h('g1', 'RETRACTED'),
        h('g2', 'READY'),
        h('g3', 'RETRACTED'),
        h('g4', 'READY'),
      ]),
    ).toEqual({ problems: [], settled: 3 });
    expect(
      checkGoalHighlights(retracting, [h('g1', 'RETRACTED'), h('g2', 'READY'), h('g4', 'RETRACTED')]),
    ).toEqual({ problems: [], settled: 3 });
    expect(
      checkGoalHighlights(retracting, [
        h('g1', 'READY'),
        h('g2', 'RETRACTED'),
        h('g3', 'READY'),
        h('g4', 'PENDING'),
      ]).problems,
    ).toEqual([
      'goal g1: highlight READY, not RETRACTED',
      'goal g2: highlight RETRACTED, not READY',
      'goal g4: highlight PENDING, not READY or RETRACTED',
      'goal g3: highlight READY, not RETRACTED',
    ]);
  });
});

describe('retractions listed by the API against the ground truth', () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const want = (n: number, eventStored: ExpectedRetraction['eventStored']): ExpectedRetraction => ({
    eventId: id(n),
    reason: 'VAR review: goal disallowed',
    eventStored,
    eventType: eventStored === 'no' ? null : 'goal',
  });
  const item = (n: number, found: boolean, reason = 'VAR review: goal disallowed') => ({
    eventId: id(n),
    reason,
    retractedAt: '2024-05-18T14:30:00.000Z',
    found,
    eventType: found ? ('goal' as const) : null,
  });
  const listing = (...items: MatchRetractions['items']): MatchRetractions => ({
    matchId: 'm1',
    total: items.length,
    notFound: items.filter((i) => !i.found).length,
    items,
  });
  const expected = { accepted: [want(1, 'yes'), want(2, 'no'), want(3, 'maybe')], unknown: [id(4)] };

  it('passes when every accepted retraction is listed once, found as its event was delivered', () => {
    expect(
      checkRetractions(expected, listing(item(1, true), item(2, false), item(3, false))).problems,
    ).toEqual([]);
    expect(
      checkRetractions(expected, listing(item(1, true), item(2, false), item(3, true), item(4, true)))
        .problems,
    ).toEqual([]);
    expect(checkRetractions({ accepted: [], unknown: [] }, null).problems).toEqual([]);
  });

  it('names a missing, a doubled, a wrongly found, a never-sent retraction and inconsistent counts', () => {
    const { problems } = checkRetractions(expected, {
      ...listing(item(1, false, 'offside'), item(3, true), item(3, true), item(9, true)),
      total: 9,
    });
    expect(problems).toEqual([
      `retraction of ${id(1)}: reason "offside", expected "VAR review: goal disallowed"`,
      `retraction of ${id(1)}: found false, but its event was accepted`,
      `retraction of ${id(2)}: listed 0 times, expected once`,
      `retraction of ${id(3)}: listed 2 times, expected once`,
      `retraction of ${id(9)}: listed, never sent`,
      'retractions: total 9, but 4 items',
    ]);
    expect(checkRetractions(expected, listing(item(1, true), item(2, true), item(3, true))).problems).toEqual(
      [`retraction of ${id(2)}: found true, but its event was never stored`],
    );
    expect(
      checkRetractions(
        expected,
        listing({ ...item(1, true), eventType: 'pass' }, item(2, false), item(3, false)),
      ).problems,
    ).toEqual([`retraction of ${id(1)}: eventType pass, expected goal`]);
    expect(checkRetractions(expected, null).problems).toHaveLength(3);
  });
});
