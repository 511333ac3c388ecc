import type { DailyStatsDay } from '@pitchpulse/contract';
import {
  checkRange,
  defaultRange,
  isSeasonHash,
  rangeFromHash,
  rangeTotals,
  renderDailyChart,
  renderDailyTable,
  renderTopEvents,
  seasonHash,
} from './season-chart';

const zero = { matches: 0, events: 0, goals: 0, cards: 0, activePlayers: 0 };
const days: DailyStatsDay[] = [
  { day: '2024-06-01', matches: 2, events: 8, goals: 1, cards: 1, activePlayers: 2 },
  { day: '2024-06-02', ...zero },
  { day: '2024-06-03', matches: 1, events: 4, goals: 0, cards: 0, activePlayers: 2 },
];

describe('season view: ranges', () => {
  it('the default range is the last 30 UTC days up to today', () => {
    expect(defaultRange(Date.parse('2024-06-30T23:59:00Z'))).toEqual({
      from: '2024-06-01',
      to: '2024-06-30',
    });
  });

  it('reads a range from the hash when the API would accept it, else the default', () => {
    const now = Date.parse('2024-06-30T12:00:00Z');
    expect(isSeasonHash('#season')).toBe(true);
    expect(isSeasonHash('#season=2024-01-01..2024-01-31')).toBe(true);
    expect(isSeasonHash('#match=season')).toBe(false);
    const r = { from: '2024-01-01', to: '2024-01-31' };
    expect(rangeFromHash(seasonHash(r), now)).toEqual(r);
    for (const bad of [
      '#season',
      '#season=2024-02-30..2024-03-01',
      '#season=2024-03-02..2024-03-01',
      '#season=2023-01-01..2024-12-31',
    ])
      expect(rangeFromHash(bad, now)).toEqual(defaultRange(now));
  });

  it('says why a range would be refused, with the contract’s limits', () => {
    expect(checkRange('2024-01-01', '2024-12-31')).toBeNull();
    expect(checkRange('2024-02-30', '2024-03-01')).toMatch(/From/);
    expect(checkRange('2024-03-02', '2024-03-01')).toMatch(/before/);
    expect(checkRange('2024-01-01', '2025-01-01')).toMatch(/366 days/);
  });
});

describe('season view: rendering', () => {
  it('the daily chart has a described SVG, a tooltip per day (zero days too) and a bar per day with events', () => {
    const svg = renderDailyChart(days, { width: 600, height: 240 });
    expect(svg).toContain('role="img"');
    expect(svg).toMatch(/<desc id="daily-desc">[^<]*12 events on 2 of 3 days; busiest 1 Jun 2024 with 8/);
    expect(svg.match(/<g data-day="/g)).toHaveLength(3);
    expect(svg).toContain('<title>2 Jun 2024: 0 events, 0 matches');
    expect(svg.match(/fill="#0072B2"/g)).toHaveLength(2);
    expect(svg.match(/class="goal-dot"/g)).toHaveLength(1);
  });

  it('the table lists every day; the totals add the days up', () => {
    const table = renderDailyTable(days);
    expect(table.match(/<tr><th scope="row">/g)).toHaveLength(3);
    expect(rangeTotals(days)).toEqual({ events: 12, goals: 1, cards: 1, activeDays: 2 });
  });

  it('top events: types with events only, bars relative to the first', () => {
    const html = renderTopEvents([
      { eventType: 'pass', events: 10 },
      { eventType: 'yellow_card', events: 5 },
      { eventType: 'goal', events: 0 },
    ]);
    expect(html.match(/<li>/g)).toHaveLength(2);
    expect(html).toContain('yellow card');
    expect(html).toContain('width:50%');
    expect(renderTopEvents([{ eventType: 'goal', events: 0 }])).toBe('');
  });
});
