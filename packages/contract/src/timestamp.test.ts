import { isRfc3339DateTime, parseTimestampMs } from './timestamp';

describe('parseTimestampMs', () => {
  it('reads RFC 3339 date-times as Date does, offsets applied, digits past milliseconds truncated', () => {
    expect(parseTimestampMs('2024-02-29T00:00:00.5Z')).toBe(Date.parse('2024-02-29T00:00:00.500Z'));
    expect(parseTimestampMs('2024-01-15T16:00:00.123+01:30')).toBe(Date.parse('2024-01-15T14:30:00.123Z'));
    expect(parseTimestampMs('2024-01-01t00:59:59.9999-01:00')).toBe(Date.parse('2024-01-01T01:59:59.999Z'));
    expect(parseTimestampMs('2024-01-15 14:30:00z')).toBe(Date.parse('2024-01-15T14:30:00Z'));
  });

  it('equals Date.parse for 20,000 timestamps of 1970 – 2105 in every layout the contract allows', () => {
    const offsets = ['Z', 'z', '+00:00', '+05:30', '-03:00', '+14:00', '-11:45', '+23:59'];
    const fractions = ['', '.5', '.12', '.123', '.123456789'];
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor((i / 20_000) * Date.UTC(2105, 11, 31)) + ((i * 7919) % 86_400_000);
      const iso = new Date(ms).toISOString().slice(0, 19);
      const text = `${iso.replace('T', ['T', 't', ' '][i % 3]!)}${fractions[i % 5]}${offsets[i % 8]}`;
      const isoText = `${iso}${fractions[i % 5]}${offsets[i % 8]!.toUpperCase()}`;
      const expected = Date.parse(isoText.replace(/\.(\d{3})\d+/, '.$1'));
      if (parseTimestampMs(text) !== expected) wrong.push(text);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('reads a leap second as the first millisecond of the next minute', () => {
    expect(parseTimestampMs('2016-12-31T23:59:60Z')).toBe(Date.parse('2017-01-01T00:00:00Z'));
    expect(parseTimestampMs('2016-12-31T23:58:60Z')).toBeUndefined();
  });

  it.each([
    ['an offset without a colon', '2024-01-15T14:30:00+0100'],
    ['an offset of hours only', '2024-01-15T14:30:00+01'],
    ['no offset', '2024-01-15T14:30:00'],
    ['a date only', '2024-01-15'],
    ['a day the month lacks', '2024-02-30T10:00:00Z'],
    ['Feb 29 of a common year', '2023-02-29T10:00:00Z'],
    ['hour 24', '2024-01-15T24:00:00Z'],
    ['minute 60', '2024-01-15T14:60:00Z'],
    ['an offset past 23:59', '2024-01-15T14:30:00+24:00'],
    ['an empty fraction', '2024-01-15T14:30:00.Z'],
    ['trailing text', '2024-01-15T14:30:00Zx'],
    ['a sign in a field', '2024-+1-15T14:30:00Z'],
    ['a letter in the offset', '2024-01-15T14:30:00+0a:00'],
    ['prose', 'yesterday'],
  ])('refuses %s', (_what, text) => {
    expect(parseTimestampMs(text)).toBeUndefined();
    expect(isRfc3339DateTime(text)).toBe(false);
  });
});
