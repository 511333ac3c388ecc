/** Deletes the oldest-inserted keys of `map` until it holds fewer than `max` (Maps iterate in insertion order). */
export function trimOldest<K, V>(map: Map<K, V>, max: number): void {
  if (map.size < max) return;
  let drop = map.size - max + 1;
  for (const key of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(key);
  }
}

/** Moves `key` to the newest end of `map` (least-recently-used order). */
export function touch<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
}

/**
 * Counts per whole second over the last `seconds` seconds, in a ring: `add` at a time, `sum` of the seconds in a
 * range. Seconds older than the ring are forgotten as time moves on.
 */
export class SecondCounts {
  private readonly counts: Uint32Array;
  private latest = -Infinity;

  constructor(private readonly seconds: number) {
    this.counts = new Uint32Array(seconds);
  }

  add(nowMs: number, n: number): void {
    this.advance(Math.floor(nowMs / 1000));
    const i = this.latest % this.seconds;
    this.counts[i] = this.counts[i]! + n;
  }

  /** Events in the `span` seconds ending `skip` seconds before the current one (current second included). */
  sum(nowMs: number, span: number, skip = 0): number {
    this.advance(Math.floor(nowMs / 1000));
    let total = 0;
    for (let back = skip; back < skip + span && back < this.seconds; back++) {
      total += this.counts[(this.latest - back) % this.seconds]!;
    }
    return total;
  }

  private advance(second: number): void {
    if (second <= this.latest) return;
    const gap = Math.min(second - this.latest, this.seconds);
    for (let k = 1; k <= gap; k++) this.counts[(second - gap + k) % this.seconds] = 0;
    this.latest = second;
  }
}

/**
 * A set of 30-bit non-negative integers (eventId fingerprints) that keeps about the newest `max` (between max / 2
 * and max): two generations of half each, the older dropped whole when the newer fills. Each generation is an
 * open-addressing table in an Int32Array (the values are random bits already: their low bits index it), which
 * takes and finds a value several times faster than a Set and allocates only when it grows.
 */
export class RecentSet {
  private current = new IntTable();
  private previous = new IntTable();
  private readonly half: number;

  constructor(max: number) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  has(value: number): boolean {
    return this.current.has(value) || this.previous.has(value);
  }

  add(value: number): void {
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new IntTable();
    }
    this.current.add(value);
  }
}

/** Linear probing over value + 1 (0 marks a free slot), at most half full. */
class IntTable {
  size = 0;
  private slots = new Int32Array(64);

  has(value: number): boolean {
    const mask = this.slots.length - 1;
    for (let i = value & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i]!;
      if (slot === 0) return false;
      if (slot === value + 1) return true;
    }
  }

  add(value: number): void {
    if (2 * (this.size + 1) > this.slots.length) this.grow();
    if (this.insert(this.slots, value + 1)) this.size++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (const slot of old) if (slot !== 0) this.insert(this.slots, slot);
  }

  /** Puts `stored` (value + 1) into `slots`; false when it was there. */
  private insert(slots: Int32Array, stored: number): boolean {
    const mask = slots.length - 1;
    for (let i = (stored - 1) & mask; ; i = (i + 1) & mask) {
      if (slots[i] === stored) return false;
      if (slots[i] === 0) {
        slots[i] = stored;
        return true;
      }
    }
  }
}
