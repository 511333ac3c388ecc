import type { FeedRule, Retraction } from '@pitchpulse/contract';
import type { EventOutcome } from '../http/ingest-client';
import type { RetryPolicy } from '../http/retry';
import { SourceClients } from '../http/sources';
import { LatencyRecorder } from '../stats/latency';
import { perSecond, statusTable, type SimulationReport } from '../stats/report';
import { GroundTruth } from '../truth/ground-truth';
import type { AnomalyOptions } from './anomalies';
import { planRun, type Outgoing, type RunPlan } from './plan';
import { WorkQueue } from './queue';

export interface SimulationOptions {
  url: string;
  matches: number;
  /** Wall seconds one match takes (match-time compression); undefined = as fast as possible. */
  durationSeconds?: number;
  /** Cap on events per second over the whole run; undefined = no cap. */
  rate?: number;
  /** Events per request through the batch endpoint; undefined = one POST per event. */
  batch?: number;
  concurrency: number;
  apiKey?: string;
  seed: number;
  /** Kick-off of every match; default: honest timestamps (see PlanOptions.kickoff). */
  kickoff?: Date;
  invalidShare: number;
  duplicateShare: number;
  /** Share (0–1) of goals disallowed and retracted about a minute of play later; default 0. */
  retractShare?: number;
  /** Feed-integrity anomalies to inject (--inject-anomalies); default none. */
  anomalies?: AnomalyOptions;
  /** The plan, when the caller made it already (to show its kick-off first); default: planned from these options. */
  plan?: RunPlan;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Called for every answer (each attempt, retries included) as it arrives: its status and latency. */
  onResponse?: (status: number | 'network', latencyMs: number) => void;
  /** Called about four times a second while the run goes on. */
  onProgress?: (progress: Progress) => void;
  /** Abort the run early (e.g. on Ctrl-C); what is in flight finishes, the rest counts as not delivered. */
  signal?: AbortSignal;
}

export interface Progress {
  /** Events (and retractions) whose fate is known (valid, invalid, duplicates, retractions). */
  done: number;
  /** Events planned (valid + invalid + duplicates to re-send + retractions). */
  total: number;
  accepted: number;
  /** Requests per second over the last second. */
  requestsPerSecond: number;
  /** Responses that were neither 2xx nor an expected 4xx, plus network errors. */
  errors: number;
  p99: number;
  elapsedMs: number;
}

