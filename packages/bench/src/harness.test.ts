import {
  BenchFailure,
  acceptedIn,
  envNumber,
  fmt,
  fmtMs,
  fmtRatio,
  median,
  percentile,
  requireAllOk,
  runProblems,
  summarize,
  table,
  verdict,
  type LoadRun,
} from './harness';

function run(overrides: Partial<LoadRun> = {}): LoadRun {
  return {
    name: 'run',
    seconds: 10,
    responses: 1000,
    ok: 1000,
    non2xx: 0,
    statusCodes: { '202': 1000 },
    errors: 0,
    timeouts: 0,
    okPerSecond: 100,
    latency: { p50: 1, p99: 5, max: 9 },
    accepted: 100_000,
    rejected: 0,
    unreadable: 0,
    acceptedPerSecond: 10_000,
    ...overrides,
  };
}

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 20])).toBe(15);
  });

  it('does not reorder its input and refuses no values', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('percentile and summarize', () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('takes the nearest rank', () => {
    expect(percentile(samples, 0.5)).toBe(51);
    expect(percentile(samples, 0.99)).toBe(100);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 1)).toBe(100);
  });

  it('refuses no values and p outside 0..1', () => {
    expect(() => percentile([], 0.5)).toThrow(RangeError);
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([...samples].reverse())).toEqual({ p50: 51, p99: 100, max: 100 });
  });
});

describe('formatting', () => {
  it('writes whole numbers with thousands separators', () => {
    expect(fmt(1234567.6)).toBe('1,234,568');
    expect(fmt(0)).toBe('0');
    expect(fmt(NaN)).toBe('n/a');
    expect(fmt(Infinity)).toBe('n/a');
  });

  it('writes milliseconds and ratios', () => {
    expect(fmtMs(1.234)).toBe('1.2 ms');
    expect(fmtMs(1.234, 2)).toBe('1.23 ms');
    expect(fmtRatio(0.8123)).toBe('0.81');
    expect(fmtRatio(0.8123, 3)).toBe('0.812');
    expect(fmtRatio(1 / 0)).toBe('n/a');
  });

  it('prints a markdown table, first column left, the others right', () => {
    expect(
      table(
        ['run', 'req/s'],
        [
          ['a', '1,000'],
          ['b', 2],
        ],
      ),
    ).toBe('| run | req/s |\n| --- | ---: |\n| a | 1,000 |\n| b | 2 |');
    expect(table(['x', 'y'], [], ['right', 'left'])).toBe('| x | y |\n| ---: | --- |');
    expect(() => table(['x', 'y'], [['only one']])).toThrow(RangeError);
  });
});

describe('verdict', () => {
  it('passes runs whose every answer was 2xx', () => {
    expect(runProblems(run())).toEqual([]);
    expect(verdict([run(), run({ name: 'other' })])).toEqual([]);
    expect(() => requireAllOk([run()])).not.toThrow();
  });

  it('fails a run with any non-2xx answer, naming the codes', () => {
    const bad = run({ name: 'POST /api/events #1', non2xx: 3, statusCodes: { '202': 997, '503': 3 } });
    expect(runProblems(bad)).toEqual(['POST /api/events #1: 3 non-2xx answers (503 ×3)']);
  });

  it('fails a run with errors, timeouts, rejected events, unreadable bodies or no success', () => {
    expect(runProblems(run({ errors: 2 }))).toEqual(['run: 2 connection errors (timeouts included)']);
    expect(runProblems(run({ timeouts: 1 }))).toEqual(['run: 1 timeouts']);
    expect(runProblems(run({ rejected: 5 }))).toEqual(['run: 5 events rejected in 2xx answers']);
    expect(runProblems(run({ unreadable: 1 }))).toEqual(['run: 1 2xx answers without an accepted list']);
    expect(runProblems(run({ ok: 0 }))).toEqual(['run: no successful answer']);
  });

  it('throws a BenchFailure listing every problem of every run', () => {
    const runs = [
      run({ name: 'a', non2xx: 1, statusCodes: { '500': 1 } }),
      run(),
      run({ name: 'c', errors: 1 }),
    ];
    expect(verdict(runs)).toHaveLength(2);
    expect(() => requireAllOk(runs)).toThrow(BenchFailure);
    expect(() => requireAllOk(runs)).toThrow(/a: 1 non-2xx answers \(500 ×1\)\n {2}c: 1 connection errors/);
  });
});

describe('acceptedIn', () => {
  it('counts the accepted and rejected lists of a batch answer', () => {
    const body = JSON.stringify({
      status: 'partially_accepted',
      accepted: [
        { index: 0, eventId: 'a' },
        { index: 2, eventId: 'c' },
      ],
      rejected: [{ index: 1, errors: [] }],
    });
    expect(acceptedIn(body)).toEqual({ accepted: 2, rejected: 1 });
  });

  it('counts one event for a single-event answer', () => {
    expect(acceptedIn('{"eventId":"x","status":"accepted"}')).toEqual({ accepted: 1, rejected: 0 });
  });

  it('answers undefined for a body that says neither', () => {
    expect(acceptedIn('not json')).toBeUndefined();
    expect(acceptedIn('null')).toBeUndefined();
    expect(acceptedIn('{"status":"ok"}')).toBeUndefined();
  });
});

describe('envNumber', () => {
  it('reads a number, or the fallback when unset or empty', () => {
    expect(envNumber('N', 7, { env: { N: '2.5' } })).toBe(2.5);
    expect(envNumber('N', 7, { env: {} })).toBe(7);
    expect(envNumber('N', 7, { env: { N: ' ' } })).toBe(7);
  });

  it('refuses what is not a number, below the minimum or not whole when it must be', () => {
    expect(() => envNumber('N', 7, { env: { N: 'ten' } })).toThrow('N=ten: expected a number ≥ 0');
    expect(() => envNumber('N', 7, { min: 1, env: { N: '0' } })).toThrow(BenchFailure);
    expect(() => envNumber('N', 7, { integer: true, env: { N: '1.5' } })).toThrow('expected a whole number');
  });
});
