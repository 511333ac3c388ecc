import Table from 'cli-table3';
import { FEED_RULES, type FeedRule } from '@pitchpulse/contract';
import type { LatencySummary } from './latency';

/** `count` per second over `elapsedMs`, rounded to one decimal; 0 for an empty interval. */
export function perSecond(count: number, elapsedMs: number): number {
  if (!(elapsedMs > 0)) return 0;
  return Math.round((count / (elapsedMs / 1000)) * 10) / 10;
}

/** `part` as a percentage of `whole`, two decimals; 0 when `whole` is 0. */
export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0;
}

export interface StatusRow {
  /** `202`, `429`, … or `network error`. */
  status: string;
  count: number;
  /** Share of all responses, in percent. */
  share: number;
}

/** Status counts as rows: numeric codes ascending, anything else (network errors) last; shares add up to ~100. */
export function statusTable(counts: Readonly<Record<string, number>>): StatusRow[] {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const order = (s: string): number => (/^\d+$/.test(s) ? Number(s) : Number.MAX_SAFE_INTEGER);
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .map(([status, count]) => ({ status, count, share: percent(count, total) }));
}

export interface SimulationReport {
  run: {
    url: string;
    seed: number;
    kickoff: string;
    matches: number;
    /** Wall seconds one match takes; null = as fast as possible. */
    durationSeconds: number | null;
    targetRate: number | null;
    batch: number | null;
    concurrency: number;
    startedAt: string;
    elapsedMs: number;
    aborted: string | null;
  };
  events: {
    /** Valid, distinct events the model generated. */
    generated: number;
    /** Distinct valid events acknowledged with 202. */
    accepted: number;
    duplicatesSent: number;
    duplicatesAccepted: number;
    invalidSent: number;
    /** Invalid events refused with 4xx, as they should be. */
    invalidRejected: number;
    /** Invalid events whose request got no verdict but may have reached the API (5xx, timeouts, a cut connection). */
    invalidUnknown: number;
    /** Invalid events certainly not delivered (rate limited to the end, connection refused, aborted run). */
    invalidNotDelivered: number;
    /** Valid events the API refused (a bug in the API or the simulator). */
    rejectedUnexpectedly: number;
    /** Invalid events the API acknowledged (a bug in the API). */
    acceptedUnexpectedly: number;
    /** Valid events that might have been stored (5xx, timeouts): never in the ground truth. */
    unknown: number;
    /** Valid events certainly not stored (rate limited to the end, connection refused, aborted run). */
    notDelivered: number;
  };
  /** Retractions of disallowed goals (--retract-share). */
  retractions: {
    planned: number;
    /** Retractions whose request was made. */
    sent: number;
    /** Acknowledged with 202: their goals count nowhere. */
    accepted: number;
    /** Refused with 4xx (a bug in the API or the simulator). */
    rejectedUnexpectedly: number;
    /** Might have been stored (5xx, timeouts): their goals may or may not count. */
    unknown: number;
    /** Certainly not stored (rate limited to the end, connection refused, aborted run). */
    notDelivered: number;
  };
  /** Feed-integrity anomalies injected (--inject-anomalies): how many matches got each kind; empty without. */
  anomalies: Partial<Record<FeedRule, number>>;
  throughput: { acceptedPerSecond: number; eventsPerSecond: number; requestsPerSecond: number };
  requests: { total: number; retries: number };
  latencyMs: LatencySummary;
  /**
   * Paced runs only (--duration/--rate): how late events were sent compared with when they were due. A high
   * figure means the API (or the client) could not keep up, and the run took longer than planned.
   */
  scheduleLagMs: LatencySummary | null;
  statusCodes: StatusRow[];
  /** A few examples of unexpected outcomes, for a human to read. */
  samples: string[];
}

const plainTable = (head: string[], aligns: Array<'left' | 'right'>): Table.Table =>
  new Table({ head, colAligns: aligns, style: { head: [], border: [], compact: true } });

const n = (x: number): string => x.toLocaleString('en-US');

