import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import { Command, Option } from 'commander';
import { appendFileSync, writeFileSync } from 'node:fs';
import { ImportFileError } from '../importer/rows';
import { HttpTarget } from '../importer/http-target';
import { KafkaTarget } from '../importer/kafka-target';
import { importFile, type ImportTarget, type ImportResult, type RejectedRow } from '../importer/importer';
import { stateFileFor } from '../importer/checkpoint';
import { percent, perSecond } from '../stats/report';
import { progressBar } from './progress';
import { apiOptions, parseCommandLine, integer } from './options';

interface ImportFlags {
  url: string;
  apiKey?: string;
  format?: 'csv' | 'ndjson';
  batch: number;
  concurrency: number;
  fromLine?: number;
  restart: boolean;
  dryRun: boolean;
  maxAttempts: number;
  timeout: number;
  showErrors: number;
  rejects?: string;
  json: boolean;
  progress: boolean;
  kafka?: string | true;
  topic: string;
}

function command(): Command {
  const command = new Command('pnpm run import');
  for (const option of apiOptions('batch', 8)) command.addOption(option);
  return command
    .description(
      'Bulk-import historical match events (and retractions of events) from CSV or NDJSON through the batch API, validating every row.',
    )
    .argument(
      '<file>',
      'a .csv file (header = contract fields, metadata as a JSON column) or .ndjson (one event or retraction per line)',
    )
    .addOption(
      new Option('--format <format>', 'override the format the file name implies').choices(['csv', 'ndjson']),
    )
    .addOption(
      new Option('-b, --batch <size>', 'rows per request (the API takes at most 1000)')
        .default(1000)
        .argParser(integer(1, 1000)),
    )
    .addOption(
      new Option('-c, --concurrency <n>', 'batches in flight at once').default(4).argParser(integer(1, 64)),
    )
    .addOption(
      new Option('--from-line <n>', 'start at this line, ignoring the checkpoint').argParser(integer(1)),
    )
    .option('--restart', 'ignore the checkpoint and start from the first line', false)
    .option('--dry-run', 'validate and report only: send nothing, write no checkpoint', false)
    .addOption(
      new Option('--show-errors <n>', 'rejected rows printed in full (all are counted)')
        .default(50)
        .argParser(integer(0)),
    )
    .addOption(
      new Option('--rejects <file>', 'write every rejected row (line and errors) to this NDJSON file'),
    )
    .addOption(
      new Option(
        '--kafka [brokers]',
        'write straight to Kafka instead of the API (brokers host:port,…; default $KAFKA_BROKERS)',
      ),
    )
    .addOption(new Option('--topic <name>', 'topic for --kafka').default(DEFAULT_TOPICS.events))
    .option('--json', 'print the summary as JSON on stdout', false)
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      `
CSV columns are the contract's fields: eventId, matchId, eventType, timestamp, teamId (required), playerId and
metadata (optional; metadata is a JSON object in one quoted cell). Quoted cells may hold newlines and commas.
Rejected rows are reported with the line they start on and every field error; valid rows are sent in batches.

Retractions (an event taken back, e.g. a goal disallowed on review) may sit among the events: in NDJSON a line
{"kind": "retraction", "eventId": …, "matchId": …, "reason": …}; in CSV two more columns, kind and reason: a row
whose kind is "retraction" has eventId, matchId and reason, its other cells empty (a header with kind and reason
needs no eventType, timestamp or teamId column: a file of retractions only). A row without a kind (or kind "event")
is an event. Retractions are validated against their contract and sent through POST /api/retractions/batch (with
--kafka: as retraction messages on the events topic).

Resuming: <file>.import-state.json records the last line up to which every row was acknowledged (or rejected).
Running the same command again continues after it; rows re-sent after a crash are harmless because the API
deduplicates by eventId. --from-line N starts elsewhere; --restart starts over.

--kafka writes valid rows straight to the events topic in the API's message format (key = matchId, value =
event + receivedAt, or retraction + kind + receivedAt, acks=all), for bulk loads that should not go through HTTP;
rows are validated the same way.

(Plain "pnpm import" is pnpm's own lockfile command: say "pnpm run import".)

Exit status: 0 every row imported · 1 some rows were rejected, or the import stopped (re-run to resume) · 2 bad
command line or unreadable file.

Examples:
  pnpm run import matches-2023.csv --dry-run
  pnpm run import feed.ndjson --url http://127.0.0.1:8080 --batch 500`,
    );
}

function formatRejected(row: RejectedRow): string {
  const by = row.by === 'api' ? ' (refused by the API)' : '';
  return `line ${row.line}${by}: ${row.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`;
}