export interface SimulationResult {
  report: SimulationReport;
  truth: GroundTruth;
  plan: RunPlan;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The plan of a run from its options, sending from now. */
function planOf(options: SimulationOptions): RunPlan {
  return (
    options.plan ??
    planRun({
      ...options,
      startAt: new Date(),
      durationMs: options.durationSeconds !== undefined ? options.durationSeconds * 1000 : undefined,
    })
  );
}

/** The requests for items taken together: one per source and route, events before retractions (causes first). */
function requestGroups(items: readonly Outgoing[]): Outgoing[][] {
  const groups = new Map<string, Outgoing[]>();
  for (const item of items) {
    const key = `${item.kind === 'retraction' ? 1 : 0}:${item.source ?? 0}`;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([, group]) => group);
}

/** The match of a valid event or a retraction the producer queued: what a duplicate storm waits for. */
function awaitedMatchOf(item: Outgoing): string | undefined {
  if (item.kind === 'valid') return item.event!.matchId;
  return item.kind === 'retraction' ? item.retraction!.matchId : undefined;
}

/** How many matches got each injected anomaly. */
function countInjected(injected: ReadonlyMap<string, FeedRule>): Partial<Record<FeedRule, number>> {
  const counts: Partial<Record<FeedRule, number>> = {};
  for (const kind of injected.values()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** An outcome as a sample line says it: `400 /teamId: must be 1 or 2`, `202`, `503: …`. */
function describeOutcome(outcome: EventOutcome): string {
  if (outcome.kind === 'rejected')
    return `${outcome.status} ${outcome.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') ?? outcome.detail ?? ''}`;
  return outcome.kind === 'accepted' ? '202' : `${outcome.status}: ${outcome.reason}`;
}

/** Runs one load test: plans the matches, sends every event, keeps the ground truth and the report figures. */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const plan = planOf(options);
  const truth = new GroundTruth();
  for (const match of plan.matches) truth.track(match.matchId, plan.injected.get(match.matchId));

  const latency = new LatencyRecorder();
  const statuses: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const clients = new SourceClients({
    url: options.url,
    apiKey: options.apiKey,
    connections: options.concurrency,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    observe: (status, ms) => {
      requests++;
      const key = status === 'network' ? 'network error' : String(status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (
        status === 'network' ||
        status >= 500 ||
        status === 429 ||
        status === 401 ||
        status === 403 ||
        status === 404
      )
        errors++;
      latency.record(ms);
      options.onResponse?.(status, ms);
    },
  });

  const e = {
    accepted: 0,
    duplicatesSent: 0,
    duplicatesAccepted: 0,
    invalidSent: 0,
    invalidRejected: 0,
    invalidUnknown: 0,
    invalidNotDelivered: 0,
    rejectedUnexpectedly: 0,
    acceptedUnexpectedly: 0,
    unknown: 0,
    notDelivered: 0,
  };
  const retractionCounts = {
    planned: plan.retractions,
    sent: 0,
    accepted: 0,
    rejectedUnexpectedly: 0,
    unknown: 0,
    notDelivered: 0,
  };
  const samples: string[] = [];
  const sample = (text: string): void => {
    if (samples.length < 10) samples.push(text);
  };
  let done = 0;
  let validRefused = 0;
  let sends = 0;
  let aborted: string | null = null;
  const abort = (reason: string): void => {
    if (aborted === null) aborted = reason;
    queue.wake();
  };
  options.signal?.addEventListener('abort', () => abort('interrupted'), { once: true });

  /**
   * 401, 403 and 404 refuse the caller (its key, the URL), not the item: the run cannot go on, and the item was
   * certainly not stored. Aborts on those; answers the outcome to count.
   */
  const judgeCaller = (answer: EventOutcome, whenNotFound: string): EventOutcome => {
    if (answer.kind === 'not-delivered' && answer.reason.startsWith('EADDRNOTAVAIL')) {
      abort(
        `a separate source cannot bind its loopback address (${answer.reason}): Linux routes 127.0.0.0/8 to ` +
          'loopback; elsewhere add 127.0.0.2, … to the loopback interface',
      );
    }
    if (answer.kind !== 'rejected' || ![401, 403, 404].includes(answer.status)) return answer;
    abort(
      answer.status === 404
        ? whenNotFound
        : `the API answered ${answer.status} (${answer.detail ?? 'API key'}): pass a valid --api-key`,
    );
    return { kind: 'not-delivered', status: answer.status, reason: `HTTP ${answer.status}` };
  };

  const settle = (item: Outgoing, answer: EventOutcome): void => {
    done++;
    const outcome = judgeCaller(
      answer,
      `the API answered 404 for the ingest route: is ${options.url} the PitchPulse API?`,
    );
    if (item.kind === 'invalid') {
      e.invalidSent++;
      switch (outcome.kind) {
        case 'rejected':
          e.invalidRejected++;
          break;
        case 'unknown':
          e.invalidUnknown++;
          break;
        case 'not-delivered':
          e.invalidNotDelivered++;
          break;
        case 'accepted':
          e.acceptedUnexpectedly++;
          sample(`invalid event accepted: ${JSON.stringify(item.body).slice(0, 200)}`);
          break;
      }
      return;
    }
    const event = item.event!;
    if (item.kind === 'duplicate') {
      e.duplicatesSent++;
      // A planned re-send (duplicate storm) may be the first to get through: the truth counts it by eventId.
      if (outcome.kind === 'accepted') {
        e.duplicatesAccepted++;
        truth.recordAccepted(event);
      } else if (outcome.kind === 'unknown') truth.recordUnknown(event);
      else if (outcome.kind === 'rejected') {
        e.rejectedUnexpectedly++;
        sample(`duplicate of ${event.eventId} refused: ${describeOutcome(outcome)}`);
      }
      return;
    }
    switch (outcome.kind) {
      case 'accepted':
        truth.recordAccepted(event);
        e.accepted++;
        if (item.resend && aborted === null) {
          queue.push({ item: { ...item, kind: 'duplicate', resend: false }, dueAt: performance.now() });
        }
        break;
      case 'unknown':
        truth.recordUnknown(event);
        e.unknown++;
        break;
      case 'not-delivered':
        e.notDelivered++;
        break;
      case 'rejected':
        e.rejectedUnexpectedly++;
        validRefused++;
        sample(`valid ${event.eventType} ${event.eventId} refused: ${describeOutcome(outcome)}`);
        break;
    }
  };

  const settleRetraction = (retraction: Retraction, answer: EventOutcome): void => {
    done++;
    retractionCounts.sent++;
    const outcome = judgeCaller(
      answer,
      `the API answered 404 for POST /api/retractions: does ${options.url} take retractions? (run without --retract-share)`,
    );
    switch (outcome.kind) {
      case 'accepted':
        truth.recordRetractionAccepted(retraction);
        retractionCounts.accepted++;
        break;
      case 'unknown':
        truth.recordRetractionUnknown(retraction);
        retractionCounts.unknown++;
        break;
      case 'not-delivered':
        retractionCounts.notDelivered++;
        break;
      case 'rejected':
        retractionCounts.rejectedUnexpectedly++;
        sample(`retraction of ${retraction.eventId} refused: ${describeOutcome(outcome)}`);
        break;
    }
  };

  const queue = new WorkQueue<{ item: Outgoing; dueAt: number }>();
  /** How late events left compared with when they were due (a slow API makes a paced run fall behind). */
  const lag = new LatencyRecorder();
  const maxQueued = Math.max(1000, options.concurrency * (options.batch ?? 1) * 4);
  let inFlight = 0;
  let producing = true;
  /** Per match, its valid events and retractions queued but not yet answered. */
  const unanswered = new Map<string, number>();
  const countUnanswered = (item: Outgoing, delta: number): void => {
    const matchId = awaitedMatchOf(item);
    if (matchId !== undefined) unanswered.set(matchId, (unanswered.get(matchId) ?? 0) + delta);
  };
  const allAnswered = async (matchId: string): Promise<void> => {
    while ((unanswered.get(matchId) ?? 0) > 0 && aborted === null) await queue.changed();
  };
  const started = Date.now();
  const durationMs = options.durationSeconds !== undefined ? options.durationSeconds * 1000 : undefined;

  const producer = async (): Promise<void> => {
    let nextAllowed = performance.now();
    const interval = options.rate ? 1000 / options.rate : 0;
    const t0 = performance.now();
    for (const item of plan.items) {
      if (aborted !== null) break;
      // When the event is due: its place on the compressed match clock, and no earlier than its rate slot.
      let dueAt = performance.now();
      if (durationMs !== undefined) {
        dueAt = t0 + item.at * durationMs;
        const wait = dueAt - performance.now();
        if (wait > 2) await sleep(wait);
      }
      // --rate paces the regular source; an anomaly's own source keeps its schedule.
      if (interval > 0 && item.source === undefined) {
        nextAllowed = Math.max(nextAllowed + interval, performance.now() - 50);
        dueAt = Math.max(dueAt, nextAllowed);
        const wait = nextAllowed - performance.now();
        if (wait > 2) await sleep(wait);
      }
      if (item.awaitMatch) await allAnswered(item.event!.matchId);
      while (queue.length >= maxQueued && aborted === null) await queue.changed();
      countUnanswered(item, 1);
      queue.push({ item, dueAt });
    }
    producing = false;
    queue.wake();
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (aborted !== null) return;
      if (queue.length === 0) {
        if (!producing && inFlight === 0) return;
        await queue.changed();
        continue;
      }
      const taken = queue.take(options.batch ?? 1);
      queue.wake(); // the producer may wait for room
      const sendAt = performance.now();
      for (const { dueAt } of taken) lag.record(Math.max(0, sendAt - dueAt));
      inFlight++;
      try {
        for (const group of requestGroups(taken.map((t) => t.item))) {
          await (group[0]!.kind === 'retraction' ? sendRetractions(group) : sendEvents(group));
          for (const item of group) countUnanswered(item, -1);
        }
      } finally {
        inFlight--;
        queue.wake();
      }
    }
  };

  const sendEvents = async (items: Outgoing[]): Promise<void> => {
    sends++;
    const client = clients.of(items[0]!.source);
    if (options.batch === undefined) {
      settle(items[0]!, await client.sendEvent(items[0]!.body));
      return;
    }
    const outcomes = await client.sendBatch(items.map((i) => i.body));
    items.forEach((item, i) => settle(item, outcomes[i]!));
  };

  const sendRetractions = async (items: Outgoing[]): Promise<void> => {
    sends++;
    const client = clients.of();
    const retractions = items.map((item) => item.retraction!);
    if (options.batch === undefined) {
      settleRetraction(retractions[0]!, await client.sendRetraction(retractions[0]));
      return;
    }
    const outcomes = await client.sendRetractionBatch(retractions);
    retractions.forEach((retraction, i) => settleRetraction(retraction, outcomes[i]!));
  };

  let lastRequests = 0;
  let lastTick = performance.now();
  let windowRate = 0;
  const total = plan.items.length + plan.duplicatesPlanned;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - lastTick >= 1000) {
      windowRate = Math.round(((requests - lastRequests) * 1000) / (now - lastTick));
      lastRequests = requests;
      lastTick = now;
    }
    const elapsed = Date.now() - started;
    options.onProgress?.({
      done,
      total,
      accepted: e.accepted,
      // Over the last whole second; in the first second, since the start.
      requestsPerSecond: elapsed < 1000 ? Math.round(perSecond(requests, elapsed)) : windowRate,
      errors,
      p99: latency.percentile(99),
      elapsedMs: Date.now() - started,
    });
  }, 250);

  try {
    await Promise.all([producer(), ...Array.from({ length: options.concurrency }, () => worker())]);
  } finally {
    clearInterval(ticker);
    await clients.close();
  }
  const elapsedMs = Date.now() - started;
  // Whatever the run did not get to (aborted) was certainly not stored.
  e.notDelivered += Math.max(0, plan.generated - (e.accepted + e.unknown + e.notDelivered + validRefused));
  e.invalidNotDelivered += Math.max(0, plan.invalid - e.invalidSent);
  retractionCounts.notDelivered += Math.max(0, retractionCounts.planned - retractionCounts.sent);
  options.onProgress?.({
    done,
    total: done,
    accepted: e.accepted,
    requestsPerSecond: Math.round(perSecond(requests, elapsedMs)),
    errors,
    p99: latency.percentile(99),
    elapsedMs,
  });

  const report: SimulationReport = {
    run: {
      url: options.url,
      seed: options.seed,
      kickoff: plan.kickoff.toISOString(),
      matches: options.matches,
      durationSeconds: options.durationSeconds ?? null,
      targetRate: options.rate ?? null,
      batch: options.batch ?? null,
      concurrency: options.concurrency,
      startedAt: new Date(started).toISOString(),
      elapsedMs,
      aborted,
    },
    events: { generated: plan.generated, ...e },
    retractions: retractionCounts,
    anomalies: countInjected(plan.injected),
    throughput: {
      acceptedPerSecond: perSecond(e.accepted, elapsedMs),
      eventsPerSecond: perSecond(done, elapsedMs),
      requestsPerSecond: perSecond(requests, elapsedMs),
    },
    requests: { total: requests, retries: Math.max(0, requests - sends) },
    latencyMs: latency.summary(),
    scheduleLagMs: durationMs !== undefined || options.rate !== undefined ? lag.summary() : null,
    statusCodes: statusTable(statuses),
    samples,
  };
  return { report, truth, plan };
}
