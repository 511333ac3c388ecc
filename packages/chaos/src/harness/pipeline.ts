import type { ClickHouseClient } from '@clickhouse/client';
import {
  createClickHouseClient,
  detectCapabilities,
  ClickHouseStore,
  identifier,
  selectRows,
  sql,
  type ClickHouseCapabilities,
} from '@pitchpulse/clickhouse';
import { compareMetrics, type SimulationOptions, type SimulationResult } from '@pitchpulse/simulation';
import fs from 'node:fs';
import path from 'node:path';
import { round } from './http';
import { groupLag } from './kafka';
import { ConsumerSupervisor, sleep, startApiProcess, waitForKafka, type ApiProcess } from './process';
import { startPrivateStack, type PrivateStack } from './stack';
import { summaryDir } from './summary';

export const DATABASE = 'pitchpulse';
export const TOPICS = { events: 'match-events', retry: 'match-events.retry', dlq: 'match-events.dlq' };
/**
 * librdkafka's mock broker keeps at most 5 MiB per partition and deletes older messages beyond that (a size
 * retention, like a real broker's `retention.bytes`). With the pipeline's 6 partitions that is ≈ 90,000 events:
 * a consumer kept down by the faults for longer would lose the oldest to retention. 32 partitions hold ≈ 480,000
 * events, so what the tests measure is the pipeline, not the mock's retention.
 */
const EVENT_PARTITIONS = 32;
/** The pipeline counts as stuck when nothing (lag, stored count) moved for this long after the load. */
const STALL_MS = 60_000;

/** Seconds since `start()` at which things happened, for the summaries. */
export class Timeline {
  readonly events: Array<{ atS: number; event: string }> = [];
  private t0 = Date.now();

  start(): void {
    this.t0 = Date.now();
  }

  elapsedMs(): number {
    return Date.now() - this.t0;
  }

  /** A wall-clock time (e.g. a log line's) as ms since `start()`. */
  sinceStart(epochMs: number): number {
    return epochMs - this.t0;
  }

  note(event: string): void {
    this.events.push({ atS: round(this.elapsedMs() / 1000), event });
  }

  has(event: string): boolean {
    return this.events.some((e) => e.event === event);
  }
}

/** A private stack with the API and a supervised consumer running on it, as real processes. */
export interface Pipeline {
  stack: PrivateStack;
  /** The API process now running (a test that restarts it replaces it). */
  api: ApiProcess;
  consumers: ConsumerSupervisor;
  clickhouse: ClickHouseClient;
  /** Where the processes' logs go (`.local/chaos/logs/<scenario>`). */
  logDir: string;
  timeline: Timeline;
  stop(): Promise<void>;
}

/** Starts the stack, the API (connected to Kafka) and the consumer (started), logs under the scenario's name. */
export async function startPipeline(name: string, apiEnv: Record<string, string> = {}): Promise<Pipeline> {
  const logDir = path.join(summaryDir(), 'logs', name);
  fs.rmSync(logDir, { recursive: true, force: true });
  const timeline = new Timeline();
  const stack = await startPrivateStack(name, [
    { name: TOPICS.events, partitions: EVENT_PARTITIONS },
    { name: TOPICS.retry, partitions: 3 },
    { name: TOPICS.dlq, partitions: 1 },
  ]);
  const api = await startApiProcess({ ...stack.env, ...apiEnv }, path.join(logDir, 'api.log'));
  const consumers = new ConsumerSupervisor(
    { ...stack.env, CLICKHOUSE_POLL_MS: '500' },
    () => timeline.elapsedMs(),
    logDir,
  );
  const clickhouse = createClickHouseClient({ url: stack.clickhouseUrl, database: DATABASE });
  const pipeline: Pipeline = {
    stack,
    api,
    consumers,
    clickhouse,
    logDir,
    timeline,
    async stop() {
      await consumers.stop();
      await clickhouse.close();
      await pipeline.api.stop();
      await stack.stop();
    },
  };
  try {
    await waitForKafka(api);
    consumers.start();
    await consumers.process!.waitForLog(
      (line) => (line.msg === 'consumer started' ? true : undefined),
      60_000,
    );
  } catch (err) {
    await pipeline.stop();
    throw err;
  }
  return pipeline;
}

/** The simulator's load of the fault scenarios: 100-event batches from 8 clients, retried like a real client. */
export function simulatedLoad(
  url: string,
  options: Pick<SimulationOptions, 'matches' | 'rate' | 'seed'> & Partial<SimulationOptions>,
): SimulationOptions {
  return {
    url,
    batch: 100,
    concurrency: 8,
    kickoff: new Date('2026-06-11T19:00:00Z'),
    invalidShare: 0.002,
    duplicateShare: 0.01,
    retry: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5000 },
    timeoutMs: 15_000,
    ...options,
  };
}

