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
