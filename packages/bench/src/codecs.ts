#!/usr/bin/env node
/**
 * pnpm bench:codecs — what each compression codec costs and saves, all measured in the same run:
 *   Kafka (none, gzip, snappy, lz4, zstd): the API's produce path (encodeEventMessage → GroupCommitProducer,
 *     `--concurrency` sends of `--batch` events in flight) into a fresh topic, then a kafkajs consumer reading it
 *     back. Bytes on the wire = what the producer's sockets wrote while producing (record batches plus request
 *     headers) and what the consumer's sockets read; produce and consume events/s; CPU µs per produced event.
 *   ClickHouse (none, gzip): the consumer's insert (insertEvents, TabSeparated, `--insert-batch` rows) into a
 *     fresh database; bytes = what the client's sockets wrote (HTTP headers included); events/s.
 * Each round runs every codec once, in a rotated order; the table prints the medians.
 *
 *   pnpm bench:codecs [--events 100000] [--batch 100] [--concurrency 8] [--insert-batch 1000] [--rounds 3]
 *
 * Uses KAFKA_BROKERS / CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Partitioners } from 'kafkajs';
import type { StoredEvent } from '@pitchpulse/contract';
import { encodeEventMessage } from '@pitchpulse/events';
import type { ClickHouseCompression } from '@pitchpulse/clickhouse';
import { createClickHouseClient, distinctEvents, insertEvents, openBenchDatabase } from './clickhouse';
import { COMPRESSIONS, GroupCommitProducer, createKafka, type Compression } from '@pitchpulse/kafka';
import { BenchFailure, defer, fmt, median, openStack, printTable, runBench, withTimeout } from './harness';
import { pipelineEvents } from './events';

const USAGE =
  'usage: pnpm bench:codecs [--events 100000] [--batch 100] [--concurrency 8] [--insert-batch 1000] [--rounds 3]';

interface Sample {
  bytes: number;
  fetched: number;
  produceMs: number;
  consumeMs: number;
  cpuUs: number;
}

/** Every client socket this process opens, so a run's bytes written can be summed. */
const sockets = new Set<Socket>();
diagnostics.subscribe('net.client.socket', (message) => sockets.add((message as { socket: Socket }).socket));
const bytesWritten = (): number => [...sockets].reduce((n, s) => n + s.bytesWritten, 0);
const bytesRead = (): number => [...sockets].reduce((n, s) => n + s.bytesRead, 0);

function wholeArg(value: string | undefined, fallback: number, name: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BenchFailure(`--${name} takes a whole number ≥ 1\n${USAGE}`);
  return n;
}

