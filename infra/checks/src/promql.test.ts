import { checkPromQL, substituteGrafanaVariables } from './promql';

describe('checkPromQL', () => {
  it('accepts valid expressions and lists their metrics, matchers and grouping labels', () => {
    const r = checkPromQL(
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{route=~"/api/.*"}[5m]))) > 0.5',
    );
    expect(r.errors).toEqual([]);
    expect(r.selectors).toEqual([
      {
        metric: 'http_request_duration_seconds_bucket',
        matchers: [{ label: 'route', op: '=~', value: '/api/.*' }],
      },
    ]);
    expect(r.groupingLabels).toEqual(['le']);
  });

  it.each([
    ['unclosed brace', 'foo{'],
    ['unclosed grouping at the end', 'sum(rate(x[5m])) by (le'],
    ['range vector expected', 'rate(foo)'],
    ['instant vector expected', 'sum(foo[5m])'],
    ['unknown function', 'frobnicate(foo)'],
    ['dangling operator', 'foo >'],
    ['empty', ' '],
  ])('rejects %s', (_name, expr) => {
    expect(checkPromQL(expr).errors.length).toBeGreaterThan(0);
  });

  it('replaces Grafana interval variables', () => {
    expect(substituteGrafanaVariables('rate(x[$__rate_interval]) + rate(y[${__interval}])')).toBe(
      'rate(x[5m]) + rate(y[5m])',
    );
  });
});
