import { Writable } from 'node:stream';
import { createLogger, createRegistry, sampleSum } from './index';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
  };
}

describe('createLogger', () => {
  it('writes JSON with service, level label, ISO time and child bindings', () => {
    const out = capture();
    createLogger('api', {}, out.stream).child({ requestId: 'r-1' }).warn({ n: 1 }, 'hello');
    const [line] = out.lines();
    expect(line).toMatchObject({ service: 'api', level: 'warn', requestId: 'r-1', n: 1, msg: 'hello' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('redacts API keys', () => {
    const out = capture();
    createLogger('api', {}, out.stream).info(
      { apiKey: 'secret-1', headers: { 'x-api-key': 'secret-2' } },
      'x',
    );
    const text = JSON.stringify(out.lines()[0]);
    expect(text).not.toContain('secret-');
    expect(text).toContain('[redacted]');
  });

  it('rejects an unknown LOG_LEVEL with a message naming the choices', () => {
    process.env.LOG_LEVEL = 'loud';
    try {
      expect(() => createLogger('api')).toThrow(/LOG_LEVEL must be one of fatal, error/);
    } finally {
      delete process.env.LOG_LEVEL;
    }
  });
});

describe('createRegistry', () => {
  it('exposes default process metrics with the default labels', async () => {
    const registry = createRegistry({ service: 'api' });
    const text = await registry.metrics();
    expect(text).toContain('process_cpu_seconds_total{service="api"}');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('sampleSum', () => {
  const text = [
    '# HELP read_cache_requests_total x',
    'read_cache_requests_total{resource="metrics",result="hit"} 10',
    'read_cache_requests_total{resource="metrics",result="miss"} 2',
    'read_cache_requests_total{resource="timeline",result="hit"} 5',
    'read_cache_requests_total_other{resource="metrics",result="hit"} 100',
    'kafka_produce_batch_messages_count 4',
  ].join('\n');

  it('sums the samples whose labels match, and only that metric', () => {
    expect(sampleSum(text, 'read_cache_requests_total', { resource: 'metrics', result: 'hit' })).toBe(10);
    expect(sampleSum(text, 'read_cache_requests_total', { resource: 'metrics' })).toBe(12);
    expect(sampleSum(text, 'read_cache_requests_total')).toBe(17);
    expect(sampleSum(text, 'kafka_produce_batch_messages_count')).toBe(4);
    expect(sampleSum(text, 'missing')).toBe(0);
  });
});
