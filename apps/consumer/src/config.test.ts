import { parseClickHouseConfig, parseConfig } from './config';

const required = { KAFKA_BROKERS: 'k1:9092, k2:9092', CLICKHOUSE_URL: 'http://ch:8123' };

describe('parseConfig', () => {
  it('applies defaults that suit the embedded stack', () => {
    const config = parseConfig(required);
    expect(config).toMatchObject({
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      clickhouse: { url: 'http://ch:8123', database: 'pitchpulse', username: 'default', password: '' },
      flush: { maxEvents: 1000, intervalMs: 5000 },
      metricsPort: 9091,
    });
    expect(config.maintenance).toEqual({
      seal: { intervalMs: 5000, quietMs: 60_000, batch: 50 },
      retention: { days: undefined, intervalMs: 3_600_000 },
    });
  });

  it('reads the sealer and retention settings', () => {
    const config = parseConfig({
      ...required,
      SEAL_INTERVAL_MS: '250',
      SEAL_QUIET_MS: '0',
      SEAL_BATCH: '10000',
      RETENTION_DAYS: ' 400 ',
      RETENTION_INTERVAL_MS: '60000',
    });
    expect(config.maintenance).toEqual({
      seal: { intervalMs: 250, quietMs: 0, batch: 10_000 },
      retention: { days: 400, intervalMs: 60_000 },
    });
  });

  it('reads CLICKHOUSE_CLUSTER: absent for one server, a plain identifier for cluster mode', () => {
    expect(parseConfig(required).clickhouse).not.toHaveProperty('cluster');
    expect(parseConfig({ ...required, CLICKHOUSE_CLUSTER: ' pitchpulse ' }).clickhouse.cluster).toBe(
      'pitchpulse',
    );
    expect(() => parseConfig({ ...required, CLICKHOUSE_CLUSTER: 'a; DROP' })).toThrow(/CLICKHOUSE_CLUSTER/);
    // retention drops the expired months on every shard (cluster.cluster.test.ts)
    expect(
      parseConfig({ ...required, CLICKHOUSE_CLUSTER: 'pitchpulse', RETENTION_DAYS: '400' }).clickhouse
        .cluster,
    ).toBe('pitchpulse');
  });

  it('reads KAFKA_COMPRESSION for the retry and dead-letter copies: none by default, one of the five codecs', () => {
    expect(parseConfig(required).retry.compression).toBe('none');
    expect(parseConfig({ ...required, KAFKA_COMPRESSION: 'zstd' }).retry.compression).toBe('zstd');
    expect(() => parseConfig({ ...required, KAFKA_COMPRESSION: 'brotli' })).toThrow(/KAFKA_COMPRESSION/);
  });

  it('reads CLICKHOUSE_COMPRESSION: gzip or none, nothing 18.16 cannot decode', () => {
    expect(parseConfig(required).clickhouse.compression).toBe('none');
    expect(parseConfig({ ...required, CLICKHOUSE_COMPRESSION: 'gzip' }).clickhouse.compression).toBe('gzip');
    expect(() => parseConfig({ ...required, CLICKHOUSE_COMPRESSION: 'lz4' })).toThrow(
      /CLICKHOUSE_COMPRESSION/,
    );
  });

  it('names every bad or missing variable', () => {
    expect(() => parseConfig({})).toThrow(/KAFKA_BROKERS: missing[\s\S]*CLICKHOUSE_URL: missing/);
    for (const [name, value] of [
      ['RETENTION_DAYS', '0'],
      ['RETENTION_DAYS', '1.5'],
      ['RETENTION_DAYS', '-3'],
      ['RETENTION_DAYS', '30d'],
      ['RETENTION_DAYS', ''],
      ['RETENTION_DAYS', '100001'],
      ['SEAL_INTERVAL_MS', '0'],
      ['SEAL_QUIET_MS', '-1'],
      ['SEAL_QUIET_MS', String(366 * 86_400_000)],
      ['SEAL_BATCH', '0'],
      ['SEAL_BATCH', '10001'],
      ['RETENTION_INTERVAL_MS', '999'],
    ]) {
      expect(() => parseConfig({ ...required, [name!]: value })).toThrow(
        new RegExp(`invalid consumer configuration:\\n  ${name}: must be a whole number`),
      );
    }
    expect(() => parseConfig({ ...required, RETENTION_DAYS: '0' })).toThrow(
      'RETENTION_DAYS: must be a whole number 1–100000, got "0"',
    );
  });
});

describe('parseClickHouseConfig', () => {
  it('reads only the ClickHouse settings (the backfill CLI needs no Kafka)', () => {
    expect(parseClickHouseConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_DATABASE: 'x' })).toEqual({
      url: 'http://ch:8123',
      database: 'x',
      username: 'default',
      password: '',
    });
    expect(() => parseClickHouseConfig({})).toThrow(
      /invalid ClickHouse configuration:\n {2}CLICKHOUSE_URL: missing/,
    );
  });
});
