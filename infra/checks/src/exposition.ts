/** What a Prometheus text exposition (`GET /metrics`) declares: every metric family and the samples it has. */
export interface Exposition {
  /** family name → type (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  /** series name (as queried: `x_bucket`, `x_total`, ...) → the label sets of its samples. */
  samples: Map<string, Record<string, string>[]>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, Record<string, string>[]>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = JSON.parse(`"${l[2]!}"`) as string;
    samples.set(m[1]!, [...(samples.get(m[1]!) ?? []), labels]);
  }
  return { types, samples };
}

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/**
 * The family a queried series name belongs to, if the exposition declares it: `x` itself, or `x_bucket`,
 * `x_sum`, `x_count` of a histogram `x` (`_sum`, `_count` of a summary).
 */
export function familyOf(series: string, exposition: Exposition): string | undefined {
  if (exposition.types.has(series)) return series;
  for (const [type, suffixes] of Object.entries(SUFFIXES)) {
    for (const suffix of suffixes) {
      if (!series.endsWith(suffix)) continue;
      const base = series.slice(0, -suffix.length);
      if (exposition.types.get(base) === type) return base;
    }
  }
  return undefined;
}
