#!/usr/bin/env node
/**
 * pnpm bench:consume — how fast the consumer moves events from Kafka into ClickHouse, beside the fastest
 * plain path: @clickhouse/client JSONEachRow inserts of the same rows, in the same run, same batch size.
 *
 *   pnpm bench:consume [--events 500000] [--batch 1000]
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
import { StackControl, freePort, startStack, stopStack } from '@pitchpulse/devstack';
import { encodeEventMessage, type StoredEvent } from '@pitchpulse/events';
import { loadConfig } from '../config';
import { makeEvents } from '../testing';

/**
 * Node flags the consumer runs with (also in infra/docker/Dockerfile and apps/runner): a 64 MiB young
 * generation, because the consumer makes short-lived objects per event and V8's default (16 MiB) collects them
 * too often (measured: +16 % events/s).
 */
const CONSUMER_NODE_FLAGS = ['--max-semi-space-size=64'];

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '1000' },
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
    console.log('pnpm bench:consume [--events 500000] [--batch 1000]');
    return;
  }
  const total = Number(args.events);
  const batch = Number(args.batch);
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

  const consumerDb = `bench_consumer_${run}`;
  const consumerClient = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database: consumerDb });
  const metricsPort = await freePort();
  const env = {
    ...process.env,
    CLICKHOUSE_DATABASE: consumerDb,
    KAFKA_TOPIC_EVENTS: topic,
    KAFKA_TOPIC_RETRY: `${topic}.retry`,
    KAFKA_TOPIC_DLQ: `${topic}.dlq`,
    CONSUMER_GROUP: `bench-${run}`,
    RETRY_ENABLED: 'false',
    FLUSH_MAX_EVENTS: String(batch),
    METRICS_PORT: String(metricsPort),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const config = loadConfig(env); // refuses a bad setting here rather than in the child
  await runMigrations(consumerClient, { database: consumerDb });
  console.log(`consumer process: batches of ${batch}, flush interval ${config.flush.intervalMs} ms`);
  await mergesSettled(consumerClient);
  const launched = Date.now();
  // The real process, started the way the runner and the image start it.
  const extraFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof
  const consumer = spawn(
    process.execPath,
    [...CONSUMER_NODE_FLAGS, ...extraFlags, path.join(__dirname, '..', 'main.js')],
    {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => consumer.once('exit', resolve));
  // Joining a consumer group costs a fixed few seconds (the broker's initial rebalance delay): time the
  // throughput from the moment the consumer is ready, and report start-up on its own line.
  const readyUrl = `http://127.0.0.1:${metricsPort}/ready`;
  while (
    !(await fetch(readyUrl).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (consumer.exitCode !== null) throw new Error(`the consumer exited (${consumer.exitCode})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const started = Date.now();
  let stored = 0;
  while (stored < total) {
    await new Promise((r) => setTimeout(r, 100));
    stored = await countRows(consumerClient, consumerDb);
  }
  const consumerSeconds = (Date.now() - started) / 1000;
  const startupSeconds = (started - launched) / 1000;
  consumer.kill('SIGTERM');
  await exited;

  const directDb = `bench_direct_${run}`;
  const direct = createClickHouseClient({ url: process.env.CLICKHOUSE_URL!, database: directDb });
  await runMigrations(direct, { database: directDb });
  const rows = events.map((e) => toEventRow({ ...e, receivedAt } as StoredEvent, new Date()));
  await mergesSettled(direct);
  const directStarted = Date.now();
  const table = render(sql`${identifier(directDb, 'events')}`, { nativeParams: false }).query;
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows.slice(i, i + batch);
    await direct.insert({ table, values, format: 'JSONEachRow', columns: [...EVENT_COLUMNS] });
  }
  const directSeconds = (Date.now() - directStarted) / 1000;
  if ((await countRows(direct, directDb)) !== total) throw new Error('direct insert lost rows');

  const consumerRate = total / consumerSeconds;
  const directRate = total / directSeconds;
  console.log(`
events                      ${total.toLocaleString()} (batch ${batch})
consumer start-up + join    ${startupSeconds.toFixed(2)} s (not counted below)
consumer Kafka→ClickHouse   ${consumerSeconds.toFixed(2)} s   ${Math.round(consumerRate).toLocaleString()} events/s
direct JSONEachRow insert   ${directSeconds.toFixed(2)} s   ${Math.round(directRate).toLocaleString()} events/s
ratio consumer ÷ direct     ${(consumerRate / directRate).toFixed(2)}   (target ≥ 0.5; consumer target ≥ 50,000 events/s)`);
  await Promise.all([consumerClient.close(), direct.close()]);
  if (tmp) {
    await stopStack(path.join(tmp, 'stack.json'));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:consume failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
