import { FEED_RULES, type FeedRule, type MatchEvent } from '@pitchpulse/contract';
import { validateEvent } from '@pitchpulse/events';
import { InjectionError, planInjections } from './anomalies';
import { planRun, type Outgoing, type PlanOptions, type RunPlan } from './plan';

const kickoff = new Date('2024-05-18T14:00:00.000Z');
const startAt = new Date('2024-05-18T14:00:00.000Z');
const plan = (kinds: readonly FeedRule[], extra: Partial<PlanOptions> = {}): RunPlan =>
  planRun({
    seed: 7,
    matches: 12,
    kickoff,
    startAt,
    durationMs: 60_000,
    invalidShare: 0,
    duplicateShare: 0,
    anomalies: { kinds, share: 0.2 },
    ...extra,
  });

/** The items of one match, and which of them the match model did not generate. */
function itemsOf(p: RunPlan, matchId: string): { all: Outgoing[]; extra: Outgoing[] } {
  const match = p.matches.find((m) => m.matchId === matchId)!;
  const model = new Set(match.events.map((s) => s.event.eventId));
  const all = p.items.filter((i) => (i.event ?? i.retraction)?.matchId === matchId);
  return { all, extra: all.filter((i) => i.kind === 'valid' && !model.has(i.event!.eventId)) };
}

