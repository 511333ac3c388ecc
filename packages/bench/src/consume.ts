#!/usr/bin/env node
/**
 * pnpm bench:consume — how fast the consumer moves events from Kafka into ClickHouse, beside the fastest
 * plain path: @clickhouse/client JSONEachRow inserts of the same rows, in the same run, same batch size.
 *
 *   pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3] [--timeout <s>] [--cluster]
 *
 * The topic is preloaded once; each round runs the real consumer (apps/consumer/dist/main.js, a child process) in
 * a fresh consumer group into a fresh database until every event is stored — counted as DISTINCT event ids
 * (`uniqExact(event_id)`), so a redelivery does not make it look done early — then the direct insert into
 * another database; the summary prints the medians (this machine's speed drifts between runs).
 * The feed-integrity rules' cost: each round also runs the consumer with `FEED_INTEGRITY=false` on the same topic
 * (its own group and database), right beside the consumer with the rules on (the default), which of the two goes
 * first alternating per round; `rules on ÷ off` per round, then the median (target ≥ 0.95). What the rules flagged
 * is read from the consumer's feed_anomalies_total before it stops.
 * With --cluster each round also runs the consumer (rules on) and the direct insert against a throwaway embedded
 * ClickHouse cluster (ZooKeeper + 2 shards × 2 replicas, the cluster schema: `CLICKHOUSE_CLUSTER`), on the same
 * topic, and prints cluster ÷ single node for both.
 *   BENCH_NODE_FLAGS: more node flags for the consumer process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`)
 *
 * Uses KAFKA_BROKERS / CLICKHOUSE_URL when set, else starts a throwaway embedded stack.
 */
import os from 'node:os';
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
  fetchText,
  fmt,
  fmtRatio,
  mark,
  median,
  openCluster,
  openStack,
  printTable,
  processCpuMs,
  runBench,
  serviceScript,
  startNode,
  waitForUrl,
  waitUntil,
  withTimeout,
  type BenchStack,
} from './harness';

const USAGE = `pnpm bench:consume [--events 500000] [--batch 1000] [--rounds 3] [--timeout <s>] [--cluster]
  preloads --events events, then per round: the consumer process (FLUSH_MAX_EVENTS = --batch) from group join
  until all are stored (distinct event ids), the same with FEED_INTEGRITY=false (the feed-integrity rules off),
  and a direct JSONEachRow insert of the same rows in batches of --batch; prints medians. --timeout: longest
  wait for one round's consumer to store every event (default 120 s + 1 s per 1,000 events).
  --cluster: each round also runs the consumer and the direct insert against a throwaway embedded ClickHouse
  cluster (ZooKeeper + 2 shards x 2 replicas, CLICKHOUSE_CLUSTER's schema) and prints cluster / single node.`;

/** Longest wait for ClickHouse to finish background merges before a measurement starts. */
const MERGES_TIMEOUT_MS = 300_000;

/** Where a round's rows go: the one server, or a cluster's Distributed tables. */
interface Target {
  /** `single node`, `cluster 2×2`: what the tables print. */
  label: string;
  url: string;
  /** CLICKHOUSE_CLUSTER for the consumer and the bench's clients; unset: one server. */
  cluster?: string;
  /** Every server's HTTP URL (background merges are awaited on each). */
  nodeUrls: string[];
}

/**
 * Waits until no server of `target` runs a merge: the consumer's inserts leave parts that ClickHouse merges in the
 * background for a few seconds, and the direct insert measured after them must not share the CPU with that.
 */
async function mergesSettled(target: Target): Promise<void> {
  for (const url of target.nodeUrls) {
    const client = createClickHouseClient({ url });
    try {
      await waitUntil(
        `ClickHouse background merges to finish (${url})`,
        async () => (await runningMerges(client)) === 0,
        MERGES_TIMEOUT_MS,
        250,
      );
    } finally {
      await client.close();
    }
  }
}

/** Opens a ClickHouse client of `target` on `database` (with the cluster's settings in cluster mode). */
const targetClient = (target: Target, database: string): Client =>
  createClickHouseClient({
    url: target.url,
    database,
    ...(target.cluster ? { cluster: target.cluster } : {}),
  });

