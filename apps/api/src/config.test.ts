import { parseConfig } from './config';

const required = { KAFKA_BROKERS: 'k1:9092, k2:9092', CLICKHOUSE_URL: 'http://ch:8123' };

describe('parseConfig', () => {
  it('applies defaults that suit the embedded stack', () => {
    const config = parseConfig(required);
    expect(config).toMatchObject({
      port: 8080,
      kafka: {
        brokers: ['k1:9092', 'k2:9092'],
        eventsTopic: 'match-events',
        compression: 'none',
        lingerMs: 2,
        produceTimeoutMs: 3000,
      },
      clickhouse: { url: 'http://ch:8123' },
      apiKeys: [],
      rateLimit: { perSecond: 1000, burst: 2000 },
    });
  });

  it('reads API keys, rate limits and switches the limit off at 0', () => {
    const config = parseConfig({ ...required, API_KEYS: 'a, b,,', RATE_LIMIT_PER_SECOND: '0', PORT: '9000' });
    expect(config.apiKeys).toEqual(['a', 'b']);
    expect(config.rateLimit).toBeNull();
    expect(config.port).toBe(9000);
  });

  it('accepts every Kafka codec the clients register', () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      expect(parseConfig({ ...required, KAFKA_COMPRESSION: codec }).kafka.compression).toBe(codec);
  });

  it('reads the circuit breaker settings, shared by the produce and read breakers', () => {
    expect(parseConfig(required).breaker).toEqual({
      failureShare: 0.5,
      windowMs: 10_000,
      minRequests: 10,
      openMs: 5000,
    });
    const tuned = {
      BREAKER_FAILURE_SHARE: '.25',
      BREAKER_WINDOW_MS: '10000',
      BREAKER_MIN_REQUESTS: '5',
      BREAKER_OPEN_MS: '2000',
    };
    expect(parseConfig({ ...required, ...tuned }).breaker).toEqual({
      failureShare: 0.25,
      windowMs: 10_000,
      minRequests: 5,
      openMs: 2000,
    });
  });

  it('names bad circuit breaker settings', () => {
    for (const [name, value] of [
      ['BREAKER_FAILURE_SHARE', '0'],
      ['BREAKER_FAILURE_SHARE', '1.5'],
      ['BREAKER_FAILURE_SHARE', '50%'],
      ['BREAKER_WINDOW_MS', '999'],
      ['BREAKER_MIN_REQUESTS', '0'],
      ['BREAKER_OPEN_MS', '2.5'],
    ]) {
      expect(() => parseConfig({ ...required, [name!]: value })).toThrow(new RegExp(`${name}: must be`));
    }
  });

  it('names every bad or missing variable', () => {
    expect(() => parseConfig({})).toThrow(/KAFKA_BROKERS[\s\S]*CLICKHOUSE_URL/);
    expect(() => parseConfig({ ...required, KAFKA_COMPRESSION: 'brotli' })).toThrow(/KAFKA_COMPRESSION/);
    expect(() => parseConfig({ ...required, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ ...required, MAX_IN_FLIGHT: '0' })).toThrow(
      'MAX_IN_FLIGHT must be ≥ 1, got 0',
    );
    expect(() => parseConfig({ ...required, LOG_SAMPLE_RATE: '2' })).toThrow(/LOG_SAMPLE_RATE/);
    expect(() => parseConfig({ ...required, KAFKA_BROKERS: ' , ' })).toThrow(/KAFKA_BROKERS/);
  });
});
