#!/usr/bin/env node
/**
 * pnpm bench:consume — how fast the consumer moves events from Kafka into ClickHouse, beside the fastest
 * plain path: @clickhouse/client JSONEachRow inserts of the same rows, in the same run, same batch size.
 *
 *   pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3] [--timeout <s>]
 *
 * The topic is preloaded once; each round runs the real consumer (apps/consumer/dist/main.js, a child process) in
 * a fresh consumer group into a fresh database until every event is stored — counted as DISTINCT event ids
 * (`uniqExact(event_id)`), so a redelivery does not make it look done early — then the direct insert into
 * another database; the summary prints the medians (this machine's speed drifts between runs).
 *   BENCH_NODE_FLAGS: more node flags for the consumer process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
 *
 * Uses KAFKA_BROKERS / CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 */
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import type { StoredEvent } from '@pitchpulse/contract';
import { freePort } from '@pitchpulse/devstack';
import { encodeEventMessage } from '@pitchpulse/events';
import {
  createClickHouseClient,
  distinctEvents,
  insertJsonEachRow,
  runMigrations,
  runningMerges,
  storedRows,
  type Client,
} from './clickhouse';
import { pipelineEvents } from './events';
import {
  BenchFailure,
  fmt,
  fmtRatio,
  median,
  openStack,
  printTable,
  runBench,
  serviceScript,
  startNode,
  waitForUrl,
  waitUntil,
  withTimeout,
  type BenchStack,
} from './harness';

const USAGE = `pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3] [--timeout <s>]
  preloads --events events, then per round: the consumer process (FLUSH_MAX_EVENTS = --batch) from group join
  until all are stored (distinct event ids), and a direct JSONEachRow insert of the same rows in batches of
  --batch; prints medians. --timeout: longest wait for one round's consumer to store every event
  (default 120 s + 1 s per 1,000 events).`;

/** Longest wait for ClickHouse to finish background merges before a measurement starts. */
const MERGES_TIMEOUT_MS = 300_000;

/**
 * Waits until ClickHouse has no merge running: the consumer's inserts leave parts that ClickHouse merges in the
 * background for a few seconds, and the direct insert measured after them must not share the CPU with that.
 */
function mergesSettled(client: Client): Promise<void> {
  return waitUntil(
    'ClickHouse background merges to finish',
    async () => (await runningMerges(client)) === 0,
    MERGES_TIMEOUT_MS,
    250,
  );
}

interface ConsumerRun {
  rate: number;
  startupSeconds: number;
  /** Rows stored, redeliveries included (≥ the events). */
  rows: number;
}

/**
 * The real consumer process, in its own group and database, from ready until every event is stored (distinct
 * event ids); start-up (group join) reported on its own.
 */