async function kafkaRound(
  brokers: string[],
  createTopic: (name: string, partitions: number) => Promise<void>,
  compression: Compression,
  events: StoredEvent[],
  options: { batch: number; concurrency: number; partitions: number },
): Promise<Sample> {
  const topic = `bench-codec-${compression}-${Date.now().toString(36)}`;
  await createTopic(topic, options.partitions);
  const kafka = createKafka({ brokers, clientId: `bench-codecs-${compression}` });
  const raw = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const producer = new GroupCommitProducer({ producer: raw, compression, sendTimeoutMs: 30_000 });
  await producer.connect();
  const messages = events.map((e) => ({ topic, ...encodeEventMessage(e, e.receivedAt) }));
  const written = bytesWritten();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const sender = async () => {
    for (let i = next; i < messages.length; i = next) {
      next += options.batch;
      await producer.send(messages.slice(i, i + options.batch));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  const produceMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const bytes = bytesWritten() - written;
  await producer.disconnect();

  const read = bytesRead();
  const consumeMs = await consumeAll(kafka, topic, events.length);
  const fetched = bytesRead() - read;
  return { bytes, fetched, produceMs, consumeMs, cpuUs: (used.user + used.system) / events.length };
}

/** Reads `topic` from the start; the clock runs from the first fetched batch to the last message. */
async function consumeAll(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  count: number,
): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-codecs-${topic}`, maxBytes: 50 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let first = 0;
    const done = new Promise<number>((resolve) => {
      void consumer.run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          if (first === 0) first = performance.now();
          seen += batch.messages.length;
          if (seen >= count) resolve(performance.now() - first);
        },
      });
    });
    return await withTimeout(`${count} messages from ${topic}`, 120_000, done);
  } finally {
    await consumer.disconnect();
  }
}

async function clickhouseRound(
  url: string,
  compression: ClickHouseCompression,
  events: StoredEvent[],
  insertBatch: number,
): Promise<{ bytes: number; ms: number }> {
  const { database, client: admin } = await openBenchDatabase(url, `bench_codecs_${compression}`, defer);
  const client = createClickHouseClient({ url, database, compression, requestTimeoutMs: 300_000 });
  try {
    const before = bytesWritten();
    const started = performance.now();
    for (let i = 0; i < events.length; i += insertBatch)
      await insertEvents(client, events.slice(i, i + insertBatch));
    const ms = performance.now() - started;
    const bytes = bytesWritten() - before;
    const stored = await distinctEvents(admin, database);
    if (stored !== events.length)
      throw new BenchFailure(`ClickHouse (${compression}) holds ${stored} of ${events.length} events`);
    return { bytes, ms };
  } finally {
    await client.close();
  }
}

const rotated = <T>(items: readonly T[], by: number): T[] =>
  items.map((_, i) => items[(i + by) % items.length]!);

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string' },
      batch: { type: 'string' },
      concurrency: { type: 'string' },
      'insert-batch': { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const total = wholeArg(args.events, 100_000, 'events');
  const batch = wholeArg(args.batch, 100, 'batch');
  const concurrency = wholeArg(args.concurrency, 8, 'concurrency');
  const insertBatch = wholeArg(args['insert-batch'], 1000, 'insert-batch');
  const rounds = wholeArg(args.rounds, 3, 'rounds');

  const stack = await openStack();
  const control = stack.control;
  if (!control)
    throw new BenchFailure(
      'bench:codecs creates topics: it needs the embedded stack (or PITCHPULSE_STACK_CONTROL)',
    );
  const createTopic = (name: string, partitions: number) => control.createTopic(name, partitions);
  const brokers = stack.kafkaBrokers.split(',');
  const receivedAt = Date.now();
  const events: StoredEvent[] = pipelineEvents(total, 200).map((e) => ({ ...e, receivedAt }));
  const valueBytes = events.reduce(
    (n, e) => n + Buffer.byteLength(encodeEventMessage(e, receivedAt).value),
    0,
  );
  // librdkafka's mock broker keeps at most 5 MiB per partition: uncompressed, ~330 bytes an event.
  const partitions = Math.max(6, Math.ceil((total * 330) / (3 * 1024 * 1024)));
  console.log(
    `${fmt(total)} events (${fmt(valueBytes / 1e6)} MB of message values), ${rounds} rounds, ` +
      `${partitions} partitions, produce ${concurrency} × ${batch} in flight, inserts of ${insertBatch}`,
  );

  const kafka = new Map<Compression, Sample[]>(COMPRESSIONS.map((c) => [c, []]));
  const clickhouse = new Map<ClickHouseCompression, Array<{ bytes: number; ms: number }>>([
    ['none', []],
    ['gzip', []],
  ]);
  for (let round = 0; round < rounds; round++) {
    for (const codec of rotated(COMPRESSIONS, round)) {
      const sample = await kafkaRound(brokers, createTopic, codec, events, {
        batch,
        concurrency,
        partitions,
      });
      kafka.get(codec)!.push(sample);
      console.log(
        `round ${round + 1} kafka ${codec}: ${fmt(sample.bytes)} B, ${fmt(total / (sample.produceMs / 1000))} ev/s produced`,
      );
    }
    for (const codec of rotated(['none', 'gzip'] as const, round)) {
      const sample = await clickhouseRound(stack.clickhouseUrl, codec, events, insertBatch);
      clickhouse.get(codec)!.push(sample);
      console.log(
        `round ${round + 1} clickhouse ${codec}: ${fmt(sample.bytes)} B, ${fmt(total / (sample.ms / 1000))} ev/s`,
      );
    }
  }

  const plainKafka = median(kafka.get('none')!.map((s) => s.bytes));
  printTable(
    [
      'Kafka codec',
      'produced bytes',
      'bytes / event',
      'vs none',
      'fetched bytes',
      'produce ev/s',
      'producer CPU µs/ev',
      'consume ev/s',
    ],
    COMPRESSIONS.map((codec) => {
      const samples = kafka.get(codec)!;
      const bytes = median(samples.map((s) => s.bytes));
      return [
        codec,
        fmt(bytes),
        fmt(bytes / total),
        `${fmt((100 * bytes) / plainKafka)} %`,
        fmt(median(samples.map((s) => s.fetched))),
        fmt(median(samples.map((s) => total / (s.produceMs / 1000)))),
        fmt(median(samples.map((s) => s.cpuUs))),
        fmt(median(samples.map((s) => total / (s.consumeMs / 1000)))),
      ];
    }),
  );
  const plainInsert = median(clickhouse.get('none')!.map((s) => s.bytes));
  printTable(
    ['ClickHouse insert', 'bytes on the wire', 'bytes / event', 'vs none', 'insert ev/s'],
    [...clickhouse.entries()].map(([codec, samples]) => {
      const bytes = median(samples.map((s) => s.bytes));
      return [
        codec,
        fmt(bytes),
        fmt(bytes / total),
        `${fmt((100 * bytes) / plainInsert)} %`,
        fmt(median(samples.map((s) => total / (s.ms / 1000)))),
      ];
    }),
  );
}

runBench('bench:codecs', main);
