import { ago, escapeHtml, formatInt, formatMs, formatRate, utcMinuteLabel, utcTimeLabel } from './format';

describe('format', () => {
  it('escapes markup', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;',
    );
  });

  it('formats numbers, durations and rates', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(undefined)).toBe('—');
    expect(formatMs(0.84)).toBe('0.8 ms');
    expect(formatMs(42.4)).toBe('42 ms');
    expect(formatMs(1320)).toBe('1.3 s');
    expect(formatMs(null)).toBe('—');
    expect(formatRate(3.44)).toBe('3.4');
    expect(formatRate(1250.2)).toBe('1,250');
  });

  it('says how long ago', () => {
    const now = Date.parse('2024-01-15T15:00:00Z');
    expect(ago('2024-01-15T14:59:58Z', now)).toBe('just now');
    expect(ago('2024-01-15T14:59:30Z', now)).toBe('30 s ago');
    expect(ago('2024-01-15T14:57:00Z', now)).toBe('3 min ago');
    expect(ago('2024-01-15T13:00:00Z', now)).toBe('2 h ago');
    expect(ago('not a date', now)).toBe('—');
  });
});

describe('utcMinuteLabel', () => {
  it('shows the wall-clock minute of the contract’s peakMinute as HH:MM UTC', () => {
    expect(utcMinuteLabel('2024-01-15T14:45:00Z')).toBe('14:45 UTC');
    expect(utcMinuteLabel('2024-01-15T00:05:00Z')).toBe('00:05 UTC');
    expect(utcTimeLabel('2024-01-15T14:47:09.250Z')).toBe('14:47:09 UTC');
    expect(utcTimeLabel('2024-01-15T15:47:09+01:00')).toBe('14:47:09 UTC');
    expect(utcTimeLabel('soon')).toBe('—');
  });
});
