import { Command, Option } from 'commander';
import { FEED_RULES, type FeedRule } from '@pitchpulse/contract';
import { IngestClient } from '../http/ingest-client';
import { isLoopbackUrl } from '../http/sources';
import {
  InjectionError,
  SOURCE_VELOCITY_MIN_DURATION_S,
  injectedMatchCount,
  needsSeparateSource,
} from '../run/anomalies';
import { exportPlan } from '../run/export';
import { planRun, type RunPlan } from '../run/plan';
import { runSimulation } from '../run/simulator';
import { formatSimulationReport } from '../stats/report';
import { formatVerifyTable, verifyAgainstApi, type VerifyResult } from '../verify/verify';
import { progressBar } from './progress';
import { apiOptions, parseCommandLine, integer, isoDate, listOf, positiveNumber, shareUpTo } from './options';

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
  injectAnomalies?: FeedRule[];
  anomalyShare: number;
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
        'kick-off time of every match (event timestamps = kick-off + match time); default: as early as needed for ' +
          'no event to be stamped after it is sent (about now − the longest match + --duration)',
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
    .addOption(
      new Option(
        '--inject-anomalies <kinds>',
        `feed-integrity anomalies for --verify to find flagged: a comma-separated list of ${FEED_RULES.join(', ')}, or all`,
      ).argParser(listOf(FEED_RULES)),
    )
    .addOption(
      new Option('--anomaly-share <share>', 'share of the matches that get an injected anomaly (one each)')
        .default(0.2)
        .argParser(shareUpTo(1, { aboveZero: true })),
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

Timestamps: without --kickoff the matches kick off as early as needed for no event to be stamped after the
simulator sends it (now − the longest match + --duration), as a live feed stamps them; the API flags events
stamped far ahead of their receipt (clock-skew). Replaying with the printed --seed and --kickoff sends the same
events with the same timestamps (the pipeline deduplicates them).

Anomalies: with --inject-anomalies KIND[,KIND] (or all) round(S × matches) matches (--anomaly-share S, default 0.2;
at least one per kind) each get one anomaly, drawn from the seed, that a feed-integrity rule must flag:
  match-velocity     250 extra passes of one team in one minute of event time
  goal-burst         4 extra goals within 60 s, where the match has no other goal within 3 minutes
  clock-skew         one extra foul stamped 2 h after it is sent
  player-both-teams  one extra pass of team 2 by a team-1 player
  duplicate-storm    300 of the match's events sent again from a separate source once they were accepted
  source-velocity    a separate source sends every 10th event of the first half on time, then the rest of the
                     match at once halfway through it (needs --duration 40 or more: 20 s of history first)
The extra events are valid and counted like any other. A separate source is a separate client address (127.0.0.2,
127.0.0.3, …: the API must run on this machine); --rate paces the regular source only. --verify then reads
GET /api/matches/{id}/anomalies: each injected match must be flagged with its kind and nothing else, every other
match with nothing, and flaggedEvents in the metrics must be above 0 exactly for the injected ones. Without
--inject-anomalies --verify still expects nothing flagged (no false positives: pace a large run with --duration;
a new source sending > 20,000 events in 10 s is a burst, and so is one that resumes within 70 s of its last
event at > 10 × its rate of the minute before: leave a run's address quiet for 70 s before the next run).

Exit status: 0 all good · 1 verification failed, the API refused valid events or retractions or accepted broken
ones, or the run was aborted (e.g. 401/403: pass --api-key) · 2 bad command line.

Examples:
  pnpm simulate --matches 20 --duration 60 --verify
  pnpm simulate --matches 200 --batch 500 --concurrency 8            # as fast as possible, batch endpoint
  pnpm simulate --matches 50 --rate 2000 --invalid-share 0.01 --duplicate-share 0.02 --json > run.json
  pnpm simulate --matches 20 --duration 60 --retract-share 0.2 --verify       # a fifth of the goals disallowed
  pnpm simulate --matches 30 --duration 60 --inject-anomalies all --verify    # each rule must flag its matches`,
    );
}

