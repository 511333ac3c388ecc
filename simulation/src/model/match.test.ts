import { EVENT_TYPES } from '@pitchpulse/contract';
import { validateEvent } from '@pitchpulse/events';
import { onPitchAt, simulateMatch, withKickoff, type SimulatedMatch } from './match';

const kickoff = new Date('2024-05-18T14:00:00.000Z');
const MATCHES = 200;

function countByType(match: SimulatedMatch): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
  for (const { event } of match.events) counts[event.eventType]!++;
  return counts;
}

describe('match model', () => {
  const matches = Array.from({ length: MATCHES }, (_, i) =>
    simulateMatch({ seed: 20240518, index: i + 1, kickoff }),
  );
  const counts = matches.map(countByType);
  const mean = (type: string): number => counts.reduce((sum, c) => sum + c[type]!, 0) / MATCHES;

  it('matches real football averages over 200 seeded matches', () => {
    const means = Object.fromEntries(EVENT_TYPES.map((t) => [t, mean(t)]));
    // Top-flight averages per match, both teams together.
    expect(means.goal).toBeGreaterThanOrEqual(2);
    expect(means.goal).toBeLessThanOrEqual(3.2);
    expect(means.shot).toBeGreaterThanOrEqual(20);
    expect(means.shot).toBeLessThanOrEqual(30);
    expect(means.foul).toBeGreaterThanOrEqual(18);
    expect(means.foul).toBeLessThanOrEqual(27);
    expect(means.yellow_card).toBeGreaterThanOrEqual(2.5);
    expect(means.yellow_card).toBeLessThanOrEqual(4.5);
    expect(means.red_card).toBeGreaterThanOrEqual(0.05);
    expect(means.red_card).toBeLessThanOrEqual(0.3);
    expect(means.offside).toBeGreaterThanOrEqual(3);
    expect(means.offside).toBeLessThanOrEqual(5.5);
    expect(means.corner).toBeGreaterThanOrEqual(8);
    expect(means.corner).toBeLessThanOrEqual(12);
    expect(means.free_kick).toBeGreaterThanOrEqual(20);
    expect(means.free_kick).toBeLessThanOrEqual(30);
    expect(means.substitution).toBeGreaterThanOrEqual(6.5);
    expect(means.substitution).toBeLessThanOrEqual(9.5);
    expect(means.interception).toBeGreaterThanOrEqual(40);
    expect(means.interception).toBeLessThanOrEqual(60);
    expect(means.pass).toBeGreaterThanOrEqual(800);
    expect(means.pass).toBeLessThanOrEqual(1000);
    // Passes dominate: more than every other type together, in every single match.
    for (const c of counts) {
      const others = Object.entries(c).reduce((sum, [t, n]) => (t === 'pass' ? sum : sum + n), 0);
      expect(c.pass).toBeGreaterThan(others);
    }
  });

  it('varies from match to match (Poisson, not constants)', () => {
    const goals = new Set(counts.map((c) => c.goal));
    expect(goals.size).toBeGreaterThanOrEqual(5);
    expect(counts.filter((c) => c.goal === 0).length).toBeGreaterThan(0);
  });

  it('is deterministic per seed, including eventIds, and different for another seed', () => {
    const again = simulateMatch({ seed: 20240518, index: 7, kickoff });
    expect(again).toEqual(matches[6]);
    const other = simulateMatch({ seed: 20240519, index: 7, kickoff });
    expect(other.events.map((e) => e.event.eventId)).not.toEqual(again.events.map((e) => e.event.eventId));
    expect(other.matchId).toBe('sim-20240519-m7');
  });

  it('produces only events that satisfy the v1 contract, with unique ids', () => {
    const ids = new Set<string>();
    const broken: unknown[] = [];
    for (const match of matches.slice(0, 20)) {
      for (const { event } of match.events) {
        const checked = validateEvent(event);
        if (!checked.ok) broken.push({ event, errors: checked.errors });
        ids.add(event.eventId);
      }
    }
    expect(broken.slice(0, 3)).toEqual([]);
    expect(ids.size).toBe(matches.slice(0, 20).reduce((n, m) => n + m.events.length, 0));
  });

  it('keeps the match clock: minutes 0–~100, ordered, timestamps = kick-off + play (+ 15 min break)', () => {
    const problems: string[] = [];
    for (const match of matches) {
      const [first, second] = match.halves;
      expect(first).toBeGreaterThanOrEqual(46);
      expect(first).toBeLessThanOrEqual(49);
      expect(second).toBeGreaterThanOrEqual(47);
      expect(second).toBeLessThanOrEqual(54);
      let previous = -1;
      for (const sim of match.events) {
        const meta = sim.event.metadata as { minute: number; period: number };
        const inSecondHalf = sim.clockMs >= first * 60_000;
        const expected = kickoff.getTime() + sim.clockMs + (inSecondHalf ? 15 * 60_000 : 0);
        const wrong =
          !Number.isInteger(meta.minute) ||
          meta.minute !== Math.floor(sim.clockMs / 60_000) ||
          meta.minute >= first + second ||
          sim.clockMs < previous ||
          meta.period !== (inSecondHalf ? 2 : 1) ||
          Date.parse(sim.event.timestamp) !== expected ||
          !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(sim.event.timestamp);
        if (wrong) problems.push(`${match.matchId} ${JSON.stringify(sim)}`);
        previous = sim.clockMs;
      }
    }
    expect(problems.slice(0, 3)).toEqual([]);
  });

  it('scores goals after shots and keeps the running score in goal metadata', () => {
    for (const match of matches) {
      const score = { 1: 0, 2: 0 };
      match.events.forEach((sim, i) => {
        if (sim.event.eventType !== 'goal') return;
        score[sim.event.teamId]++;
        const meta = sim.event.metadata as { minute: number; scorer: string; score: string };
        expect(meta.score).toBe(`${score[1]}-${score[2]}`);
        expect(typeof meta.scorer).toBe('string');
        // The scoring shot: same player, earlier, marked as a goal.
        const shot = match.events
          .slice(0, i)
          .reverse()
          .find((e) => e.event.eventType === 'shot' && e.event.playerId === sim.event.playerId);
        expect((shot?.event.metadata as { outcome?: string } | undefined)?.outcome).toBe('goal');
        expect(sim.clockMs - shot!.clockMs).toBeLessThanOrEqual(3_000);
      });
      expect(score).toEqual(match.score);
    }
  });

  it('builds squads of 11 + 7 and substitutes mostly after the 55th minute', () => {
    let subs = 0;
    let late = 0;
    for (const match of matches) {
      for (const teamId of [1, 2] as const) {
        const squad = match.squads[teamId];
        expect(squad.starters).toHaveLength(11);
        expect(squad.bench).toHaveLength(7);
        expect(squad.starters[6]!.id).toBe(`m${match.index}-t${teamId}-p7`);
        const teamSubs = match.events.filter(
          (e) => e.event.eventType === 'substitution' && e.event.teamId === teamId,
        );
        expect(teamSubs.length).toBeLessThanOrEqual(5);
        for (const sub of teamSubs) {
          subs++;
          const meta = sub.event.metadata as { playerIn: string; playerOut: string };
          expect(squad.bench.map((p) => p.id)).toContain(meta.playerIn);
          expect(squad.starters.map((p) => p.id)).toContain(meta.playerOut);
          // Football minute: the second half's clock restarts at 45.
          const footballMinute =
            sub.clockMs >= match.halves[0] * 60_000
              ? 45 + (sub.clockMs / 60_000 - match.halves[0])
              : sub.clockMs / 60_000;
          if (footballMinute >= 55) late++;
        }
      }
    }
    expect(late / subs).toBeGreaterThan(0.75);
  });

  it('never lets a sent-off or substituted player act afterwards', () => {
    for (const match of matches) {
      const gone = new Map<string, number>();
      for (const sim of match.events) {
        const { event } = sim;
        if (
          event.playerId &&
          gone.has(event.playerId) &&
          event.eventType !== 'red_card' &&
          event.eventType !== 'yellow_card'
        ) {
          throw new Error(
            `${match.matchId}: ${event.playerId} acts (${event.eventType}) after leaving at ${gone.get(event.playerId)}`,
          );
        }
        if (event.eventType === 'substitution')
          gone.set((event.metadata as { playerOut: string }).playerOut, sim.clockMs);
      }
    }
  });

  it('shows bursts: the minutes right after a goal are busier than the match average', () => {
    let after = 0;
    let afterMinutes = 0;
    let all = 0;
    let allMinutes = 0;
    for (const match of matches) {
      const perMinute = new Map<number, number>();
      for (const sim of match.events) perMinute.set(sim.minute, (perMinute.get(sim.minute) ?? 0) + 1);
      const minutes = match.halves[0] + match.halves[1];
      all += match.events.length;
      allMinutes += minutes;
      for (const goal of match.events.filter((e) => e.event.eventType === 'goal')) {
        for (let m = goal.minute + 2; m <= goal.minute + 5 && m < minutes; m++) {
          after += perMinute.get(m) ?? 0;
          afterMinutes++;
        }
      }
    }
    expect(after / afterMinutes).toBeGreaterThan((all / allMinutes) * 1.2);
  });
});

