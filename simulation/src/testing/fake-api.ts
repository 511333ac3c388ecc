import {
  EVENT_TYPES,
  FEED_RULES,
  problemTypeUri,
  type BatchAccepted,
  type EventAccepted,
  type FeedRule,
  type FieldError,
  type MatchAnomalies,
  type MatchEvent,
  type MatchRetractions,
  type ProblemBody,
  type Retraction,
} from '@pitchpulse/contract';
import type { MetricsFigures } from '../verify/compare';
import {
  validateBatch,
  validateEvent,
  validateRetraction,
  validateRetractionBatch,
  type BatchValidation,
  type ValidationResult,
} from '@pitchpulse/events';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A planned answer: the next `count` ingest requests (events or retractions; of one route only with `route`) answer
 * `status` (optionally after storing what they carry). A 2xx status means "handle normally", to place failures
 * exactly in a sequence.
 */
interface Fault {
  /** Only requests to this path, e.g. `/api/retractions/batch`; default every ingest route. */
  route?: string;
  count: number;
  status: number;
  retryAfter?: string;
  /** Store what the request carries anyway before failing: the ambiguous case a client must count as "unknown". */
  landed?: boolean;
}

/** What an ingest route takes in: events or retractions, one per request or in batches. */
interface Intake<T extends { eventId: string }> {
  /** The batch body's array, e.g. `events` in `{events: [...]}`. */
  field: 'events' | 'retractions';
  problem: { type: 'invalid-event' | 'invalid-retraction'; title: string };
  validateOne(input: unknown): ValidationResult<T>;
  validateMany(input: unknown): ValidationResult<BatchValidation<T>>;
  keep(items: T[]): void;
}

/**
 * A stand-in for the PitchPulse API in unit tests of the simulator and the importer: the real contract validator,
 * deduplication by eventId, the batch answer shape, retractions (every figure leaves a retracted event out, in
 * any order), failure injection, and metrics computed from what it stored. It records every request it received
 * (with the client address it came from), so tests can see exactly what was sent. It runs no feed-integrity rule:
 * a test says what is flagged (`flag`), and the anomalies and `flaggedEvents` it serves follow.
 */
export class FakeApi {
  readonly stored = new Map<string, MatchEvent>();
  /** eventIds of every event received in a request that was answered 2xx, in arrival order (duplicates kept). */
  readonly acknowledged: string[] = [];
  /** The first retraction of each eventId, with when it arrived. */
  readonly retractions = new Map<string, { retraction: Retraction; retractedAt: string }>();
  /** A broken pipeline: retractions are acknowledged (202), then forgotten. */
  ignoreRetractions = false;
  /** Every request: its route, answer, item count, the client address it came from and the ids it delivered. */
  readonly requests: Array<{
    path: string;
    status: number;
    events: number;
    source: string;
    eventIds: string[];
  }> = [];
  /** Flagged eventIds per match and rule (`flag`). */
  readonly flags = new Map<string, Map<FeedRule, Set<string>>>();
  private faults: Fault[] = [];
  private server?: Server;
  url = '';

  private readonly eventIntake: Intake<MatchEvent> = {
    field: 'events',
    problem: { type: 'invalid-event', title: 'Invalid event' },
    validateOne: validateEvent,
    validateMany: validateBatch,
    keep: (events) => this.store(events),
  };

  private readonly retractionIntake: Intake<Retraction> = {
    field: 'retractions',
    problem: { type: 'invalid-retraction', title: 'Invalid retraction' },
    validateOne: validateRetraction,
    validateMany: validateRetractionBatch,
    keep: (retractions) => this.retract(retractions),
  };

  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Flags events of a match with a rule, as the pipeline's feed-integrity rules would. */
  flag(matchId: string, rule: FeedRule, eventIds: readonly string[]): void {
    const rules = this.flags.get(matchId) ?? new Map<FeedRule, Set<string>>();
    this.flags.set(matchId, rules);
    const flagged = rules.get(rule) ?? new Set<string>();
    rules.set(rule, flagged);
    for (const id of eventIds) flagged.add(id);
  }

