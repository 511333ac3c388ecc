import { randomUUID } from 'node:crypto';
import { eventFingerprint } from './fingerprint';

describe('eventFingerprint', () => {
  it('is a 30-bit number from the first and last 8 hex digits, case-insensitive', () => {
    const id = '0000000f-1234-4abc-8def-0000000000f0';
    expect(eventFingerprint(id)).toBe(0x0f ^ 0xf0);
    expect(eventFingerprint(id.toUpperCase())).toBe(eventFingerprint(id));
    expect(eventFingerprint('ffffffff-0000-4000-8000-000000000000')).toBe(0x3fffffff);
  });

  it('tells 100,000 random UUIDs apart but for a handful', () => {
    const prints = new Set(Array.from({ length: 100_000 }, () => eventFingerprint(randomUUID())));
    expect(prints.size).toBeGreaterThan(100_000 - 50); // ~5 expected collisions in 2^30
  });
});
