import { GROUPS, minuteBars, niceStep, renderChart, renderChartTable } from './chart';
import type { TimelineEntry } from '@pitchpulse/contract';

const buckets: TimelineEntry[] = [
  { minute: 0, total: 3, counts: { pass: 2, shot: 1 } },
  { minute: 12, total: 5, counts: { goal: 1, pass: 3, yellow_card: 1 } },
  { minute: 95, total: 2, counts: { substitution: 1, mystery_type: 1 } },
];

describe('minuteBars', () => {
  it('has every minute from 0 to the last (at least 90) and groups the types', () => {
    const bars = minuteBars(buckets);
    expect(bars).toHaveLength(96);
    expect(bars.map((b) => b.minute)).toEqual([...Array(96).keys()]);
    expect(bars[12]!.groups).toMatchObject({ goal: 1, pass: 3, card: 1, shot: 0 });
    expect(bars[12]!.total).toBe(5);
    expect(bars[95]!.groups.other).toBe(2); // unknown types count as "other"
    expect(bars[50]!.total).toBe(0);
    expect(minuteBars([])).toHaveLength(90);
  });

  it('puts every v1 event type in exactly one group', () => {
    const types = GROUPS.flatMap((g) => g.types as readonly string[]);
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(
      [
        'corner',
        'foul',
        'free_kick',
        'goal',
        'interception',
        'offside',
        'pass',
        'red_card',
        'shot',
        'substitution',
        'yellow_card',
      ].sort(),
    );
  });
});

describe('niceStep', () => {
  it.each([
    [0, 1],
    [3, 1],
    [10, 5],
    [23, 10],
    [41, 20],
    [180, 50],
  ])('max %d → step %d', (max, step) => {
    expect(niceStep(max)).toBe(step);
  });
});

describe('renderChart', () => {
  const svg = renderChart(
    buckets,
    [
      { minute: 12, eventCount: 5 },
      { minute: 0, eventCount: 3 },
    ],
    { width: 600, height: 240 },
  );

  it('draws one rect per non-empty group of each minute, stacked in the colours of their groups', () => {
    expect(svg.match(/<rect /g)).toHaveLength(2 + 3 + 1);
    expect(svg.match(/<g data-minute=/g)).toHaveLength(3);
    expect(svg).toContain(`fill="${GROUPS.find((g) => g.key === 'goal')!.color}"`);
  });

  it('marks each peak minute and labels the first', () => {
    expect(svg.match(/data-peak="(\d+)"/g)).toEqual(['data-peak="12"', 'data-peak="0"']);
    expect(svg).toContain('class="peak-label" aria-hidden="true">12\'</text>');
  });

  it('has a title and a description for screen readers', () => {
    expect(svg).toContain('role="img" aria-labelledby="chart-title chart-desc"');
    expect(svg).toContain(
      '<desc id="chart-desc">Events per minute of play, minutes 0 to 95, stacked by type: 10 events (passes 5, other 2, ' +
        'cards 1, shots 1, goals 1). Peak engagement minutes: 12&#39; (5 events), 0&#39; (3 events).</desc>',
    );
  });

  it('gives each minute a tooltip', () => {
    expect(svg).toContain("<title>12': 5 events — passes 3, cards 1, goals 1</title>");
  });
});

describe('renderChartTable', () => {
  it('lists minutes with events, one column per group and the total', () => {
    const html = renderChartTable(buckets);
    expect(html.match(/<tr><th scope="row">/g)).toHaveLength(3);
    expect(html).toContain(
      '<th scope="row">12\'</th><td>3</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td><td>1</td><td>5</td>',
    );
  });
});