interface ConsumerRun {
  rate: number;
  startupSeconds: number;
  /** Rows stored, redeliveries included (≥ the events). */
  rows: number;
  /** Events the feed-integrity rules flagged, per rule (the consumer's feed_anomalies_total{rule}). */
  flagged: Record<string, number>;
  /** CPU time (user + system, every thread) the consumer process spent per event, from ready until done. */
  cpuUsPerEvent: number;
}

/** feed_anomalies_total per rule in a Prometheus text body (the rules with a sample; none when the rules are off). */
function flaggedByRule(metrics: string): Record<string, number> {
  const flagged: Record<string, number> = {};
  for (const match of metrics.matchAll(/^feed_anomalies_total\{[^}]*rule="([^"]+)"[^}]*\} (\S+)$/gm)) {
    flagged[match[1]!] = (flagged[match[1]!] ?? 0) + Number(match[2]);
  }
  return flagged;
}

const cpuText = (run: ConsumerRun): string =>
  Number.isFinite(run.cpuUsPerEvent) ? `${run.cpuUsPerEvent.toFixed(1)} µs` : 'n/a';

const flaggedTotal = (flagged: Record<string, number>): number =>
  Object.values(flagged).reduce((a, b) => a + b, 0);

/**
 * `match-velocity 12, goal-burst 3` (the rules that flagged something), `none` when every rule's counter is 0, `no
 * counter` when the consumer had no feed_anomalies_total (its rules off).
 */
const flaggedText = (flagged: Record<string, number>): string =>
  Object.keys(flagged).length === 0
    ? 'no counter'
    : Object.entries(flagged)
        .filter(([, n]) => n > 0)
        .map(([rule, n]) => `${rule} ${fmt(n)}`)
        .join(', ') || 'none';

/**
 * The real consumer process, in its own group and database, from ready until every event is stored (distinct
 * event ids); start-up (group join) reported on its own.
 */
