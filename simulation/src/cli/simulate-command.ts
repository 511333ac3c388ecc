import { Command, Option } from 'commander';
import { IngestClient } from '../http/ingest-client';
import { exportPlan } from '../run/export';
import { planRun } from '../run/plan';
import { runSimulation } from '../run/simulator';
import { formatSimulationReport } from '../stats/report';
import { formatVerifyTable, verifyAgainstApi, type VerifyResult } from '../verify/verify';
import { progressBar } from './progress';
import { apiOptions, parseCommandLine, integer, isoDate, positiveNumber, shareUpTo } from './options';

interface SimulateFlags {
  url: string;
  matches: number;
  duration?: number;
  rate?: number;
  batch?: number;
  concurrency: number;
  apiKey?: string;
  seed?: number;
  kickoff?: Date;
  invalidShare: number;
  duplicateShare: number;
  retractShare: number;
  maxAttempts: number;
  timeout: number;
  verify: boolean;
  verifyTimeout: number;
  json: boolean;
  progress: boolean;
  export?: string;
}

function command(): Command {
  const command = new Command('pnpm simulate');
  for (const option of apiOptions('request', 5)) command.addOption(option);
  return command
    .description(
      'Load-test PitchPulse with realistic football matches and, with --verify, check that every accepted event was counted.',
    )
    .addOption(
      new Option('-m, --matches <n>', 'matches played at the same time')
        .default(10)
        .argParser(integer(1, 100_000)),
    )
    .addOption(
      new Option(
        '-d, --duration <seconds>',
        'wall time one match takes (a 90-minute match compressed); default: as fast as possible',
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '-r, --rate <events-per-second>',
        'cap on events sent per second over the whole run',
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '-b, --batch <size>',
        'send through POST /api/events/batch with up to <size> events (default: one POST per event)',
      ).argParser(integer(1, 1000)),
    )
    .addOption(
      new Option('-c, --concurrency <n>', 'requests in flight at once (one socket each)')
        .default(16)
        .argParser(integer(1, 1024)),
    )
    .addOption(
      new Option(
        '--seed <n>',
        'seed of the match model: same seed, same matches and eventIds (default: random)',
      ).argParser(integer(0, 2 ** 31 - 1)),
    )
    .addOption(
      new Option(
        '--kickoff <iso>',
        'kick-off time of every match (event timestamps = kick-off + match time); default: now',
      ).argParser(isoDate),
    )
    .addOption(
      new Option(
        '--invalid-share <share>',
        'extra, deliberately broken events (expected 400s, never counted)',
      )
        .default(0)
        .argParser(shareUpTo(0.5)),
    )
    .addOption(
      new Option('--duplicate-share <share>', 'accepted events sent a second time (must be counted once)')
        .default(0)
        .argParser(shareUpTo(0.5)),
    )
    .addOption(
      new Option(
        '--retract-share <share>',
        'goals disallowed on review: each is retracted (POST /api/retractions) about a minute of play later',
      )
        .default(0)
        .argParser(shareUpTo(1)),
    )
    .option(
      '--verify',
      "after the run, wait for the pipeline and compare every match's metrics with the ground truth",
      false,
    )
    .addOption(
      new Option('--verify-timeout <seconds>', 'how long --verify waits for the counts to settle')
        .default(30)
        .argParser(positiveNumber),
    )
    .option(
      '--export <file>',
      'write the events to a .csv or .ndjson file (for pnpm run import) instead of sending them',
    )
    .option('--json', 'print the report (and verification) as JSON on stdout', false)
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      `
Counting rules: an event is in the ground truth only once the API acknowledged it with 202; re-sent duplicates
count once. An event whose request failed ambiguously (503 after the last retry, timeout, broken connection) is
"unknown": --verify then accepts any count between accepted and accepted + unknown, and exact figures otherwise.

Retractions: with --retract-share S each goal is disallowed with probability S; about a minute of play after it
the simulator retracts it (reason "VAR review: goal disallowed"; /api/retractions/batch with --batch). A goal whose
retraction was acknowledged counts nowhere: --verify expects every figure without it, its highlight RETRACTED, and
GET /api/matches/{id}/retractions to list it with found: true. A retraction that failed ambiguously leaves its goal
"unknown". With --export the retractions are written as records the import reads ("kind": "retraction").

Exit status: 0 all good · 1 verification failed, the API refused valid events or retractions or accepted broken
ones, or the run was aborted (e.g. 401/403: pass --api-key) · 2 bad command line.

Examples:
  pnpm simulate --matches 20 --duration 60 --verify
  pnpm simulate --matches 200 --batch 500 --concurrency 8            # as fast as possible, batch endpoint
  pnpm simulate --matches 50 --rate 2000 --invalid-share 0.01 --duplicate-share 0.02 --json > run.json
  pnpm simulate --matches 20 --duration 60 --retract-share 0.2 --verify       # a fifth of the goals disallowed`,
    );
}

