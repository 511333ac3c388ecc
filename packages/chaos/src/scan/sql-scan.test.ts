import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createProgram } from './source-files';
import { scanSql } from './sql-scan';

/** A throwaway project: a fake @clickhouse/client, a helper module with `render`, and the code under scan. */
function fixture(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sql-scan-'));
  const all: Record<string, string> = {
    'node_modules/@clickhouse/client/package.json': '{"name":"@clickhouse/client","types":"index.d.ts"}',
    'node_modules/@clickhouse/client/index.d.ts': `
      export declare class ClickHouseClient {
        query(p: { query: string; query_params?: Record<string, unknown> }): Promise<unknown>;
        command(p: { query: string; query_params?: Record<string, unknown> }): Promise<unknown>;
        exec(p: { query: string }): Promise<unknown>;
        insert(p: { table: string; values: unknown[] }): Promise<unknown>;
      }
      export declare function createClient(): ClickHouseClient;`,
    'helper/sql.ts': `
      export class Sql { constructor(readonly text: string) {} }
      export const sql = (s: TemplateStringsArray, ..._a: unknown[]): Sql => new Sql(s.join('?'));
      export function render(f: Sql, _m: { nativeParams: boolean }) { return { query: f.text, query_params: {} }; }`,
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const scanned = Object.keys(files).map((f) => path.join(dir, f));
  const program = createProgram(scanned, { types: [] });
  const result = scanSql(program, scanned, {
    root: dir,
    allowlist: ['helper/query.ts'],
    isHelperModule: (f) => f.endsWith(`${path.sep}helper${path.sep}sql.ts`),
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

const HEADER = `
  import { ClickHouseClient } from '@clickhouse/client';
  import { render, sql } from '../helper/sql';
  declare const client: ClickHouseClient;
  declare const matchId: string;
`;

describe('scanSql', () => {
  it('accepts constants and SQL rendered by the helper', () => {
    const result = fixture({
      'src/good.ts': `${HEADER}
        const TABLE = 'events';
        export async function ok() {
          await client.query({ query: 'SELECT 1' });
          await client.command({ query: \`SELECT count() FROM \${TABLE}\` });
          const { query, query_params } = render(sql\`SELECT * FROM t WHERE id = \${matchId}\`, { nativeParams: true });
          await client.query({ query, query_params });
          await client.insert({ table: render(sql\`t\`, { nativeParams: false }).query, values: [] });
          const rendered = render(sql\`SELECT 2\`, { nativeParams: false });
          await client.exec({ query: rendered.query });
          // not ClickHouse: never inspected
          /x/.exec(matchId);
        }`,
    });
    expect(result.findings).toEqual([]);
    expect(result).toMatchObject({ calls: 5, viaHelper: 3, constant: 2 });
  });

  it('reports values put into SQL by template literal, concatenation, parameter or mutable variable', () => {
    const result = fixture({
      'src/bad.ts': `${HEADER}
        export async function bad(table: string) {
          await client.query({ query: \`SELECT * FROM events WHERE match_id = '\${matchId}'\` });
          await client.command({ query: 'DROP TABLE ' + table });
          await client.exec({ query: table });
          let text = 'SELECT 1';
          text += matchId;
          await client.query({ query: text });
          const built = \`SELECT \${matchId}\`;
          await client.query({ query: built });
          await client.insert({ table: \`db.\${table}\`, values: [] });
          const { query } = { query: matchId };
          await client.query({ query });
        }`,
    });
    expect(result.findings.map((f) => [f.line, f.call, f.reason])).toEqual([
      [8, 'client.query(…)', 'template literal with a value in it: ${matchId}'],
      [9, 'client.command(…)', "string concatenation: 'DROP TABLE ' + table"],
      [10, 'client.exec(…)', 'table is a parameter: not provably built by the sql helper'],
      [13, 'client.query(…)', 'text is a mutable variable'],
      [15, 'client.query(…)', 'template literal with a value in it: ${matchId}'],
      [16, 'client.insert(…)', 'template literal with a value in it: ${table}'],
      [18, 'client.query(…)', 'query is destructured from something other than render(…)'],
    ]);
    expect(result.calls).toBe(7);
  });

  it('excuses only the allowlisted helper file, and counts its calls', () => {
    const result = fixture({
      'helper/query.ts': `${HEADER.replace('../helper/sql', './sql')}
        export const run = (q: string) => client.query({ query: q });`,
    });
    expect(result.findings).toEqual([]);
    expect(result.allowlisted).toEqual([{ file: 'helper/query.ts', calls: 1 }]);
  });
});