async function consumerRound(
  stack: BenchStack,
  round: { topic: string; total: number; batch: number; id: string; timeoutMs: number },
): Promise<ConsumerRun> {
  const { topic, total, batch, id, timeoutMs } = round;
  const database = `bench_consumer_${id}`;
  const client = createClickHouseClient({ url: stack.clickhouseUrl, database });
  try {
    await runMigrations(client, { database });
    await mergesSettled(client);
    const metricsPort = await freePort();
    const launched = Date.now();
    const consumer = await startNode('the consumer', serviceScript('consumer'), {
      env: {
        KAFKA_BROKERS: stack.kafkaBrokers,
        CLICKHOUSE_URL: stack.clickhouseUrl,
        CLICKHOUSE_DATABASE: database,
        KAFKA_TOPIC_EVENTS: topic,
        KAFKA_TOPIC_RETRY: `${topic}.retry`,
        KAFKA_TOPIC_DLQ: `${topic}.dlq`,
        CONSUMER_GROUP: `bench-${id}`,
        RETRY_ENABLED: 'false',
        FLUSH_MAX_EVENTS: String(batch),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      extraFlags: (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      echo: true,
    });
    // Joining a consumer group costs a fixed few seconds (the broker's initial rebalance delay): time the
    // throughput from the moment the consumer is ready, and report start-up on its own.
    await waitForUrl(`http://127.0.0.1:${metricsPort}/ready`, {
      what: 'the consumer to be ready',
      child: consumer,
      timeoutMs: 120_000,
      intervalMs: 50,
    });
    const started = Date.now();
    // Done = every event id stored. count() is cheap and reaches `total` first; uniqExact(event_id) (a full
    // scan) is asked only from then on, so a redelivered event cannot make the round look done early.
    let rows = 0;
    let distinct: number | undefined;
    try {
      await waitUntil(
        `${fmt(total)} distinct events in ${database}.events (uniqExact(event_id))`,
        async () => {
          const code = consumer.exitCode();
          if (code !== undefined)
            throw new BenchFailure(`the consumer exited (${code}):\n${consumer.tail()}`);
          rows = await storedRows(client, database);
          if (rows < total) return false;
          distinct = await distinctEvents(client, database);
          return distinct >= total;
        },
        timeoutMs,
        100,
      );
    } catch (err) {
      if (err instanceof BenchFailure && !err.message.startsWith('the consumer exited')) {
        const ids = distinct === undefined ? 'distinct ids not counted yet' : `${fmt(distinct)} distinct`;
        throw new BenchFailure(`${err.message}: ${fmt(rows)} rows stored, ${ids} (last count)`);
      }
      throw err;
    }
    const seconds = (Date.now() - started) / 1000;
    const code = await consumer.stop();
    if (code !== 0)
      throw new BenchFailure(`the consumer exited with ${code} on SIGTERM:\n${consumer.tail()}`);
    if (distinct !== total)
      throw new BenchFailure(`the consumer stored ${fmt(distinct ?? 0)} distinct events of ${fmt(total)}`);
    return { rate: total / seconds, startupSeconds: (started - launched) / 1000, rows };
  } finally {
    await client.close();
  }
}

/**
 * The plain path the issue names: @clickhouse/client JSONEachRow inserts of the same rows (built before the
 * clock starts), same batch size, into a fresh database.
 */
async function directRound(
  stack: BenchStack,
  events: StoredEvent[],
  batch: number,
  id: string,
): Promise<number> {
  const database = `bench_direct_${id}`;
  const client = createClickHouseClient({ url: stack.clickhouseUrl, database });
  try {
    await runMigrations(client, { database });
    await mergesSettled(client);
    const ms = await withTimeout(
      `the direct insert of ${fmt(events.length)} events`,
      120_000 + events.length, // 2 min + 1 ms an event: far beyond any speed it has been measured at
      insertJsonEachRow(client, database, events, batch),
    );
    const distinct = await distinctEvents(client, database);
    if (distinct !== events.length) {
      throw new BenchFailure(
        `the direct insert stored ${fmt(distinct)} distinct events of ${fmt(events.length)}`,
      );
    }
    return events.length / (ms / 1000);
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string', default: '500000' },
      batch: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '3' },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
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
    throw new BenchFailure(`--events, --batch and --rounds take positive whole numbers\n${USAGE}`);
  }
  const timeoutSeconds = args.timeout === undefined ? 120 + total / 1000 : Number(args.timeout);
  if (!(timeoutSeconds > 0)) throw new BenchFailure(`--timeout takes a positive number of seconds\n${USAGE}`);

  const stack = await openStack();
  const run = Date.now().toString(36);
  const topic = `bench-events-${run}`;
  // librdkafka's mock broker keeps at most 5 MiB per partition (older messages are dropped): spread the preload
  // so each partition stays well under that (~330 bytes an event).
  const partitions = Math.max(6, Math.ceil((total * 330) / (3 * 1024 * 1024)));
  await stack.control?.createPipelineTopics(topic, { events: partitions });

  console.log(`preloading ${fmt(total)} events into ${topic} (${partitions} partitions)…`);
  const events = pipelineEvents(total, 200);
  const receivedAt = Date.now();
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: stack.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < total; i += 5000) {
    await producer.send({
      topic,
      acks: -1,
      timeout: 30_000,
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
    throw new BenchFailure(
      `the broker kept ${kept} of ${total} preloaded events (retention): use more partitions`,
    );
  }

  const storedEvents: StoredEvent[] = events.map((e) => ({ ...e, receivedAt }));
  const results: Array<{ consumer: ConsumerRun; directRate: number }> = [];
  for (let round = 1; round <= rounds; round++) {
    const id = `${run}_${round}`;
    const consumer = await consumerRound(stack, {
      topic,
      total,
      batch,
      id,
      timeoutMs: timeoutSeconds * 1000,
    });
    const directRate = await directRound(stack, storedEvents, batch, id);
    results.push({ consumer, directRate });
    console.log(
      `round ${round}: consumer ${fmt(consumer.rate)} events/s (join ${consumer.startupSeconds.toFixed(1)} s, ` +
        `${fmt(consumer.rows - total)} redelivered rows), direct ${fmt(directRate)} events/s, ` +
        `ratio ${fmtRatio(consumer.rate / directRate)}`,
    );
  }
  printTable(
    ['round', 'consumer events/s', 'join s', 'rows stored', 'direct events/s', 'consumer ÷ direct'],
    results.map((r, i) => [
      i + 1,
      fmt(r.consumer.rate),
      r.consumer.startupSeconds.toFixed(1),
      fmt(r.consumer.rows),
      fmt(r.directRate),
      fmtRatio(r.consumer.rate / r.directRate),
    ]),
  );
  const consumerRate = median(results.map((r) => r.consumer.rate));
  const directRate = median(results.map((r) => r.directRate));
  const ratio = median(results.map((r) => r.consumer.rate / r.directRate));
  console.log(`
events                      ${fmt(total)} per round, batch ${batch}, medians of ${rounds} round(s)
consumer Kafka→ClickHouse   ${fmt(consumerRate)} events/s   (distinct events, from group join; start-up not counted)
direct JSONEachRow insert   ${fmt(directRate)} events/s
ratio consumer ÷ direct     ${fmtRatio(ratio)}   (target ≥ 0.5; consumer target ≥ 50,000 events/s)`);
}

runBench('bench:consume', main);