describe('moving a match and reading its line-up', () => {
  const match = simulateMatch({ seed: 5, index: 3, kickoff });

  it('withKickoff moves every timestamp and nothing else: the match generated with that kick-off', () => {
    const later = new Date('2025-01-01T20:45:00.000Z');
    expect(withKickoff(match, later)).toEqual(simulateMatch({ seed: 5, index: 3, kickoff: later }));
  });

  it('onPitchAt applies the substitutions and red cards before the moment', () => {
    for (const teamId of [1, 2] as const) {
      expect(onPitchAt(match, teamId, 0).map((p) => p.id)).toEqual(
        match.squads[teamId].starters.map((p) => p.id),
      );
      const end = onPitchAt(match, teamId, match.playedMs).map((p) => p.id);
      const mine = match.events.filter((s) => s.event.teamId === teamId).map((s) => s.event);
      const subs = mine.filter((e) => e.eventType === 'substitution');
      const reds = mine.filter((e) => e.eventType === 'red_card');
      expect(end).toHaveLength(11 - reds.length);
      for (const sub of subs) {
        expect(end).not.toContain((sub.metadata as { playerOut: string }).playerOut);
        if (!reds.some((r) => r.playerId === sub.playerId)) expect(end).toContain(sub.playerId);
      }
    }
  });
});
