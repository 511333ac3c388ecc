import { BreakerOpenError, CircuitBreaker } from '@pitchpulse/breaker';
import { ClickHouseStore, createClickHouseClient } from '@pitchpulse/clickhouse';
import { createLogger } from '@pitchpulse/observability';
import { startSpan, startTracing, type Tracing } from '@pitchpulse/tracing';
import { guardStore } from './breakers';

describe('guardStore', () => {
  let tracing: Tracing;
  beforeAll(() => {
    tracing = startTracing('test', {
      exporter: { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined },
    });
  });
  afterAll(() => tracing.shutdown());

  it("guards a request's traced view (`under`) with the same breaker", async () => {
    // Nothing listens on port 1: every call is an outage.
    const client = createClickHouseClient({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2000 });
    const breaker = new CircuitBreaker({
      name: 'test-read',
      failureShare: 0.5,
      windowMs: 30_000,
      minRequests: 2,
      openMs: 60_000,
      isOutage: () => true,
      logger: createLogger('test', { level: 'silent' }),
    });
    const store = guardStore(new ClickHouseStore(client), breaker);
    const request = startSpan('GET', {});
    expect(request).toBeDefined();
    const view = store.under(request);
    expect(view).not.toBe(store);
    expect(store.under(undefined)).toBe(store);
    for (let i = 0; i < 2; i++) await expect(view.metrics('m')).rejects.not.toBeInstanceOf(BreakerOpenError);
    expect(breaker.state).toBe('open');
    await expect(view.metrics('m')).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(store.metrics('m')).rejects.toBeInstanceOf(BreakerOpenError);
    request!.end();
    await client.close();
  });
});