  async start(): Promise<this> {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.post('/api/events', (req, res) => this.ingest(req, res, false, this.eventIntake));
    app.post('/api/events/batch', (req, res) => this.ingest(req, res, true, this.eventIntake));
    app.post('/api/retractions', (req, res) => this.ingest(req, res, false, this.retractionIntake));
    app.post('/api/retractions/batch', (req, res) => this.ingest(req, res, true, this.retractionIntake));
    app.get('/api/matches/:matchId/metrics', (req, res) => {
      const events = this.counted().filter((e) => e.matchId === req.params.matchId);
      if (events.length === 0) {
        unknownMatch(res);
        return;
      }
      res.json({
        ...metricsOf(req.params.matchId, events),
        flaggedEvents: this.flaggedIn(req.params.matchId),
      });
    });
    app.get('/api/matches/:matchId/anomalies', (req, res) => {
      const { matchId } = req.params;
      const stored = [...this.stored.values()].some((e) => e.matchId === matchId);
      if (!stored && !this.flags.has(matchId)) {
        unknownMatch(res);
        return;
      }
      res.json(this.anomaliesOf(matchId));
    });
    app.get('/api/matches/:matchId/retractions', (req, res) => {
      const listed = this.matchRetractions(req.params.matchId);
      const stored = [...this.stored.values()].some((e) => e.matchId === req.params.matchId);
      if (listed.total === 0 && !stored) {
        unknownMatch(res);
        return;
      }
      res.json(listed);
    });
    // Highlights as the real pipeline serves them once enriched: every stored goal, READY (RETRACTED if retracted).
    app.get('/api/highlights', (req, res) => {
      const matchId = typeof req.query.matchId === 'string' ? req.query.matchId : undefined;
      const page = Number(req.query.page ?? 1);
      const pageSize = Number(req.query.pageSize ?? 20);
      const goals = [...this.stored.values()].filter(
        (e) => e.eventType === 'goal' && (matchId === undefined || e.matchId === matchId),
      );
      const items = goals.slice((page - 1) * pageSize, page * pageSize).map((e) => ({
        highlightId: e.eventId,
        eventId: e.eventId,
        matchId: e.matchId,
        eventType: e.eventType,
        status: this.retractions.has(e.eventId) ? 'RETRACTED' : 'READY',
      }));
      res.json({ page, pageSize, total: goals.length, items });
    });
    await new Promise<void>((resolve) => {
      this.server = app.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Distinct events of the match flagged by any rule. */
  private flaggedIn(matchId: string): number {
    return new Set([...(this.flags.get(matchId)?.values() ?? [])].flatMap((ids) => [...ids])).size;
  }

  private anomaliesOf(matchId: string): MatchAnomalies {
    const rules = this.flags.get(matchId) ?? new Map<FeedRule, Set<string>>();
    const now = new Date().toISOString();
    return {
      matchId,
      flaggedEvents: this.flaggedIn(matchId),
      rules: FEED_RULES.filter((rule) => (rules.get(rule)?.size ?? 0) > 0).map((rule) => ({
        rule,
        events: rules.get(rule)!.size,
        firstSeenAt: now,
        lastSeenAt: now,
        exampleEventIds: [...rules.get(rule)!].sort().slice(0, 5),
      })),
    };
  }

  /** Stored events that count: not retracted. */
  private counted(): MatchEvent[] {
    return [...this.stored.values()].filter((e) => !this.retractions.has(e.eventId));
  }

  private matchRetractions(matchId: string): MatchRetractions {
    const items = [...this.retractions.values()]
      .filter(({ retraction }) => retraction.matchId === matchId)
      .map(({ retraction, retractedAt }) => {
        const event = this.stored.get(retraction.eventId);
        const found = event?.matchId === matchId;
        return {
          eventId: retraction.eventId,
          reason: retraction.reason,
          retractedAt,
          found,
          eventType: found ? event!.eventType : null,
        };
      });
    return { matchId, total: items.length, notFound: items.filter((i) => !i.found).length, items };
  }

  /** Answers the next planned fault for this route, if it is a failure; true when it did. */
  private injectFault<T extends { eventId: string }>(
    req: Request,
    res: Response,
    batch: boolean,
    intake: Intake<T>,
  ): boolean {
    const index = this.faults.findIndex((f) => f.route === undefined || f.route === req.path);
    const fault = this.faults[index];
    if (fault && --fault.count <= 0) this.faults.splice(index, 1);
    if (!fault || fault.status < 300) return false;
    if (fault.landed) {
      const candidates: unknown[] = batch
        ? ((req.body as Record<string, unknown[] | undefined>)[intake.field] ?? [])
        : [req.body];
      const valid = candidates.map((c) => intake.validateOne(c)).filter((c) => c.ok);
      intake.keep(valid.map((c) => c.value));
    }
    if (fault.retryAfter !== undefined) res.set('retry-after', fault.retryAfter);
    this.requests.push({
      path: req.path,
      status: fault.status,
      events: 0,
      source: req.ip ?? '',
      eventIds: [],
    });
    res
      .status(fault.status)
      .type('application/problem+json')
      .send({ status: fault.status, title: 'injected failure' });
    return true;
  }

  private ingest<T extends { eventId: string }>(
    req: Request,
    res: Response,
    batch: boolean,
    intake: Intake<T>,
  ): void {
    if (this.injectFault(req, res, batch, intake)) return;
    const path = req.path;
    if (!batch) {
      const checked = intake.validateOne(req.body);
      if (!checked.ok) {
        this.requests.push({ path, status: 400, events: 1, source: req.ip ?? '', eventIds: [] });
        res.status(400).type('application/problem+json').send(problem(intake.problem, checked.errors));
        return;
      }
      intake.keep([checked.value]);
      this.requests.push({
        path,
        status: 202,
        events: 1,
        source: req.ip ?? '',
        eventIds: [checked.value.eventId],
      });
      // RetractionAccepted has the same shape.
      const accepted: EventAccepted = {
        eventId: checked.value.eventId,
        status: 'accepted',
        timestamp: new Date().toISOString(),
      };
      res.status(202).json(accepted);
      return;
    }
    const checked = intake.validateMany(req.body);
    if (!checked.ok) {
      res.status(400).type('application/problem+json').send(problem(intake.problem, checked.errors));
      return;
    }
    const { valid, invalid } = checked.value;
    const rejected = invalid.map(({ index, errors }) => ({ index, errors }));
    this.requests.push({
      path,
      status: valid.length === 0 ? 400 : 202,
      events: valid.length + invalid.length,
      source: req.ip ?? '',
      eventIds: valid.map((v) => v.item.eventId),
    });
    if (valid.length === 0) {
      res
        .status(400)
        .type('application/problem+json')
        .send({
          ...problem(
            intake.problem,
            invalid.flatMap((i) => i.errors),
          ),
          rejected,
        });
      return;
    }
    intake.keep(valid.map((v) => v.item));
    // RetractionBatchAccepted has the same shape.
    const answer: BatchAccepted = {
      status: rejected.length === 0 ? 'accepted' : 'partially_accepted',
      timestamp: new Date().toISOString(),
      accepted: valid.map(({ index, item }) => ({ index, eventId: item.eventId })),
      rejected,
    };
    res.status(202).json(answer);
  }

  private store(events: MatchEvent[]): void {
    for (const e of events) {
      this.acknowledged.push(e.eventId);
      if (!this.stored.has(e.eventId)) this.stored.set(e.eventId, e);
    }
  }

  private retract(retractions: Retraction[]): void {
    if (this.ignoreRetractions) return;
    const retractedAt = new Date().toISOString();
    for (const retraction of retractions) {
      if (!this.retractions.has(retraction.eventId))
        this.retractions.set(retraction.eventId, { retraction, retractedAt });
    }
  }
}

const unknownMatch = (res: Response): void => {
  res.status(404).type('application/problem+json').send({ status: 404, title: 'Unknown match' });
};

const problem = (
  { type, title }: Intake<{ eventId: string }>['problem'],
  errors: FieldError[],
): ProblemBody => ({
  type: problemTypeUri(type),
  title,
  status: 400,
  errors,
});

/** The metrics body (less the API's latencies), computed the plain way from stored (deduplicated) events that count. */
function metricsOf(matchId: string, events: MatchEvent[]): MetricsFigures {
  const eventsByType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as MetricsFigures['eventsByType'];
  const minutes = new Map<number, number>();
  const clockMinutes = new Map<number, number>();
  const team = {
    '1': { events: 0, goals: 0, shots: 0, cards: 0 },
    '2': { events: 0, goals: 0, shots: 0, cards: 0 },
  };
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    eventsByType[e.eventType]++;
    const t = team[String(e.teamId) as '1' | '2'];
    t.events++;
    if (e.eventType === 'goal') t.goals++;
    if (e.eventType === 'shot') t.shots++;
    if (e.eventType === 'yellow_card' || e.eventType === 'red_card') t.cards++;
    const at = Date.parse(e.timestamp);
    const clock = Math.floor(at / 60_000) * 60_000;
    clockMinutes.set(clock, (clockMinutes.get(clock) ?? 0) + 1);
    first = Math.min(first, at);
    last = Math.max(last, at);
  }
  // The match minute as the API defines it: the feed's, else whole minutes since the first event's minute.
  const firstMinute = Math.floor(first / 60_000);
  for (const e of events) {
    const minute =
      (e.metadata as { minute?: number } | undefined)?.minute ??
      Math.floor(Date.parse(e.timestamp) / 60_000) - firstMinute;
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
  }
  const top = (counts: Map<number, number>) =>
    [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5);
  const matchMinutes = top(minutes).map(([minute, eventCount]) => ({ minute, eventCount }));
  const periods = top(clockMinutes).map(([at, eventCount]) => ({
    timestamp: new Date(at).toISOString().replace('.000Z', 'Z'),
    eventCount,
  }));
  return {
    matchId,
    totalEvents: events.length,
    eventsByType,
    goals: eventsByType.goal,
    yellowCards: eventsByType.yellow_card,
    redCards: eventsByType.red_card,
    firstEventAt: new Date(first).toISOString(),
    lastEventAt: new Date(last).toISOString(),
    peakMinute: { minute: periods[0]!.timestamp, eventCount: periods[0]!.eventCount },
    peakEngagementPeriods: periods,
    peakMatchMinute: matchMinutes[0]!,
    peakMatchMinutes: matchMinutes,
    byTeam: team,
  };
}