export function formatImportSummary(r: ImportResult, stateFile: string): string {
  const ofThem =
    r.retractions === 0
      ? ''
      : ` (${r.retractions.toLocaleString('en-US')} retraction${r.retractions === 1 ? '' : 's'})`;
  const lines = [
    `${r.dryRun ? 'Dry run' : 'Import'} of ${r.file} (${r.format}) from line ${r.startLine}: ` +
      `${r.rows.toLocaleString('en-US')} rows in ${(r.elapsedMs / 1000).toFixed(1)} s (${perSecond(r.rows, r.elapsedMs).toLocaleString('en-US')} rows/s)`,
    `  valid ${r.valid.toLocaleString('en-US')}${ofThem} · rejected in file ${r.rejectedInFile.toLocaleString('en-US')} (${percent(r.rejectedInFile, r.rows)} %)` +
      (r.dryRun
        ? ''
        : ` · imported ${r.imported.toLocaleString('en-US')} · refused by the API ${r.rejectedByApi.toLocaleString('en-US')}`),
  ];
  if (!r.dryRun) {
    lines.push(
      r.completed
        ? `  done: checkpoint at line ${r.checkpointLine} (${stateFile})`
        : `  STOPPED: ${r.stopped}\n  everything up to line ${r.checkpointLine} is done; run the same command again to resume from line ${r.checkpointLine + 1}`,
    );
  }
  return lines.join('\n');
}

/** Runs `pnpm run import`; resolves to the exit status. */
export async function importMain(
  argv: readonly string[],
  makeTarget?: (flags: ImportFlags) => ImportTarget,
): Promise<number> {
  const program = command();
  const usage = parseCommandLine(program, argv);
  if (usage !== undefined) return usage;
  const flags = program.opts<ImportFlags>();
  const [file] = program.args as [string];
  const out = (text: string): void => {
    (flags.json ? process.stderr : process.stdout).write(`${text}\n`);
  };
  let brokers: string[] | undefined;
  if (flags.kafka !== undefined) {
    const list = flags.kafka === true ? process.env.KAFKA_BROKERS : flags.kafka;
    brokers = list
      ?.split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (!brokers || brokers.length === 0) {
      process.stderr.write('import: --kafka needs brokers: --kafka host:port[,host:port] or KAFKA_BROKERS\n');
      return 2;
    }
  }
  if (flags.rejects) writeFileSync(flags.rejects, '');

  const target = flags.dryRun
    ? undefined
    : (makeTarget?.(flags) ??
      (brokers
        ? new KafkaTarget({
            brokers,
            topic: flags.topic,
            timeoutMs: flags.timeout,
            retry: { maxAttempts: flags.maxAttempts, baseDelayMs: 200, maxDelayMs: 15_000 },
          })
        : undefined) ??
      new HttpTarget({
        url: flags.url,
        apiKey: flags.apiKey,
        connections: flags.concurrency,
        timeoutMs: flags.timeout,
        retry: { maxAttempts: flags.maxAttempts, baseDelayMs: 200, maxDelayMs: 15_000 },
      }));
  const bar = progressBar(
    '{bar} {percentage}% | {rows} rows | {imported} imported | {rejected} rejected | {duration_formatted}',
    flags.progress,
  );
  // Printed after the bar is gone (writing under a live bar garbles both); bounded by --show-errors.
  const shown: string[] = [];
  let hidden = 0;
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing batches in flight (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: ImportResult;
  try {
    result = await importFile({
      signal: controller.signal,
      file,
      format: flags.format,
      batch: flags.batch,
      concurrency: flags.concurrency,
      fromLine: flags.fromLine,
      restart: flags.restart,
      dryRun: flags.dryRun,
      target,
      onRejected: (row) => {
        if (flags.rejects) appendFileSync(flags.rejects, `${JSON.stringify(row)}\n`);
        if (shown.length < flags.showErrors) shown.push(formatRejected(row));
        else hidden++;
      },
      onProgress: (p) =>
        bar.update(p.bytesRead, Math.max(1, p.totalBytes), {
          rows: p.rows,
          imported: p.imported,
          rejected: p.rejected,
        }),
    });
  } catch (err) {
    bar.stop();
    if (err instanceof ImportFileError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`import: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    bar.stop();
    await target?.close();
  }
  if (shown.length > 0) process.stderr.write(`Rejected rows:\n${shown.map((l) => `  ${l}`).join('\n')}\n`);
  if (hidden > 0)
    process.stderr.write(
      `… and ${hidden} more rejected rows${flags.rejects ? ` (all in ${flags.rejects})` : ' (--rejects FILE lists them all)'}\n`,
    );
  const stateFile = stateFileFor(result.file);
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, stateFile }, null, 2)}\n`);
  else out(formatImportSummary(result, stateFile));
  if (!result.dryRun && !result.completed) return 1;
  return result.rejectedInFile + result.rejectedByApi > 0 ? 1 : 0;
}
