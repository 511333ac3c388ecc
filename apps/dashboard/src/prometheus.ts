/** Just enough of the Prometheus text format (0.0.4) to sum a counter's series and turn it into a rate. */

export interface Sample {
  name: string;
  labels: string;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+\d+)?\s*$/;

/** Every sample line of an exposition (comments and blank lines skipped; unparsable lines ignored). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const value = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (Number.isNaN(value)) continue;
    samples.push({ name: m[1]!, labels: m[2] ?? '', value });
  }
  return samples;
}

/** The sum of a metric's series; `null` when the exposition has none (the metric is not exported). */
export function sumOf(samples: Sample[], name: string): number | null {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : null;
}

/**
 * Per-second rate of a counter from successive readings. The first reading gives no rate; a counter that went
 * down (process restarted) starts over.
 */
export class CounterRate {
  private last: { value: number; at: number } | undefined;

  update(value: number, atMs: number): number | null {
    const previous = this.last;
    this.last = { value, at: atMs };
    if (!previous || value < previous.value || atMs <= previous.at) return null;
    return ((value - previous.value) * 1000) / (atMs - previous.at);
  }
}
