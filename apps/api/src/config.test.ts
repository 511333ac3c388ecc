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

  it('names every bad or missing variable', () => {
    expect(() => parseConfig({})).toThrow(/KAFKA_BROKERS[\s\S]*CLICKHOUSE_URL/);
    expect(() => parseConfig({ ...required, KAFKA_COMPRESSION: 'zstd' })).toThrow(/KAFKA_COMPRESSION/);
    expect(() => parseConfig({ ...required, PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ ...required, MAX_IN_FLIGHT: '0' })).toThrow(
      'MAX_IN_FLIGHT must be ≥ 1, got 0',
    );
    expect(() => parseConfig({ ...required, LOG_SAMPLE_RATE: '2' })).toThrow(/LOG_SAMPLE_RATE/);
    expect(() => parseConfig({ ...required, KAFKA_BROKERS: ' , ' })).toThrow(/KAFKA_BROKERS/);
  });
});
