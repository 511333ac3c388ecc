import type { AddressInfo } from 'node:net';
import { ClickHouseStore } from '@pitchpulse/clickhouse';
import { encodeRetractionMessage } from '@pitchpulse/events';
import { createLogger, sampleSum } from '@pitchpulse/observability';
import { startConsumer, type RunningConsumer } from './start';
import { parseConfig } from './config';
import {
  isolatedEnv,
  makeEvents,
  produce,
  produceRaw,
  eventCounts,
  waitUntil,
  type TestEnv,
} from './testing';

async function startApp(t: TestEnv): Promise<RunningConsumer> {
  return startConsumer(parseConfig(t.env), createLogger('consumer-test', { level: 'warn' }));
}

async function metricValue(app: RunningConsumer, name: string): Promise<string> {
  const port = (app.probeServer.address() as AddressInfo).port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .join('\n');
}

/**
 * The app's `name` lines once the sample reaches `atLeast`. The consumer updates its metrics after the step they
 * count (a batch is observed once its offsets are committed, a dead letter once Kafka acknowledged it), so a test
 * that saw the rows or the message must still wait for the metric.
 */
function metricReaching(
  app: RunningConsumer,
  name: string,
  atLeast: number,
  labels: Record<string, string> = {},
): Promise<string> {
  return waitUntil(
    `${name}${JSON.stringify(labels)} to reach ${atLeast}`,
    () => metricValue(app, name),
    (text) => sampleSum(text, name, labels) >= atLeast,
    15_000,
  );
}

