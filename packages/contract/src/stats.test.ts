import { EVENT_TYPES } from './event';
import { STATS_LIMITS, isoDateDays, isoDateOf } from './stats';

describe('stats limits and dates', () => {
  it('top-events lists at most every event type', () => {
    expect(STATS_LIMITS.topEvents.max).toBe(EVENT_TYPES.length);
    expect(STATS_LIMITS.topEvents.default).toBeLessThanOrEqual(STATS_LIMITS.topEvents.max);
  });

  it('isoDateDays takes real calendar dates YYYY-MM-DD within the bounds only', () => {
    expect(isoDateDays('1970-01-01')).toBe(0);
    expect(isoDateDays('2024-02-29')).toBe(19_782);
    for (const bad of [
      '2023-02-29',
      '2024-02-30',
      '2024-13-01',
      '2024-00-10',
      '2024-6-1',
      ' 2024-06-01',
      '2024-06-01T00:00:00Z',
      '1969-12-31',
      '2100-01-01',
      '',
    ]) {
      expect([bad, isoDateDays(bad)]).toEqual([bad, null]);
    }
    expect(isoDateDays(STATS_LIMITS.maxDate)).not.toBeNull();
  });

  it('isoDateOf is its inverse', () => {
    for (const day of ['1970-01-01', '2024-02-29', '2024-12-31', STATS_LIMITS.maxDate]) {
      expect(isoDateOf(isoDateDays(day)!)).toBe(day);
    }
  });
});
