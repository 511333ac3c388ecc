import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Request latencies in an HdrHistogram (microsecond resolution, 3 significant digits), reported in ms. */
export class LatencyRecorder {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at `percentile` (0–100) in ms; 0 before the first sample. */
  percentile(percentile: number): number {
    if (this.count === 0) return 0;
    // HdrHistogram answers with the top of the bucket; never report more than the largest sample.
    return round2(Math.min(this.histogram.getValueAtPercentile(percentile), this.histogram.maxValue) / 1000);
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    return {
      count: this.count,
      mean: round2(this.histogram.mean / 1000),
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: round2(this.histogram.maxValue / 1000),
    };
  }
}
