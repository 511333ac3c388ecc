import { parseConfig } from './config';

const BASE = { CLICKHOUSE_URL: 'http://127.0.0.1:8123' };

describe('enricher configuration', () => {
  it('defaults: goals and red cards, the default enricher, 5 attempts', () => {
    const c = parseConfig(BASE);
    expect(c.highlightTypes).toEqual(['goal', 'red_card']);
    expect(c.enricherModule).toBeUndefined();
    expect(c.policy).toEqual({
      batch: 50,
      maxAttempts: 5,
      backoffBaseMs: 1000,
      backoffMaxMs: 60_000,
      timeoutMs: 10_000,
    });
    expect(c.metricsPort).toBe(9092);
  });

  it('takes a list of event types, once each', () => {
    expect(parseConfig({ ...BASE, HIGHLIGHT_TYPES: ' goal, yellow_card,goal ' }).highlightTypes).toEqual([
      'goal',
      'yellow_card',
    ]);
  });

  it('names every bad variable in one error', () => {
    expect(() =>
      parseConfig({ ...BASE, HIGHLIGHT_TYPES: 'goal,own_goal', ENRICH_BATCH: '0', METRICS_PORT: '70000' }),
    ).toThrow(
      /invalid enricher configuration:[\s\S]*HIGHLIGHT_TYPES: .*unknown: own_goal[\s\S]*ENRICH_BATCH: must be a whole number 1–10000[\s\S]*METRICS_PORT/,
    );
    expect(() => parseConfig({ HIGHLIGHT_TYPES: 'goal' })).toThrow(/CLICKHOUSE_URL: missing/);
    expect(() =>
      parseConfig({ ...BASE, ENRICH_BACKOFF_BASE_MS: '5000', ENRICH_BACKOFF_MAX_MS: '10' }),
    ).toThrow(/ENRICH_BACKOFF_MAX_MS: must be ≥ ENRICH_BACKOFF_BASE_MS/);
  });
});