/** Runs `pnpm simulate`; resolves to the exit status. */
export async function simulateMain(argv: readonly string[]): Promise<number> {
  const program = command();
  const usage = parseCommandLine(program, argv);
  if (usage !== undefined) return usage;
  const flags = program.opts<SimulateFlags>();
  const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
  const kickoff = flags.kickoff ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const log = (text: string): void => {
    (flags.json ? process.stderr : process.stdout).write(`${text}\n`);
  };

  if (flags.export) {
    const plan = planRun({
      seed,
      matches: flags.matches,
      kickoff,
      invalidShare: flags.invalidShare,
      duplicateShare: 0,
      retractShare: flags.retractShare,
    });
    const written = await exportPlan(plan, flags.export);
    const retractions = plan.retractions > 0 ? ` (${plan.retractions} of them retractions)` : '';
    log(
      `wrote ${written} records${retractions} of ${flags.matches} matches (seed ${seed}) to ${flags.export}`,
    );
    return 0;
  }
  log(
    `Simulating ${flags.matches} matches against ${flags.url} (seed ${seed}, kickoff ${kickoff.toISOString()}; ` +
      `replay with --seed ${seed} --kickoff ${kickoff.toISOString()})`,
  );
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing requests in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  const bar = progressBar(
    '{bar} {percentage}% | {value}/{total} events | {rps} req/s | errors {errors} | p99 {p99} ms | {duration_formatted}',
    flags.progress,
  );
  const result = await runSimulation({
    url: flags.url,
    matches: flags.matches,
    durationSeconds: flags.duration,
    rate: flags.rate,
    batch: flags.batch,
    concurrency: flags.concurrency,
    apiKey: flags.apiKey,
    seed,
    kickoff,
    invalidShare: flags.invalidShare,
    duplicateShare: flags.duplicateShare,
    retractShare: flags.retractShare,
    retry: { maxAttempts: flags.maxAttempts, baseDelayMs: 100, maxDelayMs: 10_000 },
    timeoutMs: flags.timeout,
    signal: controller.signal,
    onProgress: (p) =>
      bar.update(p.done, p.total, { rps: p.requestsPerSecond, errors: p.errors, p99: p.p99 }),
  });
  bar.stop();
  process.off('SIGINT', onSigint);
  const { report } = result;
  if (!flags.json) log(`\n${formatSimulationReport(report)}`);

  let verification: VerifyResult | undefined;
  if (flags.verify && report.run.aborted === null) {
    log(
      `\nVerifying ${result.truth.matchIds().length} matches (waiting up to ${flags.verifyTimeout} s for the pipeline)…`,
    );
    const client = new IngestClient({
      url: flags.url,
      apiKey: flags.apiKey,
      connections: 8,
      timeoutMs: flags.timeout,
    });
    try {
      verification = await verifyAgainstApi(client, result.truth, {
        timeoutMs: flags.verifyTimeout * 1000,
        stableMs: Math.min(12_000, flags.verifyTimeout * 1000),
        pollMs: 1000,
      });
    } finally {
      await client.close();
    }
    if (!flags.json) log(formatVerifyTable(verification));
  }

  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          report,
          verification: verification && {
            pass: verification.pass,
            waitedMs: verification.waitedMs,
            matches: verification.matches.map((m) => ({
              matchId: m.matchId,
              pass: m.pass,
              problems: m.problems,
              expectedTotal: m.expected.exact.totalEvents,
              unknown: m.expected.unknown,
              actualTotal: m.actualTotal,
            })),
          },
        },
        null,
        2,
      )}\n`,
    );
  }

  const e = report.events;
  const unexpected =
    e.rejectedUnexpectedly + e.acceptedUnexpectedly + report.retractions.rejectedUnexpectedly;
  if (report.run.aborted !== null || unexpected > 0 || (verification && !verification.pass)) return 1;
  return 0;
}