export function formatSimulationReport(r: SimulationReport): string {
  const e = r.events;
  const lines: string[] = [];
  const mode = [
    r.run.durationSeconds === null ? 'as fast as possible' : `${r.run.durationSeconds} s per match`,
    r.run.targetRate === null ? null : `target ${n(r.run.targetRate)} events/s`,
    r.run.batch === null ? 'single POSTs' : `batches of ≤ ${r.run.batch}`,
    `concurrency ${r.run.concurrency}`,
  ].filter(Boolean);
  lines.push(`Simulation report — ${r.run.url}`);
  lines.push(
    `  seed ${r.run.seed} · kickoff ${r.run.kickoff} · ${r.run.matches} matches · ${mode.join(' · ')}`,
  );
  if (r.run.aborted) lines.push(`  ABORTED: ${r.run.aborted}`);
  lines.push('');
  const events = plainTable(['events', 'count', 'share'], ['left', 'right', 'right']);
  events.push(
    ['generated (distinct, valid)', n(e.generated), ''],
    ['accepted (202)', n(e.accepted), `${percent(e.accepted, e.generated)} %`],
    [
      'rejected unexpectedly (valid → 4xx)',
      n(e.rejectedUnexpectedly),
      `${percent(e.rejectedUnexpectedly, e.generated)} %`,
    ],
    ['undelivered: unknown (5xx, timeout)', n(e.unknown), `${percent(e.unknown, e.generated)} %`],
    ['undelivered: certainly not stored', n(e.notDelivered), `${percent(e.notDelivered, e.generated)} %`],
    ['duplicates re-sent / acknowledged', `${n(e.duplicatesSent)} / ${n(e.duplicatesAccepted)}`, ''],
    ['invalid sent / rejected (expected 4xx)', `${n(e.invalidSent)} / ${n(e.invalidRejected)}`, ''],
    ['invalid unknown / certainly not stored', `${n(e.invalidUnknown)} / ${n(e.invalidNotDelivered)}`, ''],
    ['invalid accepted unexpectedly', n(e.acceptedUnexpectedly), ''],
  );
  const t = r.retractions;
  if (t.planned > 0) {
    events.push(
      [
        'retractions sent / accepted (202)',
        `${n(t.sent)} / ${n(t.accepted)}`,
        `${percent(t.accepted, t.planned)} %`,
      ],
      [
        'retractions refused / unknown / not stored',
        `${n(t.rejectedUnexpectedly)} / ${n(t.unknown)} / ${n(t.notDelivered)}`,
        '',
      ],
    );
  }
  lines.push(events.toString());
  const injected = FEED_RULES.filter((kind) => (r.anomalies[kind] ?? 0) > 0);
  if (injected.length > 0) {
    const each = injected.map((kind) => `${kind} ${n(r.anomalies[kind]!)}`);
    lines.push(`Anomalies injected (matches): ${each.join(' · ')}`);
  }
  lines.push('');
  lines.push(
    `Throughput: ${(r.run.elapsedMs / 1000).toFixed(1)} s · ${n(r.throughput.acceptedPerSecond)} accepted events/s · ` +
      `${n(r.throughput.eventsPerSecond)} events sent/s · ${n(r.throughput.requestsPerSecond)} requests/s · ` +
      `${n(r.requests.total)} requests (${n(r.requests.retries)} retries)`,
  );
  const l = r.latencyMs;
  lines.push(
    `Latency per request (ms): p50 ${l.p50} · p95 ${l.p95} · p99 ${l.p99} · max ${l.max} · mean ${l.mean}`,
  );
  if (r.scheduleLagMs) {
    const g = r.scheduleLagMs;
    lines.push(`Sent behind schedule (ms): p50 ${g.p50} · p99 ${g.p99} · max ${g.max}`);
  }
  lines.push('');
  const statuses = plainTable(['status', 'responses', 'share'], ['left', 'right', 'right']);
  for (const row of r.statusCodes) statuses.push([row.status, n(row.count), `${row.share} %`]);
  lines.push(statuses.toString());
  if (r.samples.length > 0) {
    lines.push('', 'Unexpected outcomes (examples):', ...r.samples.map((s) => `  - ${s}`));
  }
  return lines.join('\n');
}
