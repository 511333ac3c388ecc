#!/usr/bin/env node
/**
 * pnpm bench:consume — how fast the consumer moves events from Kafka into ClickHouse, beside the fastest
 * plain path: @clickhouse/client JSONEachRow inserts of the same rows, in the same run, same batch size.
 *
 *   pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3]
 *
 * The topic is preloaded once; each round runs a fresh consumer group into a fresh database, then the direct
 * insert into another; the summary prints the medians (this machine's speed drifts between runs).
 *   BENCH_NODE_FLAGS: more node flags for the consumer process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
 *
 * Uses KAFKA_BROKERS / CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import {
  EVENT_COLUMNS,
  createClickHouseClient,
  identifier,
  render,
  runMigrations,
  selectRows,
  sql,
  toEventRow,
} from '@pitchpulse/clickhouse';
import {
  SERVICE_NODE_FLAGS,
  StackControl,
  freePort,
  startStack,
  stopStack,
  waitFor,
} from '@pitchpulse/devstack';
import { encodeEventMessage, type StoredEvent } from '@pitchpulse/events';
import { loadConfig } from '../config';
import { makeEvents } from '../testing';

const USAGE = `pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3]
  preloads --events events, then per round: the consumer process (FLUSH_MAX_EVENTS = --batch) from group join
  until all are stored, and a direct JSONEachRow insert of the same rows in batches of --batch; prints medians.`;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});

async function countRows(
  client: ReturnType<typeof createClickHouseClient>,
  database: string,
): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    client,
    { nativeParams: false },
    sql`SELECT toUInt64(count()) AS n FROM ${identifier(database, 'events')}`,
  );
  return Number(row?.n ?? 0);
}

/**
 * Waits until ClickHouse has no merge running: the consumer's inserts leave parts that ClickHouse merges in the
 * background for a few seconds, and the direct insert measured after them must not share the CPU with that.
 */
