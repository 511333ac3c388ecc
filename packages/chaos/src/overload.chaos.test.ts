/**
 * Scenario 2 — overload: far more concurrent requests than MAX_IN_FLIGHT. The API must shed the excess (503 +
 * Retry-After, problem+json) cheaply, keep its memory bounded, keep what it accepts within the latency target,
 * and serve normally again as soon as the load drops.
 */
import fc from 'fast-check';
import crypto from 'node:crypto';
import { RawClient, percentile, round } from './harness/http';
import { topicMessageCount } from './harness/kafka';
import { closedLoopLoad, latencySummary, sampler, serverLatency, type LoadResult } from './harness/load';
import { startApiProcess, waitForKafka, type AppProcess } from './harness/process';
import { startPrivateStack, type PrivateStack } from './harness/stack';
import { recordSummary } from './harness/summary';
import { validEvent } from './hostile/cases';

const MAX_IN_FLIGHT = 64;
const OVERLOAD_CONNECTIONS = 1000;
/** Target for accepted single events (DESIGN: a fast write API). */
const ACCEPTED_P99_TARGET_MS = 25;
/** What the server itself may spend on a typical 503 (its own histogram): shedding must cost next to nothing. */
const SHED_SERVER_P50_MS = 2.5;
const RSS_LIMIT_MIB = 400;
const FAT_BATCH_RSS_LIMIT_MIB = 1536;

jest.setTimeout(300_000);

