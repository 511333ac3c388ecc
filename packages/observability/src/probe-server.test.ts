import { Readiness, validatorFor } from '@pitchpulse/contract';
import { readinessOf } from './probe-server';

const healthy = { status: 'healthy' } as const;

describe('the consumer’s readiness', () => {
  it('is ready only with both dependencies healthy, start-up over and no drain', () => {
    const ready = readinessOf({ kafka: healthy, clickhouse: healthy, draining: false });
    expect(ready).toEqual({
      status: 'ready',
      timestamp: expect.any(String),
      checks: { kafka: 'healthy', clickhouse: 'healthy' },
      draining: false,
    });
    expect(validatorFor(Readiness)(ready)).toBe(true);
  });

  it.each([
    [
      'ClickHouse down',
      { clickhouse: { status: 'unhealthy', reason: 'no ping' } },
      { clickhouse: 'no ping' },
    ],
    [
      'out of its group',
      { kafka: { status: 'unhealthy', reason: 'not in the group' } },
      { kafka: 'not in the group' },
    ],
    ['starting', { waitingFor: 'Kafka: ECONNREFUSED' }, { startup: 'Kafka: ECONNREFUSED' }],
    ['draining', { draining: true }, { draining: 'shutting down' }],
  ] as const)('is not ready when %s, and says why', (_case, patch, reasons) => {
    const body = readinessOf({ kafka: healthy, clickhouse: healthy, draining: false, ...patch });
    expect(body).toMatchObject({ status: 'not_ready', reasons });
    expect(validatorFor(Readiness)(body)).toBe(true);
  });
});
