#!/usr/bin/env node
import { Command } from 'commander';
import { Partitioners } from 'kafkajs';
import { DEFAULT_TOPICS } from '@pitchpulse/contract';
import { createKafka } from '@pitchpulse/kafka';
import { parsePatches, prepareReplay, readDeadLetters, selectLetters, type DeadLetter } from './dlq';

const brokers = (): string[] => {
  const list = process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (!list?.length) throw new Error('KAFKA_BROKERS is not set (e.g. the value `pnpm stack status` prints)');
  return list;
};

function summary(letter: DeadLetter): string {
  let event = '';
  try {
    const v = JSON.parse(letter.value ?? '') as Record<string, unknown>;
    const what = v.kind === 'retraction' ? 'retraction of' : String(v.eventType ?? '?');
    event = `${String(v.matchId ?? '?')} ${what} ${String(v.eventId ?? '?')}`;
  } catch {
    event = `(undecodable: ${(letter.value ?? '').slice(0, 40)})`;
  }
  const f = letter.failure;
  const failure = f
    ? `${f.kind} after ${f.attempt} attempt(s), first ${new Date(f.firstFailureAt).toISOString()}, from ${f.originalTopic}/${f.originalPartition}@${f.originalOffset}: ${f.lastError}`
    : 'no failure headers';
  const request = letter.requestId ? `  (request ${letter.requestId})` : '';
  return `${letter.partition}:${letter.offset}  ${event}${request}\n    ${failure}`;
}

const program = new Command('pitchpulse-dlq')
  .description('Inspect and replay the dead-letter topic. Reads KAFKA_BROKERS.')
  .option('--topic <name>', 'dead-letter topic', process.env.KAFKA_TOPIC_DLQ ?? DEFAULT_TOPICS.dlq)
  .option('--to <name>', 'topic to replay into', process.env.KAFKA_TOPIC_EVENTS ?? DEFAULT_TOPICS.events);

program
  .command('list')
  .description('list every dead letter with its error')
  .option('--json', 'one JSON object per line')
  .action(async (opts: { json?: boolean }) => {
    const kafka = createKafka({ brokers: brokers(), clientId: 'pitchpulse-dlq' });
    const letters = await readDeadLetters(kafka, program.opts<{ topic: string }>().topic);
    for (const l of letters) console.log(opts.json ? JSON.stringify(l) : summary(l));
    if (!opts.json) console.log(`${letters.length} dead letter(s)`);
  });

program
  .command('replay')
  .description('send dead letters back to match-events (idempotent: eventIds dedupe)')
  .option('--all', 'replay every dead letter')
  .option('--ids <list>', 'comma-separated partition:offset ids (as `list` prints them)')
  .option('--set <field=value...>', 'fix a field before replaying, e.g. --set teamId=1')
  .option('--dry-run', 'show what would be replayed without sending')
  .action(async (opts: { all?: boolean; ids?: string; set?: string[]; dryRun?: boolean }) => {
    if (!opts.all === !opts.ids) throw new Error('give exactly one of --all or --ids');
    const { topic, to } = program.opts<{ topic: string; to: string }>();
    const kafka = createKafka({ brokers: brokers(), clientId: 'pitchpulse-dlq' });
    const patch = parsePatches(opts.set ?? []);
    const chosen = selectLetters(await readDeadLetters(kafka, topic), opts.ids?.split(','));
    const verdicts = chosen.map((letter) => prepareReplay(letter, patch));
    for (const v of verdicts) {
      const id = `${v.letter.partition}:${v.letter.offset}`;
      console.log(
        v.ok ? `${opts.dryRun ? 'would replay' : 'replay'} ${id} → ${to}` : `skip ${id}: ${v.error}`,
      );
    }
    const good = verdicts.flatMap((v) => (v.ok ? [v.message] : []));
    if (!opts.dryRun && good.length > 0) {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic: to, acks: -1, messages: good });
      await producer.disconnect();
    }
    console.log(
      `${opts.dryRun ? 'would replay' : 'replayed'} ${good.length}, skipped ${verdicts.length - good.length}`,
    );
    if (good.length < verdicts.length) process.exitCode = 1;
  });

program.parseAsync().catch((err: Error) => {
  console.error(`pitchpulse-dlq: ${err.message}`);
  process.exit(1);
});