describe('scenario 2: overload', () => {
  let stack: PrivateStack;
  let api: AppProcess & { url: string };
  const summary: Record<string, unknown> = { maxInFlight: MAX_IN_FLIGHT };
  const events = fc.sample(validEvent, { numRuns: 2000, seed: 2 });
  let next = 0;
  const single = () => JSON.stringify(events[next++ % events.length]);
  const batch = (n: number) => () =>
    JSON.stringify({ events: Array.from({ length: n }, () => events[next++ % events.length]) });
  let acceptedEvents = 0;
  /** Events answered 503 after a produce timeout: their batch may still have landed (ambiguous, not lost). */
  let ambiguousEvents = 0;
  let messagesBefore = 0;
  let baseline: LoadResult;
  let overload: LoadResult;

  beforeAll(async () => {
    stack = await startPrivateStack('overload');
    api = await startApiProcess({
      ...stack.env,
      MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
      RATE_LIMIT_PER_SECOND: '0',
    });
    await waitForKafka(api);
    messagesBefore = await topicMessageCount(stack.brokers, 'match-events');
  });

  afterAll(async () => {
    recordSummary('overload', summary);
    await api?.stop();
    await stack?.stop();
  });

  const describeRun = (run: LoadResult, connections: number) => ({
    connections,
    seconds: round(run.durationMs / 1000),
    requests: run.requests,
    requestsPerSecond: Math.round(run.requests / (run.durationMs / 1000)),
    acceptedPerSecond: Math.round((run.statuses['202'] ?? 0) / (run.durationMs / 1000)),
    statuses: run.statuses,
    refusedEvents: run.refusedEvents,
    acceptedMs: latencySummary(run.latencies.get('202')),
    shedMs: latencySummary(run.latencies.get('503')),
  });
  const account = (run: LoadResult) => {
    acceptedEvents += run.acceptedEvents;
    ambiguousEvents += run.refusedEvents['kafka-timeout'] ?? 0;
  };

  it('baseline: 8 clients are all accepted', async () => {
    const rss = sampler(() => api.rssMiB());
    baseline = await closedLoopLoad({
      url: api.url,
      path: '/api/events',
      connections: 8,
      durationMs: 6000,
      warmupMs: 1000,
      body: single,
    });
    summary.baseline = { ...describeRun(baseline, 8), rssMiB: rss.stop() };
    account(baseline);
    expect(baseline.statuses).toEqual({ 202: baseline.requests });
  });

  it(`${OVERLOAD_CONNECTIONS} concurrent clients against MAX_IN_FLIGHT=${MAX_IN_FLIGHT}: the excess is shed with 503 + Retry-After, cheaply, memory bounded`, async () => {
    const rss = sampler(() => api.rssMiB());
    const before = await (await fetch(`${api.url}/metrics`)).text();
    overload = await closedLoopLoad({
      url: api.url,
      path: '/api/events',
      connections: OVERLOAD_CONNECTIONS,
      durationMs: 13_000,
      // the first seconds open 1000 sockets (beyond the listen backlog some wait for SYN retries): not counted
      warmupMs: 3_000,
      body: single,
    });
    const memory = rss.stop();
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    const server = {
      accepted: serverLatency(metrics, '/api/events', 202),
      shed: serverLatency(metrics, '/api/events', 503),
      acceptedBefore: serverLatency(before, '/api/events', 202).count,
    };
    summary.overloadSingles = {
      ...describeRun(overload, OVERLOAD_CONNECTIONS),
      rssMiB: memory,
      serverSideMs: server,
    };
    account(overload);
    const accepted = overload.latencies.get('202') ?? [];
    const shed = overload.latencies.get('503') ?? [];

    // Only 202 and 503: no timeouts, no resets, no 5xx of another kind.
    expect(Object.keys(overload.statuses).sort()).toEqual(['202', '503']);
    expect(overload.networkErrors).toEqual([]);
    // The excess was shed, and every 503 says when to come back, as a problem.
    expect(shed.length).toBeGreaterThan(accepted.length);
    expect(overload.missingRetryAfter).toBe(0);
    expect(overload.notProblemJson).toBe(0);
    expect(Object.keys(overload.refusedEvents)).toEqual(['overloaded']);
    // Refusing costs the server next to nothing, and is quicker for the client than being accepted.
    expect(server.shed.p50AtMostMs).toBeLessThanOrEqual(SHED_SERVER_P50_MS);
    expect(percentile(shed, 50)).toBeLessThan(percentile(accepted, 50));
    expect(memory.peak).toBeLessThan(RSS_LIMIT_MIB);
  });

  it.failing(
    'KNOWN DEFECT (apps/api load shedding; reported): under CPU-saturating overload, accepted requests keep their ' +
      `p99 within ${ACCEPTED_P99_TARGET_MS * 2} ms and at least half the baseline goodput: MAX_IN_FLIGHT bounds ` +
      'requests waiting for Kafka, not the event loop; when this test fails, the defect is fixed: turn it.failing into it',
    () => {
      const goodput = (run: LoadResult) => (run.statuses['202'] ?? 0) / run.durationMs;
      expect(percentile(overload.latencies.get('202') ?? [], 99)).toBeLessThan(ACCEPTED_P99_TARGET_MS * 2);
      expect(goodput(overload)).toBeGreaterThan(goodput(baseline) / 2);
    },
  );

  it('many clients with 500-event batches: only 202/503, Retry-After on every 503, memory bounded', async () => {
    const rss = sampler(() => api.rssMiB());
    const run = await closedLoopLoad({
      url: api.url,
      path: '/api/events/batch',
      connections: 300,
      durationMs: 8000,
      warmupMs: 1000,
      eventsPerRequest: 500,
      body: batch(500),
    });
    const memory = rss.stop();
    summary.overloadBatches = { ...describeRun(run, 300), eventsPerRequest: 500, rssMiB: memory };
    account(run);
    expect(Object.keys(run.statuses).sort()).toEqual(['202', '503']);
    expect(run.networkErrors).toEqual([]);
    expect(run.missingRetryAfter).toBe(0);
    expect(memory.peak).toBeLessThan(RSS_LIMIT_MIB);
  });

  it(`${MAX_IN_FLIGHT} clients with 4 MiB batch bodies: memory stays bounded by MAX_IN_FLIGHT × body size`, async () => {
    const pad = 'x'.repeat(3900);
    const bodies = Array.from({ length: 4 }, () =>
      JSON.stringify({
        events: Array.from({ length: 1000 }, (_, i) => ({
          ...events[i]!,
          eventId: crypto.randomUUID(),
          metadata: { pad },
        })),
      }),
    );
    let i = 0;
    const rssBefore = api.rssMiB() ?? 0;
    const rss = sampler(() => api.rssMiB(), 50);
    const run = await closedLoopLoad({
      url: api.url,
      path: '/api/events/batch',
      connections: MAX_IN_FLIGHT,
      durationMs: 10_000,
      eventsPerRequest: 1000,
      timeoutMs: 60_000,
      body: () => bodies[i++ % bodies.length]!,
    });
    const memory = rss.stop();
    summary.fatBatches = {
      ...describeRun(run, MAX_IN_FLIGHT),
      bodyBytes: bodies[0]!.length,
      rssMiB: { before: round(rssBefore), ...memory },
      // what one in-flight fat batch costs: the bound a MAX_IN_FLIGHT implies for batch traffic
      mibPerInFlightBatch: round((memory.peak - rssBefore) / MAX_IN_FLIGHT),
    };
    account(run);
    expect(Object.keys(run.statuses).every((s) => s === '202' || s === '503')).toBe(true);
    expect(run.networkErrors).toEqual([]);
    expect(run.missingRetryAfter).toBe(0);
    expect(memory.peak).toBeLessThan(FAT_BATCH_RSS_LIMIT_MIB);
  });

  it('recovers as soon as the load drops: every request accepted, fast, nothing left in flight', async () => {
    const client = new RawClient(api.url, 1);
    const latencies: number[] = [];
    const statuses: Record<number, number> = {};
    const started = Date.now();
    for (let n = 0; n < 200; n++) {
      const answer = await client.send({
        path: '/api/events',
        headers: { 'content-type': 'application/json' },
        body: single(),
      });
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      latencies.push(answer.ms);
    }
    await client.close();
    acceptedEvents += statuses[202] ?? 0;
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    const inFlight = Number(/^http_requests_in_flight(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1]);
    const ready = await fetch(`${api.url}/ready`);
    summary.recovery = {
      requests: 200,
      seconds: round((Date.now() - started) / 1000),
      statuses,
      latencyMs: latencySummary(latencies),
      inFlightAfter: inFlight,
      ready: ready.status,
      peakRssMiB: round(api.peakRssMiB() ?? NaN),
    };
    expect(statuses).toEqual({ 202: 200 });
    // the median back at its normal level; p99 is reported (on a shared 2-core machine it follows the neighbours)
    expect(percentile(latencies, 50)).toBeLessThan(ACCEPTED_P99_TARGET_MS);
    expect(ready.status).toBe(200);
    // the only request in flight is the /metrics scrape itself
    expect(inFlight).toBeLessThanOrEqual(1);
    // Every 202 of the whole scenario is in Kafka; of what was refused, only events whose produce timed out
    // (answered 503 while their batch was already with Kafka) may have landed, never what was shed.
    const written = (await topicMessageCount(stack.brokers, 'match-events')) - messagesBefore;
    summary.kafka = { acceptedEvents, ambiguousEvents, messagesWritten: written };
    expect(written).toBeGreaterThanOrEqual(acceptedEvents);
    expect(written).toBeLessThanOrEqual(acceptedEvents + ambiguousEvents);
  });
});