/** What is wrong with the anomaly options of this command line, if anything (exit status 2). */
function anomalyMisuse(program: Command, flags: SimulateFlags): string | undefined {
  const kinds = flags.injectAnomalies;
  if (!kinds) {
    return program.getOptionValueSource('anomalyShare') === 'default'
      ? undefined
      : '--anomaly-share needs --inject-anomalies';
  }
  if (flags.export) {
    return '--inject-anomalies needs a live run: its anomalies depend on when and from which address events are sent (leave out --export)';
  }
  try {
    injectedMatchCount(flags.matches, { kinds, share: flags.anomalyShare });
  } catch (err) {
    if (err instanceof InjectionError) return err.message;
    throw err;
  }
  const min = SOURCE_VELOCITY_MIN_DURATION_S;
  if (kinds.includes('source-velocity') && !(flags.duration !== undefined && flags.duration >= min)) {
    return `--inject-anomalies source-velocity needs --duration ${min} or more: its source must send for 20 s before its burst (the API takes a younger source for a new one)`;
  }
  const separate = kinds.filter(needsSeparateSource);
  if (separate.length > 0 && !isLoopbackUrl(flags.url)) {
    return (
      `--inject-anomalies ${separate.join(',')} needs the API on this machine: a separate source is a separate ` +
      `client address (127.0.0.2, …), and ${new URL(flags.url).hostname} is not a loopback address`
    );
  }
  return undefined;
}

/** The run's plan: the kick-off asked for or the honest one, sending from now. */
function planFor(flags: SimulateFlags, seed: number): RunPlan {
  return planRun({
    seed,
    matches: flags.matches,
    kickoff: flags.kickoff,
    startAt: new Date(),
    // An export is imported as fast as the import goes.
    durationMs: flags.duration !== undefined && !flags.export ? flags.duration * 1000 : undefined,
    invalidShare: flags.invalidShare,
    duplicateShare: flags.export ? 0 : flags.duplicateShare,
    retractShare: flags.retractShare,
    anomalies: flags.injectAnomalies && { kinds: flags.injectAnomalies, share: flags.anomalyShare },
  });
}

/** The opening line: what runs, and how to replay it. */
function announce(flags: SimulateFlags, seed: number, kickoff: Date): string {
  const at = kickoff.toISOString();
  const honest = flags.kickoff ? '' : ': no event stamped after it is sent';
  return (
    `Simulating ${flags.matches} matches against ${flags.url} (seed ${seed}, kickoff ${at}${honest}; ` +
    `replay the same events and timestamps with --seed ${seed} --kickoff ${at})`
  );
}

/** Runs `pnpm simulate`; resolves to the exit status. */
export async function simulateMain(argv: readonly string[]): Promise<number> {
  const program = command();
  const usage = parseCommandLine(program, argv);
  if (usage !== undefined) return usage;
  const flags = program.opts<SimulateFlags>();
  const misuse = anomalyMisuse(program, flags);
  if (misuse !== undefined) {
    process.stderr.write(`error: ${misuse}\n`);
    return 2;
  }
  const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
  const log = (text: string): void => {
    (flags.json ? process.stderr : process.stdout).write(`${text}\n`);
  };

  const planned = planFor(flags, seed);
  if (flags.export) {
    const written = await exportPlan(planned, flags.export);
    const retractions = planned.retractions > 0 ? ` (${planned.retractions} of them retractions)` : '';
    log(
      `wrote ${written} records${retractions} of ${flags.matches} matches (seed ${seed}) to ${flags.export}`,
    );
    return 0;
  }
  log(announce(flags, seed, planned.kickoff));
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
    invalidShare: flags.invalidShare,
    duplicateShare: flags.duplicateShare,
    retractShare: flags.retractShare,
    plan: planned,
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
              anomalies: m.anomalies,
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
