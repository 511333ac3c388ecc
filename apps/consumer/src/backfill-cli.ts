#!/usr/bin/env node
import { performance } from 'node:perf_hooks';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  ClickHouseStore,
  createClickHouseClient,
  pendingMatches,
  runMigrations,
} from '@pitchpulse/clickhouse';
import { parseClickHouseConfig } from './config';
import { backfillSeals } from './sealer';

/** Exit codes, as --help prints them. */
const EXIT = { done: 0, failed: 1, usage: 2, interrupted: 130 } as const;
const MAX_PAGE_SIZE = 10_000;

const HELP_AFTER = `
Seals every match that has no current seal, now, whether or not it is still getting events: the way to fill
the seals of a deployment that already held events before it was upgraded (migration 003 fills the markers,
match times and events_unique itself). Applies pending migrations first, as the consumer does at start.
Resumable: the seals are the progress, so running it again continues with what is still pending, and a run
after a complete one seals nothing. Safe beside running consumers (their sealers may seal the same matches:
each seal is complete, the latest wins). Once every match is sealed, stores the season's daily stats
(season_days) for GET /api/stats/daily. docs/retention.md#seals-in-operation

Environment: CLICKHOUSE_URL (required), CLICKHOUSE_DATABASE [pitchpulse], CLICKHOUSE_USER [default],
CLICKHOUSE_PASSWORD.

Exit codes: 0 done (nothing left that this run could seal), 1 a query failed (run again to continue),
2 bad options or environment, 130 interrupted (SIGINT/SIGTERM; run again to continue).`;

const count = (n: number) => n.toLocaleString('en-US');

function pageSize(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError(`a whole number 1–${MAX_PAGE_SIZE}`);
  }
  return n;
}

async function backfill(options: { pageSize: number; dryRun?: boolean }): Promise<number> {
  let config;
  try {
    config = parseClickHouseConfig();
  } catch (err) {
    console.error((err as Error).message);
    return EXIT.usage;
  }
  const interrupted = new AbortController();
  const interrupt = () => interrupted.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const client = createClickHouseClient(config);
  try {
    const where = new URL(config.url);
    where.username = '';
    where.password = '';
    console.log(`database ${config.database} at ${where.origin}`);
    const migrations = await runMigrations(client, { database: config.database });
    console.log(
      migrations.applied.length > 0
        ? `schema: applied ${migrations.applied.join(', ')}`
        : `schema: up to date (${migrations.alreadyApplied.length} migrations)`,
    );
    const store = new ClickHouseStore(client);
    const todo = await pendingMatches(client, await store.capabilities(), { quietMs: 0, limit: 100_000 });
    if (todo.length === 0) {
      console.log('nothing to seal: every match with events has a current seal');
      return EXIT.done;
    }
    console.log(
      `${count(todo.length)}${todo.length === 100_000 ? '+' : ''} match(es) without a current seal`,
    );
    if (options.dryRun) return EXIT.done;

    const started = performance.now();
    const result = await backfillSeals(store, {
      pageSize: options.pageSize,
      signal: interrupted.signal,
      onPage: (p) => {
        const events = p.sealed.reduce((n, s) => n + s.totalEvents, 0);
        console.log(
          `page ${p.page}: sealed ${count(p.sealed.length)} match(es), ${count(events)} events, ` +
            `in ${p.seconds.toFixed(1)} s (${count(p.totalSealed)} of ~${count(todo.length)})`,
        );
      },
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (interrupted.signal.aborted) {
      console.log(`interrupted after ${count(result.sealed)} seal(s): run again to continue`);
      return EXIT.interrupted;
    }
    console.log(
      `done: ${count(result.sealed)} seal(s), ${count(result.events)} events, ${result.pages} page(s), ${seconds} s`,
    );
    if (result.changed.length > 0) {
      console.log(
        `${count(result.changed.length)} match(es) got events after their seal (still live, e.g. ${result.changed[0]}):` +
          ' the consumers seal them once they are quiet, or run this again later',
      );
    }
    if (result.empty.length > 0) {
      console.log(
        `${count(result.empty.length)} match(es) have a marker but no raw rows, nothing to seal (e.g. ${result.empty[0]})`,
      );
    }
    if (result.seasonDays) {
      console.log(
        `stored the season's daily stats: ${count(result.seasonDays.days)} day(s) at stats version ${result.seasonDays.version}`,
      );
    }
    return EXIT.done;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await client.close();
  }
}

const program = new Command('pitchpulse-backfill')
  .description('Seal every match without a current seal (pnpm backfill).')
  .option('--page-size <n>', `matches sealed per page, 1–${MAX_PAGE_SIZE}`, pageSize, 100)
  .option('--dry-run', 'count the matches without a current seal; seal nothing')
  .addHelpText('after', HELP_AFTER)
  .exitOverride()
  .action(async (options: { pageSize: number; dryRun?: boolean }) => {
    process.exitCode = await backfill(options);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version end here with exit code 0; commander has printed the reason of anything else.
    process.exit(err.exitCode === 0 ? EXIT.done : EXIT.usage);
  }
  console.error(`pitchpulse-backfill: ${(err as Error).message}`);
  process.exit(EXIT.failed);
});
