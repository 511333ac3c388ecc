import { validateBatch, validateEvent, type MatchEvent } from '@pitchpulse/events';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A planned answer: the next `count` ingest requests answer `status` (optionally after storing the events).
 * A 2xx status means "handle normally", to place failures exactly in a sequence.
 */
interface Fault {
  count: number;
  status: number;
  retryAfter?: string;
  /** Store the events anyway before failing: the ambiguous case a client must count as "unknown". */
  landed?: boolean;
}

/**
 * A stand-in for the PitchPulse API in unit tests of the simulator and the importer: the real contract validator,
 * deduplication by eventId, the batch answer shape, failure injection, and a metrics endpoint computed from what
 * it stored. It records every request it received, so tests can see exactly what was sent.
 */
export class FakeApi {
  readonly stored = new Map<string, MatchEvent>();
  /** eventIds of every event received in a request that was answered 2xx, in arrival order (duplicates kept). */
  readonly acknowledged: string[] = [];
  readonly requests: Array<{ path: string; status: number; events: number }> = [];
  private faults: Fault[] = [];
  private server?: Server;
  url = '';

  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async start(): Promise<this> {
    const app = express();
    app.use(express.json({ limit: '10mb' }));
    app.post('/api/events', (req, res) => this.ingest(req, res, false));
    app.post('/api/events/batch', (req, res) => this.ingest(req, res, true));
    app.get('/api/matches/:matchId/metrics', (req, res) => {
      const events = [...this.stored.values()].filter((e) => e.matchId === req.params.matchId);
      if (events.length === 0) {
        res.status(404).type('application/problem+json').send({ status: 404, title: 'Unknown match' });
        return;
      }
      res.json(metricsOf(req.params.matchId, events));
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

  private ingest(req: Request, res: Response, batch: boolean): void {
    const path = req.path;
    const fault = this.faults[0];
    if (fault) {
      if (--fault.count <= 0) this.faults.shift();
    }
    if (fault && fault.status >= 300) {
      if (fault.landed) {
        const candidates: unknown[] = batch
          ? ((req.body as { events?: unknown[] }).events ?? [])
          : [req.body];
        for (const c of candidates) {
          const checked = validateEvent(c);
          if (checked.ok) this.stored.set(checked.value.eventId, checked.value);
        }
      }
      if (fault.retryAfter !== undefined) res.set('retry-after', fault.retryAfter);
      this.requests.push({ path, status: fault.status, events: 0 });
      res
        .status(fault.status)
        .type('application/problem+json')
        .send({ status: fault.status, title: 'injected failure' });
      return;
    }
    if (!batch) {
      const checked = validateEvent(req.body);
      if (!checked.ok) {
        this.requests.push({ path, status: 400, events: 1 });
        res
          .status(400)
          .type('application/problem+json')
          .send({ status: 400, title: 'Invalid event', errors: checked.errors });
        return;
      }
      this.store([checked.value]);
      this.requests.push({ path, status: 202, events: 1 });
      res
        .status(202)
        .json({ eventId: checked.value.eventId, status: 'accepted', timestamp: new Date().toISOString() });
      return;
    }
    const checked = validateBatch(req.body);
    if (!checked.ok) {
      res.status(400).type('application/problem+json').send({ status: 400, errors: checked.errors });
      return;
    }
    const { valid, invalid } = checked.value;
    const rejected = invalid.map(({ index, errors }) => ({ index, errors }));
    this.requests.push({
      path,
      status: valid.length === 0 ? 400 : 202,
      events: valid.length + invalid.length,
    });
    if (valid.length === 0) {
      res
        .status(400)
        .type('application/problem+json')
        .send({ status: 400, errors: invalid.flatMap((i) => i.errors), rejected });
      return;
    }
    this.store(valid.map((v) => v.event));
    res.status(202).json({
      status: rejected.length === 0 ? 'accepted' : 'partially_accepted',
      accepted: valid.map(({ index, event }) => ({ index, eventId: event.eventId })),
      rejected,
    });
  }

  private store(events: MatchEvent[]): void {
    for (const e of events) {
      this.acknowledged.push(e.eventId);
      if (!this.stored.has(e.eventId)) this.stored.set(e.eventId, e);
    }
  }
}

/** The metrics body, computed the plain way from stored (deduplicated) events. */
function metricsOf(matchId: string, events: MatchEvent[]): Record<string, unknown> {
  const eventsByType: Record<string, number> = {};
  const minutes = new Map<number, number>();
  const team = {
    '1': { events: 0, goals: 0, shots: 0, cards: 0 },
    '2': { events: 0, goals: 0, shots: 0, cards: 0 },
  };
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    eventsByType[e.eventType] = (eventsByType[e.eventType] ?? 0) + 1;
    const t = team[String(e.teamId) as '1' | '2'];
    t.events++;
    if (e.eventType === 'goal') t.goals++;
    if (e.eventType === 'shot') t.shots++;
    if (e.eventType === 'yellow_card' || e.eventType === 'red_card') t.cards++;
    const minute = (e.metadata as { minute?: number } | undefined)?.minute ?? 0;
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    first = Math.min(first, Date.parse(e.timestamp));
    last = Math.max(last, Date.parse(e.timestamp));
  }
  const top = [...minutes]
    .map(([minute, eventCount]) => ({ minute, eventCount }))
    .sort((a, b) => b.eventCount - a.eventCount || a.minute - b.minute);
  return {
    matchId,
    totalEvents: events.length,
    eventsByType,
    goals: eventsByType.goal ?? 0,
    yellowCards: eventsByType.yellow_card ?? 0,
    redCards: eventsByType.red_card ?? 0,
    firstEventAt: new Date(first).toISOString(),
    lastEventAt: new Date(last).toISOString(),
    peakMinute: top[0],
    peakEngagementPeriods: top.slice(0, 5),
    byTeam: team,
  };
}