/**
 * The most events whose outcome can end unknown: at each fault moment the simulator has at most `concurrency`
 * requests outstanding (each worker awaits its request, retries included), each of at most `batch` events, and
 * only a request that had an attempt fail ambiguously (broken connection, 5xx, timeout) can end unknown. Holds
 * when the client's retries outlast each fault (then no request started after a fault runs out of attempts).
 */
export function unknownBound(load: SimulationOptions, faultMoments: number): number {
  return faultMoments * load.concurrency * (load.batch ?? 1);
}

/**
 * Waits for the pipeline to drain: committed offsets at the end of both topics, stored count steady and at least
 * `acceptedCount`. Gives up when nothing has moved for STALL_MS (the ledger then says what is missing).
 */
export async function waitForDrain(
  pipeline: Pipeline,
  acceptedCount: number,
): Promise<{ lags: number[]; seconds: number }> {
  const started = Date.now();
  const { brokers } = pipeline.stack;
  let storedIds = -1;
  let lags = [-1, -1];
  let lastChange = Date.now();
  for (let stable = 0; stable < 2 && Date.now() - lastChange < STALL_MS;) {
    await sleep(2000);
    const [lag, retryLag, ids] = await Promise.all([
      groupLag(brokers, 'pitchpulse-consumer', TOPICS.events).catch(() => -1),
      groupLag(brokers, 'pitchpulse-retry', TOPICS.retry).catch(() => -1),
      distinctStored(pipeline.clickhouse).catch(() => -1),
    ]);
    if (ids !== storedIds || lag !== lags[0] || retryLag !== lags[1]) lastChange = Date.now();
    stable = lag === 0 && retryLag === 0 && ids === storedIds && ids >= acceptedCount ? stable + 1 : 0;
    storedIds = ids;
    lags = [lag, retryLag];
  }
  pipeline.timeline.note(
    lags[0] === 0 && lags[1] === 0 ? 'pipeline drained' : `pipeline stuck (lag ${lags.join('/')})`,
  );
  return { lags, seconds: round((Date.now() - started) / 1000) };
}

/** What ClickHouse holds against the simulator's ledger (see auditStored). */
export interface StoredAudit {
  counts: {
    distinct: number;
    rawRows: number;
    duplicateRows: number;
    /** Sum of every match's `totalEvents` in the metrics views. */
    viewTotal: number;
    acceptedMissing: number;
    storedUnacknowledged: number;
    storedUnplanned: number;
  };
  /** Accepted (202) events not in ClickHouse. */
  missingIds: string[];
  /** The same, by tenth of the send order (≈ tenth of the run). */
  missingByTenth: number[];
  /** Per match: views against the ground truth and the raw distinct count; unacknowledged beyond the unknown. */
  mismatches: string[];
}

/**
 * The ledger: every planned valid event, what the client learnt about it (202, unknown, refused) and what
 * ClickHouse holds, raw rows and metrics views alike. Writes the missing eventIds next to the logs, if any.
 */
