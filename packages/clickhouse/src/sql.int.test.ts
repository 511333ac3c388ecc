import { selectRows } from './query';
import { identifier, inList, param, sql, type RenderMode } from './sql';
import { closeEngines, openEngines, uniqueDatabase, type Engine } from './testing/engines';

/** Strings that break naive quoting; each must come back byte-for-byte on both engines and both render paths. */
const HOSTILE: string[] = [
  '',
  "'",
  "''",
  '\\',
  "\\'",
  "'\\",
  '\0',
  'a\0b',
  '\n\r\t\b\f\v',
  '\x01\x1f\x7f',
  '"double"',
  '`backtick`',
  '{p0:String}',
  '{name:Type}',
  '?',
  '%s %d $1',
  '\\N',
  'NULL',
  "'; DROP TABLE events; --",
  "x' OR '1'='1",
  "1); DROP DATABASE default; SELECT ('",
  '/* comment */ -- line',
  'é ü ß — “quotes” 中文 🏟️⚽ 👩‍👩‍👧',
  '\u2028\u2029\uFEFF',
  '\\x41\\0\\n',
  'a'.repeat(4096),
  "'\\\0\n".repeat(1024),
];

const MODES: { name: string; mode: (e: Engine) => RenderMode }[] = [
  { name: 'escaped literals', mode: () => ({ nativeParams: false }) },
  { name: 'native parameters', mode: (e) => e.caps },
];

describe('query helper: hostile values round-trip exactly on both engines', () => {
  const database = uniqueDatabase('sqlhelper');
  let engines: Engine[];

  beforeAll(async () => {
    engines = await openEngines(database, [
      sql`CREATE TABLE ${identifier(database, 'victims')} (id UInt32, s String) ENGINE = MergeTree ORDER BY id`,
    ]);
    for (const e of engines) {
      await e.client.insert({
        table: `${database}.victims`,
        values: HOSTILE.map((s, id) => ({ id, s })),
        format: 'JSONEachRow',
      });
    }
  });
  afterAll(() => closeEngines(engines));

  it('detects capabilities: 18.16 has no native binding, current ClickHouse has', () => {
    const byName = Object.fromEntries(engines.map((e) => [e.name, e.caps]));
    expect(byName['clickhouse-18']).toMatchObject({
      version: expect.stringMatching(/^18\.16\./),
      nativeParams: false,
    });
    expect(byName.chdb).toMatchObject({ version: expect.stringMatching(/^2\d\./), nativeParams: true });
  });

  for (const { name, mode } of MODES) {
    describe(name, () => {
      it('selects each hostile string back unchanged, with its length in bytes', async () => {
        for (const e of engines) {
          if (name === 'native parameters' && !e.caps.nativeParams) continue;
          for (const s of HOSTILE) {
            const rows = await selectRows<{ s: string; n: number }>(
              e.client,
              mode(e),
              sql`SELECT ${s} AS s, length(${s}) AS n`,
            );
            expect({ engine: e.name, rows }).toEqual({
              engine: e.name,
              rows: [{ s, n: Buffer.byteLength(s, 'utf8') }],
            });
          }
        }
      });

      it('finds stored rows by hostile values in WHERE and IN: injection attempts stay values', async () => {
        for (const e of engines) {
          if (name === 'native parameters' && !e.caps.nativeParams) continue;
          for (const [id, s] of HOSTILE.entries()) {
            const rows = await selectRows<{ id: number }>(
              e.client,
              mode(e),
              sql`SELECT id FROM ${identifier(database, 'victims')} WHERE s = ${s} ORDER BY id`,
            );
            // Equal strings (e.g. duplicates in the list) would match several ids; ours are distinct.
            expect({ engine: e.name, s, ids: rows.map((r) => Number(r.id)) }).toEqual({
              engine: e.name,
              s,
              ids: [id],
            });
          }
          const all = await selectRows<{ n: number }>(
            e.client,
            mode(e),
            sql`SELECT count() AS n FROM ${identifier(database, 'victims')} WHERE s IN ${inList(HOSTILE)}`,
          );
          expect(Number(all[0]!.n)).toBe(HOSTILE.length);
          const none = await selectRows<{ n: number }>(
            e.client,
            mode(e),
            sql`SELECT count() AS n FROM ${identifier(database, 'victims')} WHERE has(${param([], 'Array(String)')}, s)`,
          );
          expect(Number(none[0]!.n)).toBe(0);
        }
        // The table is still there and intact after every attempt.
        for (const e of engines) {
          const [row] = await selectRows<{ n: number }>(
            e.client,
            e.caps,
            sql`SELECT count() AS n FROM ${identifier(database, 'victims')}`,
          );
          expect(Number(row!.n)).toBe(HOSTILE.length);
        }
      });

      it('binds numbers, dates and arrays to the same values, explicit types exactly', async () => {
        for (const e of engines) {
          if (name === 'native parameters' && !e.caps.nativeParams) continue;
          const at = new Date('2024-01-15T14:30:00.999Z');
          const rows = await selectRows<Record<string, unknown>>(
            e.client,
            mode(e),
            sql`SELECT ${-42} AS neg, ${0.1} AS f, ${-1.5} AS nf, ${true} AS b, 1 - ${-1} AS minus_neg,
                       ${param(65535, 'UInt16')} AS u16, toTypeName(${param(65535, 'UInt16')}) AS u16_type,
                       toString(${param(18446744073709551615n, 'UInt64')}) AS big,
                       toTypeName(${param(-7, 'Int64')}) AS i64_type, toTypeName(${param(2, 'Float64')}) AS f_type,
                       toTypeName(${param([1, 2], 'Array(UInt32)')}) AS arr_type,
                       toUnixTimestamp(${at}) AS ts, toString(${at}, 'UTC') AS utc, toTypeName(${at}) AS ts_type,
                       ${[1, 2, 3]} AS arr, ${['x', "y'"]} AS sarr
                FROM system.one LIMIT ${2} OFFSET ${0}`,
          );
          expect({ engine: e.name, rows }).toEqual({
            engine: e.name,
            rows: [
              {
                neg: -42,
                f: 0.1,
                nf: -1.5,
                b: 1,
                minus_neg: 2,
                u16: 65535,
                u16_type: 'UInt16',
                big: '18446744073709551615',
                i64_type: 'Int64',
                f_type: 'Float64',
                arr_type: 'Array(UInt32)',
                ts: 1705329000,
                utc: '2024-01-15 14:30:00',
                ts_type: "DateTime('UTC')",
                arr: [1, 2, 3],
                sarr: ['x', "y'"],
              },
            ],
          });
        }
      });
    });
  }
});
