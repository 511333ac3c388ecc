/**
 * The enricher process (dist/main.js) against the embedded stack's ClickHouse 18.16: SIGKILLed in the middle of a
 * pass, then started again, it loses no highlight and doubles none (exactly one final version per highlight);
 * SIGTERM lets it finish the highlight in progress, write what the pass did and exit 0; its probes and metrics
 * answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  HIGHLIGHT_VERSIONS,
  createClickHouseClient,
  execute,
  identifier,
  insertEvents,
  runMigrations,
  selectRows,
  sql,
} from '@pitchpulse/clickhouse';
import type { StoredEvent } from '@pitchpulse/contract';
import { freePort } from '@pitchpulse/devstack';
import { sampleSum } from '@pitchpulse/observability';

jest.setTimeout(120_000);

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
const database = `enr_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const client = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database });
const MODE = { nativeParams: false };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-enricher-'));
/** A pluggable enricher that takes 250 ms per highlight: a pass of 30 takes 7.5 s, long enough to stop it mid-pass on a busy machine. */
const SLOW = path.join(dir, 'slow-enricher.js');
fs.writeFileSync(
  SLOW,
  `exports.enricher = {
     name: 'slow',
     enrich: async (input) => {
       await new Promise((r) => setTimeout(r, 250));
       return { title: 'T ' + input.highlightId, summary: 'S ' + input.score['1'] + '-' + input.score['2'] };
     },
   };\n`,
);

const KICKOFF = Date.parse('2024-07-01T12:00:00.000Z');
const goals: StoredEvent[] = Array.from({ length: 30 }, (_, i) => ({
  eventId: randomUUID(),
  matchId: `enr-${i % 3}`,
  eventType: 'goal',
  timestamp: new Date(KICKOFF + i * 60_000).toISOString(),
  teamId: i % 2 === 0 ? 1 : 2,
  receivedAt: KICKOFF + i * 60_000 + 50,
}));

let port: number;
function start(env: Record<string, string> = {}): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL!,
      CLICKHOUSE_DATABASE: database,
      METRICS_PORT: String(port),
      ENRICH_BATCH: '30',
      ENRICH_INTERVAL_MS: '100',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: 'ignore',
  });
  return { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Per highlight: its latest status and how many final (READY/FAILED) versions were written. */
async function states() {
  const rows = await selectRows<{ highlight_id: string; s: string; finals: number }>(
    client,
    MODE,
    sql`SELECT highlight_id, argMax(status, version) AS s, countIf(version = ${HIGHLIGHT_VERSIONS.final}) AS finals
        FROM ${identifier(database, 'highlights')} GROUP BY highlight_id`,
  );
  return rows.map((r) => ({ id: r.highlight_id, status: r.s, finals: Number(r.finals) }));
}

const readyCount = async () => (await states()).filter((s) => s.status === 'READY').length;

beforeAll(async () => {
  port = await freePort();
  await runMigrations(client);
  await insertEvents(client, goals, new Date(KICKOFF + 7_200_000));
});

afterAll(async () => {
  await execute(client, MODE, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
  await client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('SIGKILL mid-pass loses and doubles nothing: after a restart every highlight is READY once', async () => {
  const first = start({ HIGHLIGHT_ENRICHER: SLOW });
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // The pass is under way once the enricher has been called (its histogram counts each call).
  await until('the first enrich calls', async () => {
    const text = await (await fetch(metricsUrl)).text();
    return sampleSum(text, 'highlight_enrichment_seconds_count') >= 3 ? true : undefined;
  });
  first.child.kill('SIGKILL');
  await first.exited;
  expect(await readyCount()).toBe(0); // the pass wrote nothing: every highlight is still PENDING

  const second = start();
  await until('every highlight READY', async () =>
    (await readyCount()) === goals.length ? true : undefined,
  );
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  const after = await states();
  expect(after).toHaveLength(goals.length);
  expect(after.every((s) => s.status === 'READY' && s.finals === 1)).toBe(true);
});

it('SIGTERM mid-pass: the highlight in progress finishes, the pass writes what it did, exit 0', async () => {
  const more: StoredEvent[] = goals.map((g) => ({ ...g, eventId: randomUUID(), matchId: 'enr-term' }));
  await insertEvents(client, more, new Date(KICKOFF + 7_300_000));
  const proc = start({ HIGHLIGHT_ENRICHER: SLOW });
  const ready = await until('/ready', async () =>
    (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200 ? true : undefined,
  );
  expect(ready).toBe(true);
  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, unknown>;
  expect(health.status).toBe('healthy');
  await until('the first enrich calls', async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return sampleSum(text, 'highlight_enrichment_seconds_count') >= 5 ? true : undefined;
  });
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
  const done = (await states()).filter((s) => s.status === 'READY').length - goals.length;
  expect(done).toBeGreaterThanOrEqual(5);
  expect(done).toBeLessThan(more.length); // stopped mid-pass, yet wrote what it had done
  // The rest is done by the next run; nothing doubled.
  const next = start();
  await until('the rest READY', async () => ((await readyCount()) === 2 * goals.length ? true : undefined));
  next.child.kill('SIGTERM');
  await next.exited;
  expect((await states()).every((s) => s.finals === 1)).toBe(true);
});
