import { Registry } from 'prom-client';
import { FEED_RULES, type FeedRule } from '@pitchpulse/contract';
import { AnomalyReporter, createAnomalyReporter } from './reporter';

function recording(now: { ms: number }) {
  const counts: Array<[FeedRule, number]> = [];
  const warnings: Array<Record<string, unknown>> = [];
  const messages: string[] = [];
  const reporter = new AnomalyReporter(
    {
      count: (rule, n) => counts.push([rule, n]),
      warn: (fields, message) => {
        warnings.push(fields);
        messages.push(message);
      },
    },
    () => now.ms,
  );
  return { reporter, counts, warnings, messages };
}

describe('AnomalyReporter', () => {
  it('counts every flagged event and warns once a minute per rule, source and match', () => {
    const now = { ms: 0 };
    const { reporter, counts, warnings, messages } = recording(now);
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
    expect(messages).toEqual([
      'feed anomaly: source-velocity in match m1 from key-1@10.0.0.5 (2 events flagged)',
      'feed anomaly: source-velocity in match m2 from key-1@10.0.0.5 (1 event flagged)',
      'feed anomaly: source-velocity in match m1 from key-1@10.0.0.5 (2 events flagged since the last warning)',
    ]);
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