/** The only match injected with `kind`. */
function injectedWith(p: RunPlan, kind: FeedRule): string {
  const ids = [...p.injected].filter(([, k]) => k === kind).map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

const ms = (e: MatchEvent): number => Date.parse(e.timestamp);

describe('choosing the injected matches (--inject-anomalies, --anomaly-share)', () => {
  it('gives round(share × matches) matches one kind each, round-robin, at least one match per kind', () => {
    const kinds = (m: Map<number, { kind: FeedRule }>) => [...m.values()].map((i) => i.kind);
    const ten = planInjections(1, 50, { kinds: ['goal-burst', 'clock-skew'], share: 0.2 });
    expect(ten.size).toBe(10);
    expect(kinds(ten).filter((k) => k === 'goal-burst')).toHaveLength(5);
    expect(kinds(ten).filter((k) => k === 'clock-skew')).toHaveLength(5);
    // Six kinds in twelve matches at 0.2: round(2.4) = 2 is too few, so one per kind.
    const all = planInjections(1, 12, { kinds: FEED_RULES, share: 0.2 });
    expect(kinds(all).sort()).toEqual([...FEED_RULES].sort());
    expect(planInjections(1, 7, { kinds: ['match-velocity'], share: 1 }).size).toBe(7);
  });

  it('is a function of the seed', () => {
    const chosen = (seed: number) => [
      ...planInjections(seed, 100, { kinds: FEED_RULES, share: 0.3 }).entries(),
    ];
    expect(chosen(3)).toEqual(chosen(3));
    expect(chosen(4)).not.toEqual(chosen(3));
  });

  it('numbers a separate source for each match of a source kind only', () => {
    const injections = [...planInjections(2, 30, { kinds: FEED_RULES, share: 1 }).values()];
    const sources = injections.filter((i) => i.source !== undefined);
    expect(sources.map((i) => i.kind).every((k) => k === 'source-velocity' || k === 'duplicate-storm')).toBe(
      true,
    );
    expect(sources.map((i) => i.source).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it('refuses more kinds than matches', () => {
    expect(() => planInjections(1, 5, { kinds: FEED_RULES, share: 1 })).toThrow(InjectionError);
    expect(() => planInjections(1, 5, { kinds: FEED_RULES, share: 1 })).toThrow(
      'needs at least 6 matches (one per kind), got 5',
    );
  });
});

describe('planning the injected anomalies', () => {
  const all = plan(FEED_RULES);

  it('adds valid events with fresh, derived eventIds, the same for the same seed', () => {
    const extra = [...all.injected.keys()].flatMap((id) => itemsOf(all, id).extra.map((i) => i.event!));
    expect(extra.length).toBe(250 + 4 + 1 + 1);
    for (const event of extra) expect(validateEvent(event).ok).toBe(true);
    const ids = all.items.filter((i) => i.kind === 'valid').map((i) => i.event!.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.generated).toBe(ids.length);
    expect(plan(FEED_RULES).items).toEqual(all.items);
  });

  it('leaves the matches without an anomaly as they were', () => {
    const without = plan([], { anomalies: undefined });
    const plain = [...without.matches.map((m) => m.matchId)].filter((id) => !all.injected.has(id));
    for (const id of plain) expect(itemsOf(all, id).all).toEqual(itemsOf(without, id).all);
    expect(without.injected.size).toBe(0);
  });

  it('match-velocity: 250 passes of one team in one minute of event time, released together', () => {
    const { extra } = itemsOf(all, injectedWith(all, 'match-velocity'));
    const events = extra.map((i) => i.event!);
    expect(events).toHaveLength(250);
    expect(new Set(events.map((e) => e.eventType))).toEqual(new Set(['pass']));
    expect(new Set(events.map((e) => e.teamId)).size).toBe(1);
    expect(new Set(events.map((e) => Math.floor(ms(e) / 60_000))).size).toBe(1);
    const team = events[0]!.teamId;
    for (const e of events) expect(e.playerId).toMatch(new RegExp(`^m\\d+-t${team}-p\\d+$`));
    expect(new Set(extra.map((i) => i.at)).size).toBe(1);
    expect(extra[0]!.at).toBeGreaterThan(0.2);
    expect(extra[0]!.at).toBeLessThan(0.8);
    // The minute of play of each pass agrees with its time.
    const minutes = new Set(events.map((e) => (e.metadata as { minute: number }).minute));
    expect(minutes.size).toBeLessThanOrEqual(2);
  });

  it('goal-burst: 4 goals within 60 s, alternating teams, real scorers, no other goal within 3 minutes', () => {
    const matchId = injectedWith(all, 'goal-burst');
    const match = all.matches.find((m) => m.matchId === matchId)!;
    const goals = itemsOf(all, matchId).extra.map((i) => i.event!);
    expect(goals.map((g) => g.eventType)).toEqual(['goal', 'goal', 'goal', 'goal']);
    expect(ms(goals[3]!) - ms(goals[0]!)).toBeLessThanOrEqual(60_000);
    expect(goals.map((g) => g.teamId)).toEqual(goals[0]!.teamId === 1 ? [1, 2, 1, 2] : [2, 1, 2, 1]);
    for (const goal of goals) {
      const squad = match.squads[goal.teamId as 1 | 2];
      const scorer = [...squad.starters, ...squad.bench].find((p) => p.id === goal.playerId)!;
      expect((goal.metadata as { scorer: string }).scorer).toBe(scorer.name);
    }
    const own = match.events.filter((s) => s.event.eventType === 'goal').map((s) => ms(s.event));
    for (const at of own) {
      expect(at < ms(goals[0]!) - 180_000 || at > ms(goals[3]!) + 180_000).toBe(true);
    }
  });

  it('clock-skew: one event stamped 2 h after the last timestamp of the run and its planned send time', () => {
    const extra = itemsOf(all, injectedWith(all, 'clock-skew')).extra;
    expect(extra).toHaveLength(1);
    const event = extra[0]!.event!;
    const lastModel = Math.max(...all.matches.flatMap((m) => m.events.map((s) => ms(s.event))));
    const plannedSend = startAt.getTime() + extra[0]!.at * 60_000;
    expect(ms(event)).toBe(Math.max(lastModel, plannedSend) + 2 * 3_600_000);
    const minute = (event.metadata as { minute: number }).minute;
    expect(minute).toBeGreaterThanOrEqual(20);
    expect(minute).toBeLessThanOrEqual(75);
  });

  it('player-both-teams: a pass of team 2 by a team-1 player seen with team 1 before it', () => {
    const matchId = injectedWith(all, 'player-both-teams');
    const { all: items, extra } = itemsOf(all, matchId);
    expect(extra).toHaveLength(1);
    const event = extra[0]!.event!;
    expect(event).toMatchObject({ eventType: 'pass', teamId: 2 });
    expect(event.playerId).toMatch(/^m\d+-t1-p\d+$/);
    expect((event.metadata as { ownGoal?: boolean }).ownGoal).toBeUndefined();
    const before = items.slice(0, items.indexOf(extra[0]!));
    expect(before.some((i) => i.event?.teamId === 1 && i.event.playerId === event.playerId)).toBe(true);
  });

  it('duplicate-storm: 300 accepted events re-sent from a separate source, after the match', () => {
    const { all: items } = itemsOf(all, injectedWith(all, 'duplicate-storm'));
    const storm = items.filter((i) => i.kind === 'duplicate');
    expect(storm).toHaveLength(300);
    const sent = new Set(items.filter((i) => i.kind === 'valid').map((i) => i.event!.eventId));
    for (const item of storm) {
      expect(item).toMatchObject({ at: 1, awaitMatch: true, source: expect.any(Number) });
      expect(sent.has(item.event!.eventId)).toBe(true);
    }
    expect(items.filter((i) => i.kind === 'valid').every((i) => i.source === undefined)).toBe(true);
  });

  it('source-velocity: its own source trickles every 10th event of the first half, then sends the rest at 0.5', () => {
    const { all: items, extra } = itemsOf(all, injectedWith(all, 'source-velocity'));
    expect(extra).toHaveLength(0);
    const source = items[0]!.source;
    expect(source).toEqual(expect.any(Number));
    const events = items.filter((i) => i.kind === 'valid');
    expect(events.every((i) => i.source === source)).toBe(true);
    const trickle = events.filter((i) => i.at < 0.5);
    const burst = events.filter((i) => i.at === 0.5);
    expect(trickle.length + burst.length).toBe(events.length);
    const match = all.matches.find((m) => m.matchId === events[0]!.event!.matchId)!;
    const firstHalf = match.events.filter((s) => s.clockMs / match.playedMs < 0.5);
    expect(trickle.map((i) => i.event)).toEqual(firstHalf.filter((_, i) => i % 10 === 0).map((s) => s.event));
    expect(trickle.length).toBeGreaterThan(40);
    expect(burst.length).toBeGreaterThan(trickle.length * 10);
  });

  it('source-velocity: bursts no sooner than 21 s into a run of --duration 40, for the source to be 20 s old', () => {
    const short = plan(['source-velocity'], { durationMs: 40_000, matches: 5 });
    const { all: items } = itemsOf(short, injectedWith(short, 'source-velocity'));
    expect(Math.max(...items.map((i) => i.at))).toBe(21_000 / 40_000);
  });

  it('spreads matches with the same kind over the match, a minute of play apart or more', () => {
    const many = plan(['match-velocity'], {
      matches: 20,
      anomalies: { kinds: ['match-velocity'], share: 0.5 },
    });
    const points = [...many.injected.keys()].map((id) => itemsOf(many, id).extra[0]!.at).sort();
    expect(points).toHaveLength(10);
    const played = Math.min(...many.matches.map((m) => m.playedMs));
    for (let i = 1; i < points.length; i++) {
      expect((points[i]! - points[i - 1]!) * played).toBeGreaterThan(50_000);
    }
  });
});
