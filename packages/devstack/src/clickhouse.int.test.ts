import { randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { resolveConnection } from './stack';

describe('embedded ClickHouse (Debian clickhouse-server) with @clickhouse/client', () => {
  const client = createClient({
    url: resolveConnection().clickhouseUrl,
    keep_alive: { idle_socket_ttl: 2000 },
  });
  afterAll(() => client.close());

  it('reports the 18.16 server the design targets', async () => {
    const rows = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json();
    expect(rows).toEqual([{ v: expect.stringMatching(/^18\.16\./) }]);
  });

  it('creates a table, inserts rows and selects them back', async () => {
    const table = `stack_${randomUUID().replace(/-/g, '')}`;
    await client.command({
      query: `CREATE TABLE ${table} (id String, n UInt32, at DateTime) ENGINE = MergeTree ORDER BY id`,
    });
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: `row-${String(i).padStart(4, '0')}`,
      n: i,
      at: '2024-01-15 14:30:00',
    }));
    await client.insert({ table, values: rows, format: 'JSONEachRow' });
    const back = await (
      await client.query({
        query: `SELECT id, n, toString(at) AS at FROM ${table} ORDER BY id`,
        format: 'JSONEachRow',
      })
    ).json();
    expect(back).toEqual(rows);
    await client.command({ query: `DROP TABLE ${table}` });
  });
});
