import { validateRetraction } from '@pitchpulse/events';
import { planRun, RETRACTION_REASON, type PlanOptions } from './plan';

const kickoff = new Date('2024-05-18T14:00:00.000Z');
const plan = (extra: Partial<PlanOptions> = {}) =>
  planRun({ seed: 7, matches: 12, kickoff, invalidShare: 0, duplicateShare: 0, ...extra });

const retractionsOf = (p: ReturnType<typeof planRun>) => p.items.filter((i) => i.kind === 'retraction');

describe('planning retractions (--retract-share)', () => {
  it('plans none by default or with share 0', () => {
    expect(plan().retractions).toBe(0);
    expect(retractionsOf(plan({ retractShare: 0 }))).toEqual([]);
  });

  it('with share 1 retracts every goal, about a minute of play after it, before the final whistle', () => {
    const p = plan({ retractShare: 1 });
    const goals = p.matches.flatMap((m) =>
      m.events.filter((s) => s.event.eventType === 'goal').map((s) => ({ match: m, sim: s })),
    );
    expect(goals.length).toBeGreaterThan(15);
    const retractions = retractionsOf(p);
    expect(p.retractions).toBe(goals.length);
    expect(retractions.map((r) => r.retraction!.eventId).sort()).toEqual(
      goals.map((g) => g.sim.event.eventId).sort(),
    );
    for (const { match, sim } of goals) {
      const item = retractions.find((r) => r.retraction!.eventId === sim.event.eventId)!;
      expect(item.body).toEqual({
        eventId: sim.event.eventId,
        matchId: match.matchId,
        reason: RETRACTION_REASON,
      });
      expect(validateRetraction(item.body).ok).toBe(true);
      const delayMs = item.at * match.playedMs - sim.clockMs;
      if (item.at < 1) expect(delayMs).toBeGreaterThanOrEqual(45_000);
      expect(delayMs).toBeLessThanOrEqual(75_000);
      expect(item.at).toBeLessThanOrEqual(1);
    }
  });

  it('sends each retraction after its goal in the send order', () => {
    const p = plan({ retractShare: 1 });
    const position = new Map(
      p.items.map((item, i) => [item.event?.eventId ?? `r:${item.retraction!.eventId}`, i]),
    );
    for (const item of retractionsOf(p)) {
      expect(position.get(`r:${item.retraction!.eventId}`)!).toBeGreaterThan(
        position.get(item.retraction!.eventId)!,
      );
    }
  });

  it('picks about the share of goals, the same ones for the same seed, other ones for another seed', () => {
    const ids = (p: ReturnType<typeof planRun>) => retractionsOf(p).map((r) => r.retraction!.eventId);
    const half = plan({ matches: 200, retractShare: 0.5 });
    const goals = half.matches.reduce((n, m) => n + m.score[1] + m.score[2], 0);
    expect(half.retractions / goals).toBeGreaterThan(0.42);
    expect(half.retractions / goals).toBeLessThan(0.58);
    expect(ids(plan({ retractShare: 0.5 }))).toEqual(ids(plan({ retractShare: 0.5 })));
    expect(ids(plan({ retractShare: 0.5, seed: 8 }))).not.toEqual(ids(plan({ retractShare: 0.5 })));
  });

  it('never changes the matches, the other injections or the count of generated events', () => {
    const without = plan({ invalidShare: 0.02, duplicateShare: 0.05 });
    const withRetractions = plan({ invalidShare: 0.02, duplicateShare: 0.05, retractShare: 0.5 });
    const rest = (p: ReturnType<typeof planRun>) => p.items.filter((i) => i.kind !== 'retraction');
    expect(rest(withRetractions)).toEqual(rest(without));
    expect(withRetractions.generated).toBe(without.generated);
    expect(withRetractions.invalid).toBe(without.invalid);
    expect(withRetractions.duplicatesPlanned).toBe(without.duplicatesPlanned);
  });
});

describe('the default kick-off: honest timestamps', () => {
  const startAt = new Date('2025-03-01T18:00:00.123Z');
  const honest = (extra: Partial<PlanOptions> = {}) =>
    planRun({ seed: 11, matches: 6, startAt, invalidShare: 0.01, duplicateShare: 0, ...extra });
  /** How far each event's timestamp lies after its planned release (startAt + at × duration); at most 0. */
  const leads = (p: ReturnType<typeof planRun>, durationMs: number) =>
    p.items
      .filter((i) => i.kind === 'valid' && p.injected.get(i.event!.matchId) !== 'clock-skew')
      .map((i) => Date.parse(i.event!.timestamp) - (startAt.getTime() + i.at * durationMs));

  it.each([
    ['as fast as possible', undefined],
    ['--duration 60', 60_000],
    ['--duration 600', 600_000],
    ['--duration longer than a match', 4 * 3_600_000],
  ])('stamps no event after its planned release (%s), the latest within a second of it', (_, durationMs) => {
    const p = honest({ durationMs });
    const most = Math.max(...leads(p, durationMs ?? 0));
    expect(most).toBeLessThanOrEqual(0);
    if (durationMs === undefined || durationMs < 3_600_000) expect(most).toBeGreaterThan(-1000);
    expect(p.kickoff.getTime() % 1000).toBe(0);
    // As fast as possible: the longest match ended (its last event stamped) just before now.
    if (durationMs === undefined)
      expect(startAt.getTime() - p.kickoff.getTime()).toBeGreaterThan(100 * 60_000);
  });

  it('keeps to it with injected anomalies, the source-velocity burst included', () => {
    const kinds = [
      'source-velocity',
      'match-velocity',
      'goal-burst',
      'player-both-teams',
      'duplicate-storm',
    ] as const;
    const p = honest({ durationMs: 40_000, anomalies: { kinds, share: 1 } });
    expect(Math.max(...leads(p, 40_000))).toBeLessThanOrEqual(0);
  });

  it('only shifts timestamps: the same plan as with that kick-off given', () => {
    const p = honest({ durationMs: 60_000, retractShare: 0.5 });
    const given = honest({ durationMs: 60_000, retractShare: 0.5, kickoff: p.kickoff });
    expect(given.items).toEqual(p.items);
    const other = honest({ durationMs: 60_000, retractShare: 0.5, kickoff });
    const ids = (q: ReturnType<typeof planRun>) => q.items.map((i) => (i.event ?? i.retraction)?.eventId);
    expect(ids(other)).toEqual(ids(p));
  });
});
