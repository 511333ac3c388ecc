import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ClickHouseServer, KafkaApiKey, MockKafkaCluster, freePort } from '@pitchpulse/devstack';
import { ClickHouseStore, createClickHouseClient } from '@pitchpulse/clickhouse';
import type { Readiness } from '@pitchpulse/contract';
import { createKafka, readTopic } from '@pitchpulse/kafka';
import { createLogger, sampleSum } from '@pitchpulse/observability';
import { startConsumer } from './start';
import { parseConfig } from './config';
import {
  isolatedEnv,
  makeEvents,
  produce,
  produceRaw,
  eventCounts,
  storedTeams,
  waitUntil,
  type TestEnv,
} from './testing';

const DIST = path.join(__dirname, '..', 'dist');
const run = promisify(execFile);

async function viewTotal(t: TestEnv, matchId: string): Promise<number | undefined> {
  return (await new ClickHouseStore(t.clickhouse).metrics(matchId)).value?.totalEvents;
}

function startConsumerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  const main = path.join(DIST, 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
  return spawn(process.execPath, [main], { env: { ...process.env, ...env }, stdio: 'ignore' });
}

describe('consumer under failure', () => {
  it('pauses while ClickHouse is stopped for 20 s mid-stream and loses or double-counts nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-ch-outage-'));
    const server = await ClickHouseServer.create({ dataDir: dir });
    await server.start();
    // its own single server, also when the suite runs against a cluster (test:cluster)
    const t = await isolatedEnv({
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_CLUSTER: '',
      CLICKHOUSE_POLL_MS: '500',
    });
    const clickhouse = createClickHouseClient({ url: server.url, database: t.database });
    const local = { ...t, clickhouse };
    const app = await startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'warn' }));
    try {
      const events = makeEvents(6000, 'm-outage');
      await produce(t.kafka, t.topics.events, events.slice(0, 2000));
      await waitUntil(
        'first rows',
        () => eventCounts(local, 'm-outage'),
        (c) => c.ids === 2000,
      );

      const outageStarted = Date.now();
      await server.stop();
      await produce(t.kafka, t.topics.events, events.slice(2000, 4000));
      // The checks at the end (nothing went to the retry topic) mean something only if the consumer met the
      // outage: wait until it has paused for ClickHouse, then let the outage run its 20 s.
      await waitUntil(
        'the consumer to pause for ClickHouse (consumer_clickhouse_unavailable 1)',
        async () =>
          sampleSum(
            await app.registry.getSingleMetricAsString('consumer_clickhouse_unavailable'),
            'consumer_clickhouse_unavailable',
          ),
        (paused) => paused === 1,
        20_000,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - outageStarted))));
      await server.start();
      await produce(t.kafka, t.topics.events, events.slice(4000));

      await waitUntil(
        'all events',
        () => eventCounts(local, 'm-outage'),
        (c) => c.ids === 6000,
        60_000,
      );
      expect((await eventCounts(local, 'm-outage')).ids).toBe(6000);
      expect(await viewTotal(local, 'm-outage')).toBe(6000);
      // It waited for ClickHouse instead of pushing the outage's events through the retry topic.
      expect(await t.topicSize(t.topics.retry)).toBe(0);
      expect(await t.topicSize(t.topics.dlq)).toBe(0);
    } finally {
      await app.stop();
      await Promise.all([clickhouse.close(), t.close()]);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('starts during a ClickHouse outage: stays alive and not ready, then migrates and stores everything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-ch-late-'));
    const server = await ClickHouseServer.create({ dataDir: dir });
    const port = await freePort();
    const t = await isolatedEnv({
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_CLUSTER: '',
      METRICS_PORT: String(port),
      STARTUP_RETRY_MAX_MS: '1000',
    });
    const clickhouse = createClickHouseClient({ url: server.url, database: t.database });
    const local = { ...t, clickhouse };
    const events = makeEvents(3000, 'm-late');
    await produce(t.kafka, t.topics.events, events);
    const child = startConsumerProcess(t.env);
    try {
      const probe = async (name: string) => {
        const res = await fetch(`http://127.0.0.1:${port}/${name}`);
        return { status: res.status, body: (await res.json()) as Readiness };
      };
      // The probe server answers before the first migration attempt has failed (`startup: starting`): wait
      // for it to say what it is waiting for.
      const notReady = await waitUntil(
        'the probe server to report what start-up waits for',
        () => probe('ready').catch(() => undefined),
        (r) => r !== undefined && r.body.reasons?.startup !== 'starting',
        20_000,
      );
      expect(notReady!.status).toBe(503);
      expect(notReady!.body).toMatchObject({
        status: 'not_ready',
        checks: { kafka: 'unhealthy', clickhouse: 'unhealthy' },
        draining: false,
      });
      expect(notReady!.body.reasons?.startup).toMatch(/^ClickHouse migrations: /);
      expect((await probe('health')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 5000));
      expect(child.exitCode).toBeNull(); // waited, did not crash

      await server.start();
      await waitUntil(
        'all events',
        () => eventCounts(local, 'm-late').catch(() => ({ ids: 0, rows: 0 })),
        (c) => c.ids === 3000,
        60_000,
      );
      expect(await viewTotal(local, 'm-late')).toBe(3000);
      await waitUntil(
        'ready',
        () => probe('ready'),
        (r) => r.status === 200,
        30_000,
      );
      expect((await probe('ready')).body).toMatchObject({
        status: 'ready',
        checks: { kafka: 'healthy', clickhouse: 'healthy' },
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
      await Promise.all([clickhouse.close(), t.close()]);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('joins its group again when Kafka answers SyncGroup with an error the client does not retry', async () => {
    // Its own mock cluster, so the injected error reaches this consumer and no other suite's.
    const kafka = MockKafkaCluster.create(1);
    const t = await isolatedEnv({ KAFKA_BROKERS: kafka.bootstrapServers, RETRY_ENABLED: 'false' });
    for (const name of Object.values(t.topics)) kafka.createTopic({ name, partitions: 2 });
    const INVALID_REQUEST = 42; // what librdkafka's mock answers a member that syncs after the group settled
    kafka.pushRequestErrors(KafkaApiKey.SyncGroup, [INVALID_REQUEST]);
    const client = createKafka({ clientId: `test-${t.id}`, brokers: [kafka.bootstrapServers] });
    const app = await startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'silent' }));
    try {
      const events = makeEvents(3000, 'm-rejoin');
      await produce(client, t.topics.events, events);
      await waitUntil(
        'all events',
        () => eventCounts(t, 'm-rejoin'),
        (c) => c.ids === 3000,
        60_000,
      );
      const rejoins = await app.registry.getSingleMetricAsString('consumer_group_rejoins_total');
      expect(sampleSum(rejoins, 'consumer_group_rejoins_total', { topic: t.topics.events })).toBe(1);
      expect(await viewTotal(t, 'm-rejoin')).toBe(3000);
      const { port } = app.probeServer.address() as { port: number };
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    } finally {
      await app.stop();
      await t.close();
      kafka.destroy();
    }
  }, 120_000);

  it('keeps counts exact when the consumer is SIGKILLed mid-batch and restarted', async () => {
    const t = await isolatedEnv({ FLUSH_MAX_EVENTS: '500' });
    const events = makeEvents(20_000, 'm-kill');
    await produce(t.kafka, t.topics.events, events);
    let child = startConsumerProcess(t.env);
    try {
      await waitUntil(
        'some rows',
        () => eventCounts(t, 'm-kill'),
        (c) => c.ids >= 1000,
        60_000,
      );
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const atKill = (await eventCounts(t, 'm-kill')).ids;
      expect(atKill).toBeLessThan(20_000);

      child = startConsumerProcess(t.env);
      await waitUntil(
        'all rows',
        () => eventCounts(t, 'm-kill'),
        (c) => c.ids === 20_000,
        90_000,
      );
      expect(await viewTotal(t, 'm-kill')).toBe(20_000);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
      await t.close();
    }
  }, 180_000);

  it('drains on SIGTERM: buffered events are stored and committed, exit code 0', async () => {
    const port = await freePort();
    const t = await isolatedEnv({
      FLUSH_INTERVAL_MS: '600000',
      FLUSH_MAX_EVENTS: '100000',
      METRICS_PORT: String(port),
    });
    const child = startConsumerProcess(t.env);
    await produce(t.kafka, t.topics.events, makeEvents(300, 'm-drain'));
    // SIGTERM must find the 300 events buffered (a slow start would have nothing to drain yet).
    await waitUntil(
      'the consumer to buffer the 300 events (consumer_buffered_events 300)',
      async () =>
        sampleSum(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'consumer_buffered_events'),
      (buffered) => buffered === 300,
      30_000,
    );
    // Nothing is stored before SIGTERM: the interval and size limits are far away.
    await new Promise((r) => setTimeout(r, 5000));
    expect((await eventCounts(t, 'm-drain').catch(() => ({ ids: 0 }))).ids).toBe(0);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect((await eventCounts(t, 'm-drain')).ids).toBe(300);
    const admin = t.kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({
      groupId: t.env.CONSUMER_GROUP!,
      topics: [t.topics.events],
    });
    await admin.disconnect();
    const total = committed!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(300);
    await t.close();
  }, 60_000);

  it('replays a fixed dead letter back into match-events with pitchpulse-dlq', async () => {
    const t = await isolatedEnv();
    const [event] = makeEvents(1, 'm-replay');
    await produceRaw(t.kafka, t.topics.events, [
      { key: 'm-replay', value: JSON.stringify({ ...event, teamId: 7, receivedAt: Date.now() }) },
    ]);
    const app = await startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'warn' }));
    try {
      const [dead] = await readTopic(t.kafka, t.topics.dlq, { count: 1, timeoutMs: 20_000 });
      expect(dead).toBeDefined();
      const cli = (...args: string[]) =>
        run(
          process.execPath,
          [path.join(DIST, 'dlq-cli.js'), '--topic', t.topics.dlq, '--to', t.topics.events, ...args],
          {
            env: { ...process.env, ...t.env },
          },
        );
      const listed = await cli('list');
      expect(listed.stdout).toContain(`0:${dead!.offset}  m-replay`);
      expect(listed.stdout).toContain('/teamId: must be 1 or 2');

      const unfixed = await cli('replay', '--ids', `0:${dead!.offset}`).catch(
        (e: { stdout: string; code: number }) => e,
      );
      expect(unfixed).toMatchObject({ code: 1, stdout: expect.stringContaining('must be 1 or 2') });

      const dry = await cli('replay', '--ids', `0:${dead!.offset}`, '--set', 'teamId=1', '--dry-run');
      expect(dry.stdout).toContain('would replay 1, skipped 0');
      await new Promise((r) => setTimeout(r, 2000));
      expect((await eventCounts(t, 'm-replay')).ids).toBe(0);

      const replayed = await cli('replay', '--ids', `0:${dead!.offset}`, '--set', 'teamId=1');
      expect(replayed.stdout).toContain('replayed 1, skipped 0');
      await waitUntil(
        'the replayed event',
        () => eventCounts(t, 'm-replay'),
        (c) => c.ids === 1,
        30_000,
      );
      expect(await storedTeams(t, 'm-replay')).toEqual([1]);
    } finally {
      await app.stop();
      await t.close();
    }
  }, 90_000);
});
