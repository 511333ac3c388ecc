import { CounterRate, parsePrometheus, sumOf } from './prometheus';

const TEXT = `# HELP events_ingested_total Events acknowledged by Kafka
# TYPE events_ingested_total counter
events_ingested_total{event_type="pass"} 120
events_ingested_total{event_type="goal"} 3
events_ingested_total{event_type="odd \\"quoted\\" } value"} 2
http_request_duration_seconds_bucket{le="+Inf",method="POST"} 7
process_start_time_seconds 1700000000 1700000000123
garbage line here

consumer_lag{topic="match-events",partition="0"} NaN
`;

describe('parsePrometheus', () => {
  it('reads samples with and without labels, skips comments, NaN and garbage', () => {
    const samples = parsePrometheus(TEXT);
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['events_ingested_total', 120],
      ['events_ingested_total', 3],
      ['events_ingested_total', 2],
      ['http_request_duration_seconds_bucket', 7],
      ['process_start_time_seconds', 1700000000],
    ]);
  });

  it('sums a metric over its series; null when it is not exported', () => {
    const samples = parsePrometheus(TEXT);
    expect(sumOf(samples, 'events_ingested_total')).toBe(125);
    expect(sumOf(samples, 'consumer_lag')).toBeNull();
    expect(sumOf(samples, 'nope')).toBeNull();
  });
});

describe('CounterRate', () => {
  it('is null on the first reading, then per second; starts over when the counter goes down', () => {
    const rate = new CounterRate();
    expect(rate.update(100, 10_000)).toBeNull();
    expect(rate.update(350, 15_000)).toBe(50);
    expect(rate.update(350, 20_000)).toBe(0);
    expect(rate.update(10, 25_000)).toBeNull(); // restarted
    expect(rate.update(30, 27_000)).toBe(10);
    expect(rate.update(40, 27_000)).toBeNull(); // no time passed
  });
});
