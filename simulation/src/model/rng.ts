import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/** FNV-1a over a string: turns a seed plus a label into an independent 32-bit stream seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A seeded random source (pure-rand's xoroshiro128+) with the draws the match model needs.
 * Mutable on purpose: the model draws millions of numbers and must not allocate per draw.
 */
export class Rng {
  private readonly gen: RandomGenerator;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** An independent stream for one part of a run, e.g. `Rng.derive(seed, 'match', 3)`. */
  static derive(seed: number, ...labels: Array<string | number>): Rng {
    return new Rng(hash32(`${seed}/${labels.join('/')}`));
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  float(): number {
    const a = this.gen.unsafeNext() >>> 5;
    const b = this.gen.unsafeNext() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Picks an item with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T {
    let total = 0;
    for (const item of items) total += weight(item);
    if (!(total > 0)) return this.pick(items);
    let r = this.float() * total;
    for (const item of items) {
      r -= weight(item);
      if (r < 0) return item;
    }
    return items[items.length - 1] as T;
  }

  /** Poisson-distributed count with mean `lambda` (Knuth; large means are split into chunks). */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    let count = 0;
    let remaining = lambda;
    while (remaining > 0) {
      const step = Math.min(remaining, 25);
      remaining -= step;
      const limit = Math.exp(-step);
      let p = this.float();
      while (p > limit) {
        count++;
        p *= this.float();
      }
    }
    return count;
  }

  /** Normal draw (Box–Muller), for team strengths. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.float();
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