async function consumerRound(
  stack: BenchStack,
  target: Target,
  round: { topic: string; total: number; batch: number; id: string; timeoutMs: number; rules: boolean },
): Promise<ConsumerRun> {
  const { topic, total, batch, id, timeoutMs, rules } = round;
  const database = `bench_consumer_${id}`;
  const client = targetClient(target, database);
  try {
    await runMigrations(client, { database });
    await mergesSettled(target);
    const metricsPort = await freePort();
    const launched = Date.now();
    const consumer = await startNode('the consumer', serviceScript('consumer'), {
      env: {
        KAFKA_BROKERS: stack.kafkaBrokers,
        CLICKHOUSE_URL: target.url,
        CLICKHOUSE_CLUSTER: target.cluster ?? '',
        CLICKHOUSE_DATABASE: database,
        KAFKA_TOPIC_EVENTS: topic,
        KAFKA_TOPIC_RETRY: `${topic}.retry`,
        KAFKA_TOPIC_DLQ: `${topic}.dlq`,
        CONSUMER_GROUP: `bench-${id}`,
        RETRY_ENABLED: 'false',
        FLUSH_MAX_EVENTS: String(batch),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        FEED_INTEGRITY: String(rules),
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
    const cpuStarted = processCpuMs(consumer.process.pid);
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
    const cpuDone = processCpuMs(consumer.process.pid);
    const cpuUsPerEvent =
      cpuStarted === undefined || cpuDone === undefined ? NaN : ((cpuDone - cpuStarted) * 1000) / total;
    const flagged = flaggedByRule(await fetchText(`http://127.0.0.1:${metricsPort}/metrics`));
    const code = await consumer.stop();
    if (code !== 0)
      throw new BenchFailure(`the consumer exited with ${code} on SIGTERM:\n${consumer.tail()}`);
    if (distinct !== total)
      throw new BenchFailure(`the consumer stored ${fmt(distinct ?? 0)} distinct events of ${fmt(total)}`);
    return {
      rate: total / seconds,
      startupSeconds: (started - launched) / 1000,
      rows,
      flagged,
      cpuUsPerEvent,
    };
  } finally {
    await client.close();
  }
}

/**
 * The plain path the issue names: @clickhouse/client JSONEachRow inserts of the same rows (built before the
 * clock starts), same batch size, into a fresh database.
 */
async function directRound(
  target: Target,
  events: StoredEvent[],
  batch: number,
  id: string,
): Promise<number> {
  const database = `bench_direct_${id}`;
  const client = targetClient(target, database);
  try {
    await runMigrations(client, { database });
    await mergesSettled(target);
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
      cluster: { type: 'boolean', default: false },
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
  const single: Target = { label: 'single node', url: stack.clickhouseUrl, nodeUrls: [stack.clickhouseUrl] };
  const clusterTarget: Target | undefined = args.cluster
    ? await openCluster().then((c) => ({
        label: 'cluster 2×2',
        url: c.url,
        cluster: c.name,
        nodeUrls: c.nodeUrls,
      }))
    : undefined;
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
  const results: Array<{
    consumer: ConsumerRun;
    off: ConsumerRun;
    directRate: number;
    cluster?: { consumer: ConsumerRun; directRate: number };
  }> = [];
  for (let round = 1; round <= rounds; round++) {
    const id = `${run}_${round}`;
    // The consumer with the rules on (the default) and off, right beside each other: on first in odd rounds.
    const consumers: Partial<Record<'on' | 'off', ConsumerRun>> = {};
    for (const rules of round % 2 === 1 ? [true, false] : [false, true]) {
      consumers[rules ? 'on' : 'off'] = await consumerRound(stack, single, {
        topic,
        total,
        batch,
        id: rules ? id : `${id}_off`,
        timeoutMs: timeoutSeconds * 1000,
        rules,
      });
    }
    const consumer = consumers.on!;
    const off = consumers.off!;
    const directRate = await directRound(single, storedEvents, batch, id);
    const cluster = clusterTarget && {
      consumer: await consumerRound(stack, clusterTarget, {
        topic,
        total,
        batch,
        id: `${id}_cluster`,
        timeoutMs: timeoutSeconds * 1000,
        rules: true,
      }),
      directRate: await directRound(clusterTarget, storedEvents, batch, `${id}_cluster`),
    };
    results.push({ consumer, off, directRate, cluster });
    console.log(
      `round ${round}: consumer ${fmt(consumer.rate)} events/s (join ${consumer.startupSeconds.toFixed(1)} s, ` +
        `${fmt(consumer.rows - total)} redelivered rows), direct ${fmt(directRate)} events/s, ` +
        `ratio ${fmtRatio(consumer.rate / directRate)}; rules off ${fmt(off.rate)} events/s ` +
        `(${round % 2 === 1 ? 'after' : 'before'} the rules on), on ÷ off ${fmtRatio(consumer.rate / off.rate, 3)}; ` +
        `flagged: ${flaggedText(consumer.flagged)}`,
    );
    if (cluster)
      console.log(
        `  ${clusterTarget!.label}: consumer ${fmt(cluster.consumer.rate)} events/s (join ${cluster.consumer.startupSeconds.toFixed(1)} s), ` +
          `direct ${fmt(cluster.directRate)} events/s; cluster ÷ single node: consumer ` +
          `${fmtRatio(cluster.consumer.rate / consumer.rate)}, direct ${fmtRatio(cluster.directRate / directRate)}`,
      );
  }
  printTable(
    [
      'round',
      'consumer events/s',
      'join s',
      'rows stored',
      'direct events/s',
      'consumer ÷ direct',
      'rules off events/s',
      'rules on ÷ off',
      'consumer CPU / event, on / off',
      'flagged (rules on)',
    ],
    results.map((r, i) => [
      i + 1,
      fmt(r.consumer.rate),
      r.consumer.startupSeconds.toFixed(1),
      fmt(r.consumer.rows),
      fmt(r.directRate),
      fmtRatio(r.consumer.rate / r.directRate),
      fmt(r.off.rate),
      fmtRatio(r.consumer.rate / r.off.rate, 3),
      `${cpuText(r.consumer)} / ${cpuText(r.off)}`,
      flaggedText(r.consumer.flagged),
    ]),
  );
  const consumerRate = median(results.map((r) => r.consumer.rate));
  const directRate = median(results.map((r) => r.directRate));
  const ratio = median(results.map((r) => r.consumer.rate / r.directRate));
  const offRate = median(results.map((r) => r.off.rate));
  const onOff = median(results.map((r) => r.consumer.rate / r.off.rate));
  const cpuOnOff = median(results.map((r) => r.consumer.cpuUsPerEvent / r.off.cpuUsPerEvent));
  const flaggedOn = results.map((r) => flaggedTotal(r.consumer.flagged));
  const flaggedOff = results.reduce((n, r) => n + flaggedTotal(r.off.flagged), 0);
  console.log(`
events                      ${fmt(total)} per round, batch ${batch}, medians of ${rounds} round(s)
consumer Kafka→ClickHouse   ${fmt(consumerRate)} events/s   (distinct events, from group join; start-up not counted)
direct JSONEachRow insert   ${fmt(directRate)} events/s
ratio consumer ÷ direct     ${fmtRatio(ratio)}   (target ≥ 0.5; consumer target ≥ 50,000 events/s)
feed-integrity rules off    ${fmt(offRate)} events/s   (FEED_INTEGRITY=false; the order on/off alternating per round)
ratio rules on ÷ off        ${fmtRatio(onOff, 3)}   (target ≥ 0.95) ${mark(onOff >= 0.95)}   (median of per-round ratios)
consumer CPU on ÷ off       ${fmtRatio(cpuOnOff)}   (the consumer process's CPU per event, every thread, from ready until done)
flagged with the rules on   ${flaggedOn.map(fmt).join(' / ')} events per round (${flaggedText(results[0]!.consumer.flagged)} in round 1); rules off: ${fmt(flaggedOff)}`);
  if (flaggedOn.every((n) => n === 0)) {
    // Why, from pipelineEvents(total, 200): event n is match n % 200, n seconds after 2024-01-15 14:00 UTC, a goal
    // when n % 7 === 2, team 1 when n is even with player p-(n % 22) (so a player's team follows n's parity).
    console.log(
      `  no rule fired: per match one event every 200 s of event time (match-velocity needs > 200 in a minute), ` +
        `goals 1,400 s apart (goal-burst: 4 within 90 s), each player on one team, and every event stamped in 2024, ` +
        `long before its receipt, in a match never live (clock-skew judges an old event only in a live match). So ` +
        `the rules on cost their bookkeeping per event (judge, per-match state), not the flagged path (a copy of the ` +
        `event with \`anomalies\`, the counter, the warn log)`,
    );
  }
  const clusterRuns = results.flatMap((r) => (r.cluster ? [{ ...r.cluster, single: r }] : []));
  if (clusterTarget && clusterRuns.length > 0) {
    const clusterRate = median(clusterRuns.map((r) => r.consumer.rate));
    const clusterDirect = median(clusterRuns.map((r) => r.directRate));
    console.log(`
${clusterTarget.label} (CLICKHOUSE_CLUSTER=${clusterTarget.cluster}: rows into Distributed tables over 2 shards × 2 replicas, sharded by match; every insert waits for each shard, insert_distributed_sync=1)
consumer Kafka→ClickHouse   ${fmt(clusterRate)} events/s   (single node ${fmt(consumerRate)}; cluster ÷ single ${fmtRatio(median(clusterRuns.map((r) => r.consumer.rate / r.single.consumer.rate)))}, median of per-round ratios)
direct JSONEachRow insert   ${fmt(clusterDirect)} events/s   (single node ${fmt(directRate)}; cluster ÷ single ${fmtRatio(median(clusterRuns.map((r) => r.directRate / r.single.directRate)))})
ratio consumer ÷ direct     ${fmtRatio(median(clusterRuns.map((r) => r.consumer.rate / r.directRate)))}   (on the cluster)
  all ${clusterTarget.nodeUrls.length} ClickHouse servers and ZooKeeper share this machine's ${os.availableParallelism()} cores with the consumer, and each row is written twice (once per replica): the ratio says what the cluster's write path costs here, not what separate machines would gain`);
  }
}

runBench('bench:consume', main);
