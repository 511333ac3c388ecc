import { Registry } from 'prom-client';
import { FEED_RULES, type FeedRule, type StoredEvent } from '@pitchpulse/contract';
import { flagEvent } from './flag-records';
import { MatchMonitor } from './match-rules';
import { AnomalyReporter, createAnomalyReporter } from './reporter';

function recording(now: { ms: number }) {
  const counts: Array<[FeedRule, number]> = [];
  const warnings: Array<Record<string, unknown>> = [];
  const reporter = new AnomalyReporter(
    { count: (rule, n) => counts.push([rule, n]), warn: (fields) => warnings.push(fields) },
    () => now.ms,
  );
  return { reporter, counts, warnings };
}

describe('AnomalyReporter', () => {
  it('counts every flagged event and warns once a minute per rule, source and match', () => {
    const now = { ms: 0 };
    const { reporter, counts, warnings } = recording(now);
    reporter.report('source-velocity', { matchId: 'm1', source: 'key-1@10.0.0.5' }, ['a', 'b']);
    reporter.report('source-velocity', { matchId: 'm1', source: 'key-1@10.0.0.5' }, ['c']);
    reporter.report('source-velocity', { matchId: 'm2', source: 'key-1@10.0.0.5' }, ['d']);
    now.ms = 60_000;
    reporter.report('source-velocity', { matchId: 'm1', source: 'key-1@10.0.0.5' }, ['e']);
    expect(counts).toEqual([
      ['source-velocity', 2],
      ['source-velocity', 1],
      ['source-velocity', 1],
      ['source-velocity', 1],
    ]);
    expect(warnings).toEqual([
      { rule: 'source-velocity', matchId: 'm1', source: 'key-1@10.0.0.5', flagged: 2, exampleEventId: 'a' },
      { rule: 'source-velocity', matchId: 'm2', source: 'key-1@10.0.0.5', flagged: 1, exampleEventId: 'd' },
      { rule: 'source-velocity', matchId: 'm1', source: 'key-1@10.0.0.5', flagged: 2, exampleEventId: 'e' },
    ]);
  });
});

describe('flagEvent', () => {
  const base: StoredEvent = {
    eventId: '00000000-0000-4000-8000-000000000001',
    matchId: 'm1',
    eventType: 'pass',
    timestamp: '2026-12-03T20:00:00Z',
    teamId: 1,
    playerId: 'p1',
    receivedAt: Date.parse('2026-12-03T20:00:01Z'),
  };

  it('returns the event itself when nothing fired, else a copy with the rules joined to the API’s', () => {
    const { reporter, counts } = recording({ ms: 0 });
    const monitor = new MatchMonitor();
    expect(flagEvent(monitor, reporter, base)).toBe(base);
    const other = { ...base, eventId: '00000000-0000-4000-8000-000000000002', teamId: 2 as const };
    const flagged = flagEvent(monitor, reporter, { ...other, anomalies: ['duplicate-storm'] });
    expect(flagged.anomalies).toEqual(['duplicate-storm', 'player-both-teams']);
    // a redelivery: flagged the same, counted once
    expect(flagEvent(monitor, reporter, other).anomalies).toEqual(['player-both-teams']);
    expect(counts).toEqual([['player-both-teams', 1]]);
  });
});

describe('createAnomalyReporter', () => {
  it('exposes feed_anomalies_total for every rule from 0, so a first flag is an increase', async () => {
    const registry = new Registry();
    const warnings: unknown[] = [];
    const reporter = createAnomalyReporter(registry, { warn: (o: unknown) => warnings.push(o) } as never);
    const text = await registry.metrics();
    for (const rule of FEED_RULES) expect(text).toContain(`feed_anomalies_total{rule="${rule}"} 0`);
    reporter.report('goal-burst', { matchId: 'm1' }, ['e1']);
    expect(await registry.metrics()).toContain('feed_anomalies_total{rule="goal-burst"} 1');
    expect(warnings).toHaveLength(1);
  });
});