async function mergesSettled(client: ReturnType<typeof createClickHouseClient>): Promise<void> {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const [row] = await selectRows<{ n: number }>(
      client,
      { nativeParams: false },
      sql`SELECT toUInt64(count()) AS n FROM system.merges`,
    );
    if (Number(row?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const [total, batch, rounds] = [args.events, args.batch, args.rounds].map(Number) as [
    number,
    number,
    number,
  ];
  if (![total, batch, rounds].every((n) => Number.isSafeInteger(n) && n > 0)) {
    console.error(`--events, --batch and --rounds take positive whole numbers\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  let tmp: string | undefined;
  if (!process.env.KAFKA_BROKERS || !process.env.CLICKHOUSE_URL) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-bench-'));
    const state = await startStack({
      stateFile: path.join(tmp, 'stack.json'),
      dataDir: path.join(tmp, 'ch'),
      tiedToParent: true,
    });
    Object.assign(process.env, {
      KAFKA_BROKERS: state.kafkaBrokers,
      CLICKHOUSE_URL: state.clickhouseUrl,
      PITCHPULSE_STACK_CONTROL: state.controlUrl,
    });
  }
  const run = Date.now().toString(36);
  const topic = `bench-events-${run}`;
  const control = process.env.PITCHPULSE_STACK_CONTROL ? StackControl.fromEnv() : undefined;
  // librdkafka's mock broker keeps at most 5 MiB per partition (older messages are dropped): spread the preload
  // so each partition stays well under that (~330 bytes an event).
  const partitions = Math.max(6, Math.ceil((total * 330) / (3 * 1024 * 1024)));
  await control?.createTopic(topic, partitions);
  await control?.createTopic(`${topic}.retry`, 1);
  await control?.createTopic(`${topic}.dlq`, 1);

  console.log(`preloading ${total.toLocaleString()} events into ${topic} (${partitions} partitions)…`);
  const events = makeEvents(total, 'bench');
  events.forEach((e, i) => (e.matchId = `bench-${i % 200}`));
  const receivedAt = Date.now();
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: process.env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < total; i += 5000) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + 5000).map((e) => encodeEventMessage(e, receivedAt)),
    });
  }
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const kept = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (kept !== total) {
    throw new Error(`the broker kept ${kept} of ${total} preloaded events (retention): use more partitions`);
  }

  const receivedRows = events.map((e) => ({ ...e, receivedAt }) as StoredEvent);
  const results: Array<{ consumer: ConsumerRun; directRate: number }> = [];
  for (let round = 1; round <= rounds; round++) {
    const consumer = await consumerRound({ topic, total, batch, id: `${run}_${round}` });
    const directRate = await directRound(receivedRows, batch, `${run}_${round}`);
    results.push({ consumer, directRate });
    console.log(
      `round ${round}: consumer ${fmt(consumer.rate)} events/s (join ${consumer.startupSeconds.toFixed(1)} s), ` +
        `direct ${fmt(directRate)} events/s, ratio ${(consumer.rate / directRate).toFixed(2)}`,
    );
  }
  const consumerRate = median(results.map((r) => r.consumer.rate));
  const directRate = median(results.map((r) => r.directRate));
  const ratio = median(results.map((r) => r.consumer.rate / r.directRate));
  console.log(`
events                      ${total.toLocaleString()} per round, batch ${batch}, medians of ${rounds} round(s)
consumer Kafka→ClickHouse   ${fmt(consumerRate)} events/s   (from group join; start-up not counted)
direct JSONEachRow insert   ${fmt(directRate)} events/s
ratio consumer ÷ direct     ${ratio.toFixed(2)}   (target ≥ 0.5; consumer target ≥ 50,000 events/s)`);
  if (tmp) {
    await stopStack(path.join(tmp, 'stack.json'));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

interface ConsumerRun {
  rate: number;
  startupSeconds: number;
}

/** The real consumer process, in its own group and database, from start until every event is stored. */
async function consumerRound(round: {
  topic: string;
  total: number;
  batch: number;
  id: string;
}): Promise<ConsumerRun> {
  const { topic, total, batch, id } = round;
  const consumerDb = `bench_consumer_${id}`;
  const consumerClient = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database: consumerDb });
  const metricsPort = await freePort();
  const env = {
    ...process.env,
    CLICKHOUSE_DATABASE: consumerDb,
    KAFKA_TOPIC_EVENTS: topic,
    KAFKA_TOPIC_RETRY: `${topic}.retry`,
    KAFKA_TOPIC_DLQ: `${topic}.dlq`,
    CONSUMER_GROUP: `bench-${id}`,
    RETRY_ENABLED: 'false',
    FLUSH_MAX_EVENTS: String(batch),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  loadConfig(env); // refuses a bad setting here rather than in the child
  await runMigrations(consumerClient, { database: consumerDb });
  await mergesSettled(consumerClient);
  const launched = Date.now();
  // The real process, started the way the runner and the image start it.
  const extraFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof
  const consumer = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, ...extraFlags, path.join(__dirname, '..', 'main.js')],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise((resolve) => consumer.once('exit', resolve));
  // Joining a consumer group costs a fixed few seconds (the broker's initial rebalance delay): time the
  // throughput from the moment the consumer is ready, and report start-up on its own.
  const readyUrl = `http://127.0.0.1:${metricsPort}/ready`;
  await waitFor(
    'the consumer to be ready',
    async () => {
      if (consumer.exitCode !== null) throw new Error(`the consumer exited (${consumer.exitCode})`);
      return fetch(readyUrl).then(
        (r) => r.ok,
        () => false,
      );
    },
    120_000,
    50,
  );
  const started = Date.now();
  let stored = 0;
  while (stored < total) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await countRows(consumerClient, consumerDb);
  }
  const seconds = (Date.now() - started) / 1000;
  consumer.kill('SIGTERM');
  await exited;
  await consumerClient.close();
  return { rate: total / seconds, startupSeconds: (started - launched) / 1000 };
}

/**
 * The plain path the issue names: @clickhouse/client JSONEachRow inserts of the same rows (built before the
 * clock starts), same batch size, into a fresh database.
 */
async function directRound(events: StoredEvent[], batch: number, id: string): Promise<number> {
  const directDb = `bench_direct_${id}`;
  const direct = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database: directDb });
  await runMigrations(direct, { database: directDb });
  const insertedAt = new Date();
  const rows = events.map((e) => toEventRow(e, insertedAt));
  const table = render(sql`${identifier(directDb, 'events')}`, { nativeParams: false }).query;
  await mergesSettled(direct);
  const started = Date.now();
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows.slice(i, i + batch);
    await direct.insert({ table, values, format: 'JSONEachRow', columns: [...EVENT_COLUMNS] });
  }
  const seconds = (Date.now() - started) / 1000;
  if ((await countRows(direct, directDb)) !== events.length) throw new Error('direct insert lost rows');
  await direct.close();
  return events.length / seconds;
}

const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;

main().catch((err: Error) => {
  console.error(`bench:consume failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