export async function auditStored(pipeline: Pipeline, sim: SimulationResult): Promise<StoredAudit> {
  const { plan, truth } = sim;
  const caps = await detectCapabilities(pipeline.clickhouse);
  const stored = await storedByMatch(pipeline.clickhouse, caps);
  const planned = new Map<string, { matchId: string; accepted: boolean; position: number }>();
  plan.items.forEach((item, position) => {
    if (item.kind === 'valid' && item.event) {
      planned.set(item.event.eventId, {
        matchId: item.event.matchId,
        accepted: truth.isAccepted(item.event),
        position,
      });
    }
  });
  const counts = {
    distinct: 0,
    rawRows: 0,
    duplicateRows: 0,
    viewTotal: 0,
    acceptedMissing: 0,
    storedUnacknowledged: 0,
    storedUnplanned: 0,
  };
  const unacknowledgedByMatch = new Map<string, number>();
  for (const [matchId, ids] of stored) {
    counts.distinct += ids.size;
    for (const [eventId, copies] of ids) {
      counts.rawRows += copies;
      counts.duplicateRows += copies - 1;
      const known = planned.get(eventId);
      if (!known || known.matchId !== matchId) counts.storedUnplanned++;
      else if (!known.accepted) {
        counts.storedUnacknowledged++;
        unacknowledgedByMatch.set(matchId, (unacknowledgedByMatch.get(matchId) ?? 0) + 1);
      }
    }
  }
  const missingIds: string[] = [];
  const missingByTenth = new Array<number>(10).fill(0);
  for (const [eventId, { matchId, accepted, position }] of planned) {
    if (!accepted || stored.get(matchId)?.has(eventId)) continue;
    missingIds.push(eventId);
    missingByTenth[Math.floor((position / plan.items.length) * 10)]!++;
  }
  counts.acceptedMissing = missingIds.length;
  if (missingIds.length > 0) {
    fs.writeFileSync(path.join(pipeline.logDir, 'missing-event-ids.json'), JSON.stringify(missingIds));
  }

  const store = new ClickHouseStore(pipeline.clickhouse, caps);
  const mismatches: string[] = [];
  for (const matchId of truth.matchIds()) {
    const expectation = truth.expectation(matchId);
    const metrics = (await store.metrics(matchId)).value;
    const distinct = stored.get(matchId)?.size ?? 0;
    counts.viewTotal += metrics?.totalEvents ?? 0;
    const comparison = compareMetrics(expectation, metrics);
    if (!comparison.pass) mismatches.push(`${matchId}: ${comparison.problems.join('; ')}`);
    if ((metrics?.totalEvents ?? 0) !== distinct) {
      mismatches.push(
        `${matchId}: views count ${metrics?.totalEvents}, raw table holds ${distinct} distinct`,
      );
    }
    if ((unacknowledgedByMatch.get(matchId) ?? 0) > expectation.unknown) {
      mismatches.push(
        `${matchId}: ${unacknowledgedByMatch.get(matchId)} stored events were never acknowledged, ` +
          `but only ${expectation.unknown} ended ambiguously`,
      );
    }
  }
  return { counts, missingIds, missingByTenth, mismatches };
}

/**
 * The promise every fault scenario keeps: each valid event ended acknowledged, unknown or certainly refused;
 * every 202 is in ClickHouse exactly once in every count (distinct ids, views); only events whose request ended
 * ambiguously may be stored without a 202, and there are at most `maxUnknown` of them.
 */
export function expectAcknowledgedStoredOnce(
  sim: SimulationResult,
  audit: StoredAudit,
  drain: { lags: number[] },
  maxUnknown: number,
): void {
  const { events } = sim.report;
  expect(sim.report.run.aborted).toBeNull();
  expect(events.accepted + events.unknown + events.notDelivered).toBe(events.generated);
  expect(events.rejectedUnexpectedly).toBe(0);
  expect(events.acceptedUnexpectedly).toBe(0);
  // An invalid event in a request a fault cut got no verdict: it counts against the bound like a valid one.
  expect(events.unknown + events.invalidUnknown).toBeLessThanOrEqual(maxUnknown);
  expect(sim.truth.unknownCount).toBeLessThanOrEqual(maxUnknown);
  expect(drain.lags).toEqual([0, 0]);
  expect(audit.counts.acceptedMissing).toBe(0);
  expect(audit.counts.storedUnplanned).toBe(0);
  expect(audit.mismatches).toEqual([]);
  expect(audit.counts.viewTotal).toBe(audit.counts.distinct);
  expect(audit.counts.storedUnacknowledged).toBeLessThanOrEqual(sim.truth.unknownCount);
}

/** The simulator's report as the summaries show it. */
export function describeLoad(sim: SimulationResult) {
  const { report } = sim;
  return {
    load: {
      seconds: round(report.run.elapsedMs / 1000),
      eventsSentPerSecond: report.throughput.eventsPerSecond,
      acceptedPerSecond: report.throughput.acceptedPerSecond,
      requests: report.requests,
      latencyMs: report.latencyMs,
    },
    events: report.events,
    statuses: Object.fromEntries(report.statusCodes.map((r) => [r.status, r.count])),
  };
}

/** Distinct events in the raw table. */
async function distinctStored(client: ClickHouseClient): Promise<number> {
  const caps = await detectCapabilities(client);
  const [row] = await selectRows<{ n: number | string }>(
    client,
    caps,
    sql`SELECT uniqExact(event_id) AS n FROM ${identifier(DATABASE, 'events')}`,
  );
  return Number(row?.n ?? 0);
}

/** matchId → eventId → rows holding it (18.16 has no insert deduplication: redeliveries show as copies). */
async function storedByMatch(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
): Promise<Map<string, Map<string, number>>> {
  const rows = await selectRows<{ match_id: string; event_id: string; copies: number | string }>(
    client,
    caps,
    sql`SELECT match_id, event_id, count() AS copies FROM ${identifier(DATABASE, 'events')}
        GROUP BY match_id, event_id`,
  );
  const out = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const ids = out.get(row.match_id) ?? new Map<string, number>();
    ids.set(row.event_id, Number(row.copies));
    out.set(row.match_id, ids);
  }
  return out;
}