describe('consumer → ClickHouse (embedded stack)', () => {
  const apps: RunningConsumer[] = [];
  const envs: TestEnv[] = [];
  const isolated = async (overrides?: NodeJS.ProcessEnv): Promise<TestEnv> => {
    const t = await isolatedEnv(overrides);
    envs.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
    await Promise.all(envs.splice(0).map((t) => t.close()));
  });

  it('stores 10,000 events exactly once; producing them again changes no count', async () => {
    const t = await isolated();
    const events = makeEvents(10_000, 'm-10k');
    await produce(t.kafka, t.topics.events, events);
    apps.push(await startApp(t));
    await waitUntil(
      '10,000 rows',
      () => eventCounts(t, 'm-10k'),
      (c) => c.rows >= 10_000,
    );
    expect(await eventCounts(t, 'm-10k')).toEqual({ rows: 10_000, ids: 10_000 });

    await produce(t.kafka, t.topics.events, events);
    await waitUntil(
      'the duplicates',
      () => eventCounts(t, 'm-10k'),
      (c) => c.rows >= 20_000,
    );
    expect(await eventCounts(t, 'm-10k')).toEqual({ rows: 20_000, ids: 10_000 });
    // Duplicate delivery reaches the raw table on 18.16; the views count each event once.
    const { ClickHouseStore } = await import('@pitchpulse/clickhouse');
    const metrics = (await new ClickHouseStore(t.clickhouse).metrics('m-10k')).value;
    expect(metrics?.totalEvents).toBe(10_000);
    const goals = events.filter((e) => e.eventType === 'goal').length;
    expect(metrics?.goals).toBe(goals);
    expect(metrics?.eventsByType.pass).toBe(events.filter((e) => e.eventType === 'pass').length);
  });

  it('stores retractions from the events topic: the figures leave the events out, found or not is counted', async () => {
    const t = await isolated();
    apps.push(await startApp(t));
    const events = makeEvents(200, 'm-var');
    const [taken, neverSent] = [
      events[17]!,
      { ...events[18]!, eventId: '00000000-0000-4000-8000-0000000000ff' },
    ];
    const retractionOf = (e: { eventId: string; matchId: string }) =>
      encodeRetractionMessage({ eventId: e.eventId, matchId: e.matchId, reason: 'VAR' }, Date.now());
    await produce(t.kafka, t.topics.events, events);
    await produceRaw(t.kafka, t.topics.events, [
      retractionOf(taken),
      retractionOf(neverSent),
      retractionOf(taken),
    ]);
    const store = new ClickHouseStore(t.clickhouse);
    const metrics = await waitUntil(
      'the metrics without the retracted event',
      () => store.metrics('m-var'),
      (m) => m.value?.totalEvents === 199,
    );
    expect(metrics.value).toEqual(await store.metricsFromEvents('m-var'));
    const retractions = (await store.retractions('m-var')).value; // received in the same millisecond: any order
    expect(retractions).toHaveLength(2);
    expect(retractions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventId: taken.eventId, found: true, eventType: taken.eventType }),
        expect.objectContaining({ eventId: neverSent.eventId, found: false, eventType: null }),
      ]),
    );
    await metricReaching(apps[0]!, 'consumer_retractions_total', 3);
    const text = await metricValue(apps[0]!, 'consumer_retractions_total');
    expect(sampleSum(text, 'consumer_retractions_total', { found: 'true' })).toBe(2);
    expect(sampleSum(text, 'consumer_retractions_total', { found: 'false' })).toBe(1);
    expect(
      sampleSum(await metricValue(apps[0]!, 'consumer_rows_inserted_total'), 'consumer_rows_inserted_total'),
    ).toBe(200);
  });

  it('flushes on size (1000 events) and on time (the interval) alike', async () => {
    const t = await isolated({ FLUSH_MAX_EVENTS: '1000', FLUSH_INTERVAL_MS: '4000' });
    apps.push(await startApp(t));
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    await produce(t.kafka, t.topics.events, makeEvents(2500, 'm-flush'));
    // Two full batches go at once; the 500 left wait for the 4 s interval.
    await waitUntil(
      'two size flushes',
      () => eventCounts(t, 'm-flush'),
      (c) => c.rows >= 2000,
      3500,
    );
    expect((await eventCounts(t, 'm-flush')).rows).toBe(2000);
    await waitUntil(
      'the time flush',
      () => eventCounts(t, 'm-flush'),
      (c) => c.rows === 2500,
      10_000,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
    // Reaching 3 is awaited; that it is exactly 3 (no fourth flush) is the assertion.
    const sizes = await metricReaching(apps[0]!, 'consumer_batch_size_count', 3);
    expect(sizes).toMatch(/consumer_batch_size_count\{[^}]*\} 3$/m);
  });

  it('sends one undecodable event of a batch of 1000 to the DLQ with its error; stores the other 999', async () => {
    const t = await isolated({ FLUSH_INTERVAL_MS: '60000' });
    const events = makeEvents(999, 'm-poison');
    const { encodeEventMessage } = await import('@pitchpulse/events');
    const messages = events.map((e) => encodeEventMessage(e, Date.now()));
    messages.splice(500, 0, { key: 'm-poison', value: '{"eventId": "broken' });
    await produceRaw(t.kafka, t.topics.events, messages);
    apps.push(await startApp(t));
    await waitUntil(
      '999 rows',
      () => eventCounts(t, 'm-poison'),
      (c) => c.rows >= 999,
    );
    expect(await eventCounts(t, 'm-poison')).toEqual({ rows: 999, ids: 999 });

    const { readTopic, failureFromHeaders } = await import('@pitchpulse/kafka');
    const [dead] = await readTopic(t.kafka, t.topics.dlq, { count: 1, timeoutMs: 20_000 });
    expect(await t.topicSize(t.topics.dlq)).toBe(1);
    expect(dead!.value).toBe('{"eventId": "broken');
    expect(failureFromHeaders(dead!.headers)).toMatchObject({
      kind: 'undecodable',
      originalTopic: t.topics.events,
      attempt: 1,
      lastError: expect.stringContaining('value is not JSON'),
    });
    expect(
      await metricReaching(apps[0]!, 'consumer_dlq_published_total', 1, { kind: 'undecodable' }),
    ).toMatch(/kind="undecodable"[^}]*\} 1$/m);
  });
});
