import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importMain } from '../cli/import-command';
import { FakeApi } from '../testing/fake-api';
import { HttpTarget } from './http-target';
import { importFile, type ImportOptions, type RejectedRow } from './importer';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const HEADER = 'eventId,matchId,eventType,timestamp,teamId,playerId,metadata';

/**
 * 40 valid events (every 7th with metadata spanning two lines) and 4 broken rows, one CSV record per event.
 * Returns the file and, per valid event, the line its record starts on.
 */
function writeCsv(dir: string): { file: string; validIds: string[]; badLines: number[]; lastLine: number } {
  const lines = [HEADER];
  const validIds: string[] = [];
  const badLines: number[] = [];
  for (let n = 1; n <= 40; n++) {
    const ts = new Date(Date.UTC(2023, 7, 12, 15, n)).toISOString();
    if (n % 7 === 0) {
      lines.push(`${id(n)},hist-1,pass,${ts},${(n % 2) + 1},p${n},"{""minute"":${n},`, `""note"":""x""}"`);
    } else {
      lines.push(`${id(n)},hist-1,pass,${ts},${(n % 2) + 1},p${n},"{""minute"":${n}}"`);
    }
    validIds.push(id(n));
    if (n % 10 === 5) {
      lines.push(`${id(1000 + n)},hist-1,pass,${ts},7,,`);
      badLines.push(lines.length);
    }
  }
  const file = join(dir, 'history.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, validIds, badLines, lastLine: lines.length };
}

describe('importFile through the batch API', () => {
  let api: FakeApi;
  let dir: string;
  beforeEach(async () => {
    api = await new FakeApi().start();
    dir = mkdtempSync(join(tmpdir(), 'pitchpulse-import-'));
  });
  afterEach(async () => {
    await api.stop();
  });

  const run = async (file: string, extra: Partial<ImportOptions> = {}) => {
    const target = new HttpTarget({
      url: api.url,
      connections: 2,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const rejected: RejectedRow[] = [];
    try {
      const result = await importFile({
        file,
        batch: 5,
        concurrency: 1,
        target,
        onRejected: (r) => rejected.push(r),
        ...extra,
      });
      return { result, rejected };
    } finally {
      await target.close();
    }
  };

  it('imports every valid row once, reports bad rows by line, and a re-run sends nothing', async () => {
    const { file, validIds, badLines, lastLine } = writeCsv(dir);
    const { result, rejected } = await run(file);
    expect(result).toMatchObject({
      completed: true,
      rows: 44,
      valid: 40,
      imported: 40,
      rejectedInFile: 4,
      checkpointLine: lastLine,
    });
    expect(rejected).toEqual(
      badLines.map((line) => ({
        line,
        by: 'file',
        errors: [{ path: '/teamId', message: 'must be 1 or 2' }],
      })),
    );
    expect(api.acknowledged).toEqual(validIds);
    expect(api.requests.every((r) => r.events <= 5)).toBe(true);
    const state = JSON.parse(readFileSync(`${file}.import-state.json`, 'utf8'));
    expect(state).toMatchObject({ version: 1, lastAckedLine: lastLine, imported: 40, rejected: 4 });

    const again = await run(file);
    expect(again.result).toMatchObject({ completed: true, startLine: lastLine + 1, rows: 0, imported: 0 });
    expect(api.acknowledged).toHaveLength(40);
  });

  it('sends retraction rows through the retraction batch route, in the same batches as the events', async () => {
    const file = join(dir, 'feed.ndjson');
    const goal = (n: number) =>
      JSON.stringify({
        eventId: id(n),
        matchId: 'hist-r',
        eventType: 'goal',
        timestamp: '2023-08-12T15:00:00Z',
        teamId: 1,
      });
    const retraction = (n: number, reason = 'VAR review: goal disallowed') =>
      JSON.stringify({ kind: 'retraction', eventId: id(n), matchId: 'hist-r', reason });
    // A retraction may come before its event, and may name an event the file never holds.
    writeFileSync(
      file,
      [retraction(2), goal(1), goal(2), goal(3), retraction(1), retraction(3, ''), retraction(9)].join('\n'),
    );
    const { result, rejected } = await run(file, { batch: 3 });
    expect(result).toMatchObject({
      completed: true,
      rows: 7,
      valid: 6,
      retractions: 3,
      imported: 6,
      rejectedInFile: 1,
    });
    expect(rejected).toEqual([
      { line: 6, by: 'file', errors: [expect.objectContaining({ path: '/reason' })] },
    ]);
    expect(api.acknowledged).toEqual([id(1), id(2), id(3)]);
    expect([...api.retractions.keys()]).toEqual([id(2), id(1), id(9)]);
    expect(api.requests.map((r) => `${r.path} ${r.events}`)).toEqual(
      expect.arrayContaining(['/api/retractions/batch 1', '/api/events/batch 2', '/api/retractions/batch 2']),
    );
    expect(api.requests.filter((r) => r.path === '/api/events/batch')).toHaveLength(2);
  });

  it('stops on an outage with the checkpoint after the last acknowledged batch, and resumes there exactly once', async () => {
    const { file, validIds, lastLine } = writeCsv(dir);
    api.fail({ count: 3, status: 202 }); // three batches go through…
    api.fail({ count: 1_000, status: 503, retryAfter: '0' }); // …then Kafka is down
    const first = await run(file);
    expect(first.result.completed).toBe(false);
    expect(first.result.stopped).toMatch(
      /^batch starting at line \d+: delivery unknown after the last attempt \(503/,
    );
    expect(first.result.imported).toBe(15);
    expect(api.acknowledged).toEqual(validIds.slice(0, 15));
    const checkpoint = JSON.parse(readFileSync(`${file}.import-state.json`, 'utf8')).lastAckedLine as number;
    expect(checkpoint).toBe(first.result.checkpointLine);
    // The checkpoint is the line of the 15th valid event, the last of the third batch.
    const text = readFileSync(file, 'utf8').split('\n');
    expect(text[checkpoint - 1]).toMatch(new RegExp(`^${id(15)},`));

    api.clearFaults();
    const second = await run(file);
    expect(second.result).toMatchObject({
      completed: true,
      startLine: checkpoint + 1,
      imported: 25,
      checkpointLine: lastLine,
    });
    // Every valid row reached the API exactly once over both runs.
    expect(api.acknowledged).toEqual(validIds);
    expect(JSON.parse(readFileSync(`${file}.import-state.json`, 'utf8'))).toMatchObject({
      imported: 40,
      rejected: 4,
    });
  });

  it('with batches in flight in parallel, a re-run after an outage still leaves every row stored once', async () => {
    const { file, validIds } = writeCsv(dir);
    api.fail({ count: 4, status: 202 });
    api.fail({ count: 1_000, status: 503, retryAfter: '0', landed: true }); // stored, but answered 503
    const first = await run(file, { concurrency: 3 });
    expect(first.result.completed).toBe(false);
    api.clearFaults();
    const second = await run(file, { concurrency: 3 });
    expect(second.result.completed).toBe(true);
    expect(new Set(api.acknowledged)).toEqual(new Set(validIds));
    expect([...api.stored.keys()].sort()).toEqual([...validIds].sort());
  });

  it('--from-line overrides the checkpoint; --dry-run sends nothing and writes no checkpoint', async () => {
    const { file, validIds } = writeCsv(dir);
    const dry = await run(file, { dryRun: true, target: undefined });
    expect(dry.result).toMatchObject({ dryRun: true, rows: 44, valid: 40, rejectedInFile: 4, imported: 0 });
    expect(api.requests).toHaveLength(0);
    expect(existsSync(`${file}.import-state.json`)).toBe(false);

    const lineOf16 =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith(id(16))) + 1;
    const partial = await run(file, { fromLine: lineOf16 });
    expect(partial.result).toMatchObject({ startLine: lineOf16, imported: 25, completed: true });
    expect(api.acknowledged).toEqual(validIds.slice(15));
  });

  it('stops when aborted, keeping what was acknowledged, and resumes after it', async () => {
    const { file, validIds } = writeCsv(dir);
    const controller = new AbortController();
    let batches = 0;
    const target = new HttpTarget({ url: api.url, connections: 1 });
    const counting = {
      send: async (events: Parameters<typeof target.send>[0]) => {
        if (++batches === 2) controller.abort(); // Ctrl-C while the second batch is in flight
        return target.send(events);
      },
      sendRetractions: (retractions: Parameters<typeof target.sendRetractions>[0]) =>
        target.sendRetractions(retractions),
      close: () => target.close(),
    };
    const first = await importFile({
      file,
      batch: 5,
      concurrency: 1,
      target: counting,
      signal: controller.signal,
    });
    expect(first).toMatchObject({ completed: false, stopped: 'interrupted', imported: 10 });
    expect(api.acknowledged).toEqual(validIds.slice(0, 10));
    const second = await run(file);
    expect(second.result).toMatchObject({ completed: true, imported: 30 });
    expect(api.acknowledged).toEqual(validIds);
  });

  it('refuses to resume when the file became shorter than at the checkpoint', async () => {
    const { file } = writeCsv(dir);
    await run(file);
    writeFileSync(file, `${HEADER}\n`);
    await expect(run(file)).rejects.toThrow(/shorter than when .* was written: pass --restart/);
    const restarted = await run(file, { restart: true });
    expect(restarted.result).toMatchObject({ completed: true, rows: 0 });
  });
});

describe('pnpm run import (CLI)', () => {
  let api: FakeApi;
  let dir: string;
  let out: string;
  let err: string;
  beforeEach(async () => {
    api = await new FakeApi().start();
    dir = mkdtempSync(join(tmpdir(), 'pitchpulse-import-cli-'));
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await api.stop();
  });

  it('imports NDJSON, prints rejected rows with line numbers, exits 1 when rows were rejected', async () => {
    const file = join(dir, 'feed.ndjson');
    const event = (n: number, teamId: number) =>
      JSON.stringify({
        eventId: id(n),
        matchId: 'hist-2',
        eventType: 'corner',
        timestamp: '2023-08-12T15:00:00Z',
        teamId,
      });
    writeFileSync(file, [event(1, 1), event(2, 2), '', event(3, 5), '{oops', event(4, 1)].join('\n'));
    const code = await importMain([file, '--url', api.url, '--no-progress', '--batch', '2']);
    expect(code).toBe(1);
    expect(err).toContain('line 4: /teamId must be 1 or 2');
    expect(err).toMatch(/line 5: \/ is not valid JSON/);
    expect(out).toContain('valid 3 · rejected in file 2 (40 %) · imported 3');
    expect(api.stored.size).toBe(3);
  });

  it('counts retractions among the valid rows in the summary', async () => {
    const file = join(dir, 'retractions.csv');
    writeFileSync(file, `eventId,matchId,kind,reason\n${id(5)},hist-4,retraction,VAR review\n`);
    expect(await importMain([file, '--url', api.url, '--no-progress'])).toBe(0);
    expect(out).toContain('valid 1 (1 retraction) · rejected in file 0 (0 %) · imported 1');
    expect([...api.retractions.values()].map((r) => r.retraction)).toEqual([
      { eventId: id(5), matchId: 'hist-4', reason: 'VAR review' },
    ]);
  });

  it('exits 0 for a clean file, 2 for a missing file or bad flags, 0 for --help', async () => {
    const file = join(dir, 'clean.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({ eventId: id(9), matchId: 'hist-3', eventType: 'goal', timestamp: '2023-08-12T15:00:00Z', teamId: 1 })}\n`,
    );
    expect(await importMain([file, '--url', api.url, '--no-progress'])).toBe(0);
    expect(await importMain([join(dir, 'missing.csv'), '--url', api.url, '--no-progress'])).toBe(2);
    expect(err).toContain('no such file');
    expect(await importMain([file, '--batch', '5000'])).toBe(2);
    expect(await importMain(['--help'])).toBe(0);
    expect(out).toContain('Usage: pnpm run import');
    expect(out).toContain('"kind": "retraction"');
  });
});
