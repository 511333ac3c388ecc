import { LatencyRecorder } from './latency';
import { formatSimulationReport, percent, perSecond, statusTable, type SimulationReport } from './report';

describe('latency percentiles (HdrHistogram)', () => {
  it('reports p50/p95/p99/max of a known distribution within 0.1 %', () => {
    const latency = new LatencyRecorder();
    for (let ms = 1; ms <= 1000; ms++) latency.record(ms); // 1 ms … 1000 ms, one each
    const s = latency.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeCloseTo(500, -0.3);
    expect(Math.abs(s.p50 - 500) / 500).toBeLessThan(0.001);
    expect(Math.abs(s.p95 - 950) / 950).toBeLessThan(0.001);
    expect(Math.abs(s.p99 - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(s.max - 1000) / 1000).toBeLessThan(0.001);
    expect(Math.abs(s.mean - 500.5) / 500.5).toBeLessThan(0.001);
  });

  it('keeps sub-millisecond resolution and a skewed tail', () => {
    const latency = new LatencyRecorder();
    for (let i = 0; i < 990; i++) latency.record(0.25);
    for (let i = 0; i < 10; i++) latency.record(80);
    expect(latency.percentile(50)).toBe(0.25);
    expect(latency.percentile(99)).toBe(0.25);
    expect(latency.percentile(99.5)).toBeCloseTo(80, 0);
  });

  it('is all zeros before the first sample', () => {
    expect(new LatencyRecorder().summary()).toEqual({ count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });
});

describe('throughput and shares', () => {
  it('divides by elapsed seconds', () => {
    expect(perSecond(21_840, 60_000)).toBe(364);
    expect(perSecond(1, 3)).toBe(333.3);
    expect(perSecond(10, 0)).toBe(0);
    expect(percent(1, 3)).toBe(33.33);
    expect(percent(5, 0)).toBe(0);
  });
});

describe('status table', () => {
  it('orders codes numerically, network errors last, with shares of all responses', () => {
    expect(statusTable({ '503': 5, '202': 90, 'network error': 1, '400': 4, '429': 0 })).toEqual([
      { status: '202', count: 90, share: 90 },
      { status: '400', count: 4, share: 4 },
      { status: '503', count: 5, share: 5 },
      { status: 'network error', count: 1, share: 1 },
    ]);
    expect(statusTable({})).toEqual([]);
  });
});

describe('closing report', () => {
  const report: SimulationReport = {
    run: {
      url: 'http://127.0.0.1:8080',
      seed: 7,
      kickoff: '2024-05-18T14:00:00.000Z',
      matches: 2,
      durationSeconds: 60,
      targetRate: null,
      batch: 100,
      concurrency: 4,
      startedAt: '2024-05-18T14:00:00.000Z',
      elapsedMs: 61_000,
      aborted: null,
    },
    events: {
      generated: 2_000,
      accepted: 1_990,
      duplicatesSent: 40,
      duplicatesAccepted: 40,
      invalidSent: 20,
      invalidRejected: 17,
      invalidUnknown: 2,
      invalidNotDelivered: 1,
      rejectedUnexpectedly: 0,
      acceptedUnexpectedly: 0,
      unknown: 6,
      notDelivered: 4,
    },
    retractions: { planned: 5, sent: 5, accepted: 4, rejectedUnexpectedly: 0, unknown: 1, notDelivered: 0 },
    anomalies: {},
    throughput: { acceptedPerSecond: 32.6, eventsPerSecond: 33.8, requestsPerSecond: 0.4 },
    requests: { total: 25, retries: 3 },
    latencyMs: { count: 25, mean: 3.1, p50: 2.5, p95: 8, p99: 12.25, max: 13 },
    scheduleLagMs: { count: 2000, mean: 1, p50: 0.5, p95: 2, p99: 4.5, max: 9 },
    statusCodes: statusTable({ '202': 20, '400': 2, '503': 3 }),
    samples: [],
  };

  it('prints every figure a load tester needs', () => {
    const text = formatSimulationReport(report);
    expect(text).toContain('seed 7');
    // Table cells are separated by spaces and box-drawing bars.
    expect(text).toMatch(/accepted \(202\)[\s│]+1,990[\s│]+99\.5 %/);
    expect(text).toMatch(/undelivered: unknown \(5xx, timeout\)[\s│]+6[\s│]+0\.3 %/);
    expect(text).toMatch(/invalid sent \/ rejected \(expected 4xx\)[\s│]+20 \/ 17/);
    expect(text).toMatch(/invalid unknown \/ certainly not stored[\s│]+2 \/ 1[\s│]/);
    expect(text).toMatch(/retractions sent \/ accepted \(202\)[\s│]+5 \/ 4[\s│]+80 %/);
    expect(text).toMatch(/retractions refused \/ unknown \/ not stored[\s│]+0 \/ 1 \/ 0/);
    expect(text).toContain('p50 2.5 · p95 8 · p99 12.25 · max 13');
    expect(text).toMatch(/503[\s│]+3[\s│]+12 %/);
    expect(text).toContain('25 requests (3 retries)');
    expect(text).toContain('Sent behind schedule (ms): p50 0.5 · p99 4.5 · max 9');
  });

  it('lists the injected anomalies, in rule order, only when there are any', () => {
    expect(formatSimulationReport(report)).not.toContain('Anomalies');
    const injected = formatSimulationReport({
      ...report,
      anomalies: { 'goal-burst': 2, 'source-velocity': 1 },
    });
    expect(injected).toContain('Anomalies injected (matches): source-velocity 1 · goal-burst 2');
  });

  it('leaves the retraction rows out of a run without retractions', () => {
    const none = { planned: 0, sent: 0, accepted: 0, rejectedUnexpectedly: 0, unknown: 0, notDelivered: 0 };
    expect(formatSimulationReport({ ...report, retractions: none })).not.toContain('retractions');
  });
});
