import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ClickHouseStore,
  createClickHouseClient,
  identifier,
  insertEvents,
  runMigrations,
  selectRows,
  sql,
} from '@pitchpulse/clickhouse';
import { MATCHES, buildDeliveries, buildEvents, uniqueDatabase } from '@pitchpulse/clickhouse/testing';

const CLI = path.join(__dirname, '..', 'dist', 'backfill-cli.js');
const run = promisify(execFile);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; answers its exit code and output whatever the code. */
async function backfill(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm build\` first`);
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pnpm backfill (pitchpulse-backfill) on a database holding unsealed events', () => {
  const database = uniqueDatabase('backfill');
  const env = { CLICKHOUSE_URL: process.env.CLICKHOUSE_URL, CLICKHOUSE_DATABASE: database };
  const client = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database });
  const store = new ClickHouseStore(client);
  const matchIds = MATCHES.map((m) => m.matchId);

  const sealRows = async () => {
    const [row] = await selectRows<{ n: number }>(
      client,
      { nativeParams: false },
      sql`SELECT toUInt32(count()) AS n FROM ${identifier(database, 'match_figures')} WHERE kind = 'seal'`,
    );
    return Number(row!.n);
  };

  beforeAll(async () => {
    await runMigrations(client);
    // Every match of the fixture (four, over three months), a third of the events delivered twice.
    const { first, again } = buildDeliveries(buildEvents());
    for (const d of [...first, ...again]) await insertEvents(client, d.events, d.insertedAt);
  });
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it('--help, bad options and a missing CLICKHOUSE_URL: exit codes 0 and 2', async () => {
    const help = await backfill(env, '--help');
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('Exit codes: 0 done') });
    expect(await backfill(env, '--page-size', '0')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("'--page-size <n>' argument '0' is invalid"),
    });
    expect(await backfill(env, '--nope')).toMatchObject({ code: 2 });
    expect(await backfill({ CLICKHOUSE_URL: '' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('CLICKHOUSE_URL'),
    });
  });

  it('exit code 1 when ClickHouse does not answer', async () => {
    const down = await backfill({ CLICKHOUSE_URL: 'http://127.0.0.1:9', CLICKHOUSE_DATABASE: database });
    expect(down).toMatchObject({ code: 1, stderr: expect.stringContaining('pitchpulse-backfill:') });
  });

  it('--dry-run counts the matches without a current seal and seals nothing', async () => {
    const dry = await backfill(env, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('4 match(es) without a current seal');
    expect(await sealRows()).toBe(0);
  });

  it('seals every match in pages, continuing from where a previous run (or the sealer) left off', async () => {
    // One match already sealed, as if an earlier run had stopped after it.
    await store.seal(matchIds[0]!);
    const result = await backfill(env, '--page-size', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('3 match(es) without a current seal');
    expect(result.stdout).toMatch(/^page 1: sealed 2 match\(es\), [\d,]+ events, in [\d.]+ s \(2 of ~3\)$/m);
    expect(result.stdout).toMatch(/^page 2: sealed 1 match\(es\), [\d,]+ events, in [\d.]+ s \(3 of ~3\)$/m);
    expect(result.stdout).toMatch(/^done: 3 seal\(s\), [\d,]+ events, 2 page\(s\)/m);
    expect(result.stdout).toMatch(
      /^stored the season's daily stats: [1-9]\d* day\(s\) at stats version \d+$/m,
    );
    for (const matchId of matchIds) {
      const sealed = await store.metricsFromSeal(matchId);
      expect({ matchId, sealed }).toEqual({ matchId, sealed: await store.metricsFromEvents(matchId) });
      expect(sealed).not.toBeNull();
    }
    expect(await sealRows()).toBe(4);
  });

  it('a second run finds nothing to seal and writes nothing', async () => {
    const again = await backfill(env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to seal: every match with events has a current seal');
    expect(await sealRows()).toBe(4);
  });
});
