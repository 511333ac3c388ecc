import { Rng } from './rng';

describe('Rng', () => {
  it('repeats its sequence for a seed and differs between derived streams', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const seqA = Array.from({ length: 5 }, () => a.float());
    expect(Array.from({ length: 5 }, () => b.float())).toEqual(seqA);
    const c = Rng.derive(42, 'match', 1);
    const d = Rng.derive(42, 'match', 2);
    expect(c.float()).not.toBe(d.float());
  });

  it('draws Poisson counts with the right mean and variance, also for large means', () => {
    const rng = new Rng(7);
    for (const lambda of [0.3, 4, 60]) {
      const n = 20_000;
      const draws = Array.from({ length: n }, () => rng.poisson(lambda));
      const mean = draws.reduce((a, b) => a + b, 0) / n;
      const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      expect(Math.abs(mean - lambda)).toBeLessThan(lambda * 0.05 + 0.02);
      expect(Math.abs(variance - lambda)).toBeLessThan(lambda * 0.1 + 0.05);
    }
    expect(rng.poisson(0)).toBe(0);
  });

  it('keeps floats in [0, 1) and ints in range', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 10_000; i++) {
      const f = rng.float();
      expect(f >= 0 && f < 1).toBe(true);
      const k = rng.int(-2, 2);
      expect(k >= -2 && k <= 2 && Number.isInteger(k)).toBe(true);
    }
  });
});
