import { createClickHouseClient } from './client';
import { classifyClickHouseError, clickHouseErrorCode } from './errors';
import { identifier, sql } from './sql';
import { clickhouseUrl, closeEngines, openEngines, uniqueDatabase, type Engine } from './testing/engines';

/** Real errors from both engines, produced on purpose, and how they are classified. */
describe('classifyClickHouseError on errors the engines really return', () => {
  const database = uniqueDatabase('errors');
  let engines: Engine[];
  const row = {
    event_id: 'x',
    at: '2024-01-01 00:00:00',
    n: 1,
  };

  beforeAll(async () => {
    engines = await openEngines(database, [
      sql`CREATE TABLE ${identifier(database, 't')} (event_id String, at DateTime('UTC'), n UInt16)
          ENGINE = MergeTree ORDER BY event_id`,
    ]);
  });
  afterAll(() => closeEngines(engines));

  const failure = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      await run();
    } catch (err) {
      return err;
    }
    throw new Error('expected the call to fail');
  };

  const insertRaw = (e: Engine, body: string) => () =>
    e.client.command({ query: `INSERT INTO ${database}.t FORMAT JSONEachRow ${body}` });

  it.each([
    ['a value that is not a number', JSON.stringify({ ...row, n: 'abc' })],
    ['a date that is not a date', JSON.stringify({ ...row, at: 'not a date' })],
    ['an unknown column', JSON.stringify({ ...row, bogus: 1 })],
    ['truncated JSON', '{"event_id":"x",'],
  ])('data: a malformed row (%s)', async (_name, body) => {
    for (const e of engines) {
      const err = await failure(insertRaw(e, body));
      expect({ engine: e.name, kind: classifyClickHouseError(err), err: String(err) }).toMatchObject({
        engine: e.name,
        kind: 'data',
      });
    }
  });

  it('the same malformed row through client.insert is data too, and the good rows of a retry go in', async () => {
    for (const e of engines) {
      const err = await failure(() =>
        e.client.insert({
          table: `${database}.t`,
          values: [row, { ...row, n: 70000.5 }],
          format: 'JSONEachRow',
        }),
      );
      expect({ engine: e.name, kind: classifyClickHouseError(err) }).toEqual({
        engine: e.name,
        kind: 'data',
      });
      await e.client.insert({ table: `${database}.t`, values: [row], format: 'JSONEachRow' });
    }
  });

  it('transient: memory limit exceeded', async () => {
    for (const e of engines) {
      const err = await failure(() =>
        e.client.query({
          query: 'SELECT groupArray(number) FROM (SELECT number FROM system.numbers LIMIT 10000000)',
          clickhouse_settings: { max_memory_usage: '1000000' },
        }),
      );
      expect({ engine: e.name, code: clickHouseErrorCode(err), kind: classifyClickHouseError(err) }).toEqual({
        engine: e.name,
        code: 241,
        kind: 'transient',
      });
    }
  });

  it('unavailable: table missing (schema not migrated)', async () => {
    for (const e of engines) {
      const missing = await failure(() =>
        e.client.insert({ table: `${database}.missing`, values: [row], format: 'JSONEachRow' }),
      );
      expect({ engine: e.name, kind: classifyClickHouseError(missing) }).toEqual({
        engine: e.name,
        kind: 'unavailable',
      });
    }
  });

  it('unavailable: connection refused and request timeout', async () => {
    const refused = createClickHouseClient({ url: 'http://127.0.0.1:1' });
    const refusedErr = await failure(() => refused.query({ query: 'SELECT 1' }));
    await refused.close();
    expect(classifyClickHouseError(refusedErr)).toBe('unavailable');

    const slow = createClickHouseClient({ url: clickhouseUrl(), requestTimeoutMs: 200 });
    const timeoutErr = await failure(() => slow.query({ query: 'SELECT sleep(1)' }));
    await slow.close();
    expect(classifyClickHouseError(timeoutErr)).toBe('unavailable');
  });
});
