import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { ANALYST_DATABASES, ANALYST_PROFILE, ANALYST_USER } from './clickhouse-server';
import { analystCredentials } from './stack';
import { readState, repoRoot } from './state';

/** READONLY: what ClickHouse answers to anything but a read from a `readonly` user. */
const READONLY = 164;
const DATABASE_ACCESS_DENIED = 291;
const WRONG_PASSWORD = 193;
const TOO_MANY_SIMULTANEOUS_QUERIES = 202;

// Only on the throwaway stack of this jest run (not a developer's, when KAFKA_BROKERS and CLICKHOUSE_URL point
// at other servers): the test creates the schema and writes rows in the pipeline database.
const stackDir = process.env.PITCHPULSE_TEST_STACK_DIR;
const state = stackDir ? readState(process.env.PITCHPULSE_STACK_FILE) : undefined;
const embedded = state !== undefined && state.dataDir.startsWith(stackDir!);

const DB = ANALYST_DATABASES[0]!;
const codeOf = (err: unknown): number | undefined => {
  const code = /Code: (\d+)/.exec(String((err as Error)?.message ?? err))?.[1];
  return code === undefined ? undefined : Number(code);
};

/** Runs a program to its end; `input` goes to its stdin. */
function run(file: string, args: string[], input = '') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(file, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

if (!embedded) {
  describe('the read-only analyst account', () => {
    it.skip('is tested on the throwaway embedded stack of a jest run only', () => undefined);
  });
} else {
  describe('the read-only analyst account (embedded ClickHouse 18.16)', () => {
    const stack = state!;
    const credentials = analystCredentials({ PITCHPULSE_STACK_FILE: process.env.PITCHPULSE_STACK_FILE })!;
    const clients: ClickHouseClient[] = [];
    const client = (user?: { user: string; password: string }) => {
      const c = createClient({
        url: stack.clickhouseUrl,
        username: user?.user ?? 'default',
        password: user?.password ?? '',
        keep_alive: { idle_socket_ttl: 2000 },
        log: { level: ClickHouseLogLevel.OFF }, // refusals are expected: do not log each one
      });
      clients.push(c);
      return c;
    };
    const admin = client();
    const analyst = client(credentials);
    const match = `analyst-${randomUUID()}`;
    const rows = async (c: ClickHouseClient, query: string) =>
      (await c.query({ query, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    /** The error code each statement gets from the analyst ('accepted' if it ran). */
    const refusals = async (statements: string[]) => {
      const out: Array<[string, number | string | undefined]> = [];
      for (const query of statements) {
        out.push([query, await analyst.command({ query }).then(() => 'accepted', codeOf)]);
      }
      return out;
    };

    beforeAll(async () => {
      // The pipeline's schema as the apps create it: every migration file, as clickhouse-client runs it.
      const dir = path.join(repoRoot(__dirname), 'packages', 'clickhouse', 'migrations');
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
      for (const file of fs
        .readdirSync(dir)
        .filter((f) => /^\d+_\w+\.sql$/.test(f))
        .sort()) {
        const sql = fs.readFileSync(path.join(dir, file), 'utf8').replaceAll('{{database}}', DB);
        const result = await run(
          'clickhouse-client',
          ['--port', `${stack.clickhouseTcpPort}`, '--multiquery'],
          sql,
        );
        if (result.code !== 0) throw new Error(`${file}: ${result.stderr}`);
      }
      // Two events, the first delivered twice.
      const event = (id: string, type: string) => ({
        event_id: id,
        match_id: match,
        event_type: type,
        event_time: '2024-01-15 14:30:00',
        event_time_ms: 250,
        team_id: 1,
        player_id: 'p9',
        feed_minute: 12,
        metadata: '{}',
        received_at: '2024-01-15 14:30:01',
        received_at_ms: 0,
        inserted_at: '2024-01-15 14:30:02',
        inserted_at_ms: 0,
      });
      const first = event(randomUUID(), 'goal');
      await admin.insert({
        table: `${DB}.events`,
        values: [first, event(randomUUID(), 'shot'), first],
        format: 'JSONEachRow',
      });
    });
    afterAll(() => Promise.all(clients.map((c) => c.close())));

    it('the stack publishes the account: user analyst, the password in a 0600 file', () => {
      expect(stack.clickhouseAnalystUser).toBe(ANALYST_USER);
      expect(fs.statSync(stack.clickhouseAnalystPasswordFile!).mode & 0o777).toBe(0o600);
      expect(credentials).toEqual({ user: 'analyst', password: expect.stringMatching(/^[\w-]{32}$/) });
    });

    it('reads events and every aggregate table and view of the pipeline database', async () => {
      expect(
        await rows(
          analyst,
          `SELECT toUInt32(count()) AS stored, toUInt32(uniqExact(event_id)) AS events
         FROM ${DB}.events WHERE match_id = '${match}'`,
        ),
      ).toEqual([{ stored: 3, events: 2 }]);
      // Whatever tables the migrations make (the aggregates change with the schema): each one reads.
      const tables = (
        await rows(analyst, `SELECT name FROM system.tables WHERE database = '${DB}' ORDER BY name`)
      ).map((r) => r.name as string);
      expect(tables).toContain('events');
      expect(tables.length).toBeGreaterThan(1);
      for (const table of tables) {
        expect([table, await rows(analyst, `SELECT count() AS n FROM ${DB}.\`${table}\``)]).toEqual([
          table,
          [{ n: expect.anything() }],
        ]);
      }
    });

    it('cannot INSERT, ALTER, DROP, CREATE, TRUNCATE, RENAME or OPTIMIZE: 164 READONLY, nothing changed', async () => {
      const statements = [
        `INSERT INTO ${DB}.events (event_id, match_id) VALUES ('forged', '${match}')`,
        `ALTER TABLE ${DB}.events ADD COLUMN analyst_was_here UInt8`,
        `ALTER TABLE ${DB}.events DELETE WHERE match_id = '${match}'`,
        `ALTER TABLE ${DB}.events DROP PARTITION 202401`,
        `DROP TABLE ${DB}.events`,
        `DROP DATABASE ${DB}`,
        `TRUNCATE TABLE ${DB}.events`,
        `CREATE TABLE ${DB}.analyst_table (n UInt8) ENGINE = Memory`,
        `CREATE VIEW ${DB}.analyst_view AS SELECT 1`,
        `CREATE DATABASE analyst_database`,
        `RENAME TABLE ${DB}.events TO ${DB}.events_renamed`,
        `OPTIMIZE TABLE ${DB}.events FINAL`,
        `SYSTEM STOP MERGES`,
      ];
      expect(await refusals(statements)).toEqual(statements.map((q) => [q, READONLY]));
      await expect(
        analyst.insert({
          table: `${DB}.events`,
          values: [{ event_id: 'forged', match_id: match }],
          format: 'JSONEachRow',
        }),
      ).rejects.toThrow(/Code: 164.*Cannot insert into table in readonly mode/);

      expect(
        await rows(admin, `SELECT toUInt32(count()) AS stored FROM ${DB}.events WHERE match_id = '${match}'`),
      ).toEqual([{ stored: 3 }]);
      expect(
        await rows(
          admin,
          `SELECT name FROM system.columns WHERE database = '${DB}' AND name = 'analyst_was_here'`,
        ),
      ).toEqual([]);
      expect(await rows(admin, `SELECT name FROM system.databases WHERE name = 'analyst_database'`)).toEqual(
        [],
      );
    });

    it('runs with its limits and cannot lift them (SET, SETTINGS, request settings: 164)', async () => {
      const settings = await rows(
        analyst,
        `SELECT name, toUInt64(value) AS value, changed FROM system.settings
       WHERE name IN (${Object.keys(ANALYST_PROFILE).map((n) => `'${n}'`)}) ORDER BY name`,
      );
      expect(Object.fromEntries(settings.map((s) => [s.name, [Number(s.value), s.changed]]))).toEqual(
        Object.fromEntries(Object.entries(ANALYST_PROFILE).map(([n, v]) => [n, [v, 1]])),
      );
      expect(ANALYST_PROFILE).toMatchObject({ readonly: 1, max_execution_time: 60, max_memory_usage: 4e9 });

      expect(
        await refusals([
          'SET max_execution_time = 0',
          'SET readonly = 0',
          'SELECT 1 SETTINGS max_memory_usage = 0',
        ]),
      ).toEqual([
        ['SET max_execution_time = 0', READONLY],
        ['SET readonly = 0', READONLY],
        ['SELECT 1 SETTINGS max_memory_usage = 0', READONLY],
      ]);
      await expect(
        analyst.query({ query: 'SELECT 1', clickhouse_settings: { max_execution_time: 0 } }),
      ).rejects.toThrow(/Code: 164.*Cannot override setting \(max_execution_time\) in readonly mode/);
    });

    it(`runs at most ${ANALYST_PROFILE.max_concurrent_queries_for_user} queries at once (202 beyond)`, async () => {
      const limit = ANALYST_PROFILE.max_concurrent_queries_for_user;
      const results = await Promise.all(
        Array.from({ length: limit + 2 }, () =>
          analyst.command({ query: 'SELECT sleep(2)' }).then(() => 'ran', codeOf),
        ),
      );
      expect(results.filter((r) => r === 'ran').length).toBeLessThanOrEqual(limit);
      expect(results.filter((r) => r === TOO_MANY_SIMULTANEOUS_QUERIES).length).toBeGreaterThanOrEqual(1);
      expect(results.every((r) => r === 'ran' || r === TOO_MANY_SIMULTANEOUS_QUERIES)).toBe(true);
    });

    it('sees no other database, and a wrong password gets nothing', async () => {
      const other = `analyst_other_${randomUUID().replace(/-/g, '')}`;
      await admin.command({ query: `CREATE DATABASE ${other}` });
      try {
        await admin.command({ query: `CREATE TABLE ${other}.t (n UInt8) ENGINE = Memory` });
        expect(await analyst.query({ query: `SELECT * FROM ${other}.t` }).then(() => 'read', codeOf)).toBe(
          DATABASE_ACCESS_DENIED,
        );
        const visible = await rows(analyst, 'SELECT name FROM system.databases ORDER BY name');
        expect(visible.map((r) => r.name)).toEqual([DB, 'system'].sort());
      } finally {
        await admin.command({ query: `DROP DATABASE IF EXISTS ${other}` });
      }
      const impostor = client({ user: ANALYST_USER, password: `${credentials.password}x` });
      expect(await impostor.query({ query: 'SELECT 1' }).then(() => 'read', codeOf)).toBe(WRONG_PASSWORD);
    });

    it('the documented command works: clickhouse-client --user analyst --password "$(cat <file>)"', async () => {
      // As the docs and `pnpm stack status` print it, through a shell.
      const command = (query: string) =>
        run('bash', [
          '-c',
          `clickhouse-client --port ${stack.clickhouseTcpPort} --user ${stack.clickhouseAnalystUser} ` +
            `--password "$(cat '${stack.clickhouseAnalystPasswordFile}')" --query "$0"`,
          query,
        ]);
      expect(
        await command(`SELECT uniqExact(event_id) FROM ${DB}.events WHERE match_id = '${match}'`),
      ).toEqual({
        code: 0,
        stdout: '2\n',
        stderr: '',
      });
      const insert = await command(`INSERT INTO ${DB}.events (event_id) VALUES ('forged')`);
      expect(insert.code).not.toBe(0);
      expect(insert.stderr).toMatch(/Code: 164\..*Cannot insert into table in readonly mode/);
    });
  });
}
