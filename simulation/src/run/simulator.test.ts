import { FakeApi } from '../testing/fake-api';
import { verifyAgainstApi } from '../verify/verify';
import { IngestClient } from '../http/ingest-client';
import { formatSimulationReport } from '../stats/report';
import { runSimulation, type SimulationOptions } from './simulator';

const kickoff = new Date('2024-05-18T14:00:00.000Z');
const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 };

describe('runSimulation against a local API', () => {
  let api: FakeApi;
  beforeEach(async () => {
    api = await new FakeApi().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  const options = (extra: Partial<SimulationOptions> = {}): SimulationOptions => ({
    url: api.url,
    matches: 2,
    concurrency: 4,
    seed: 99,
    kickoff,
    invalidShare: 0,
    duplicateShare: 0,
    retry: fastRetry,
    ...extra,
  });

  async function verify(result: Awaited<ReturnType<typeof runSimulation>>) {
    const client = new IngestClient({ url: api.url, connections: 2 });
    try {
      return await verifyAgainstApi(client, result.truth, { timeoutMs: 2000, stableMs: 500, pollMs: 100 });
    } finally {
      await client.close();
    }
  }

  it('sends every event once in batches, and the verification passes', async () => {
    const answers: Array<number | 'network'> = [];
    const result = await runSimulation(options({ batch: 100, onResponse: (status) => answers.push(status) }));
    const { events } = result.report;
    expect(events.generated).toBe(result.plan.generated);
    expect(events.accepted).toBe(events.generated);
    expect(api.stored.size).toBe(events.generated);
    expect(api.acknowledged.length).toBe(events.generated);
    expect(api.requests.every((r) => r.path === '/api/events/batch' && r.events <= 100)).toBe(true);
    expect(result.report.statusCodes).toEqual([{ status: '202', count: api.requests.length, share: 100 }]);
    expect(result.report.latencyMs.count).toBe(api.requests.length);
    expect(answers).toEqual(api.requests.map(() => 202));
    const verdict = await verify(result);
    expect(verdict.matches.map((m) => [m.matchId, m.pass])).toEqual([
      ['sim-99-m1', true],
      ['sim-99-m2', true],
    ]);
  });

  it('injects invalid events (expected 400s, never counted) and duplicates (counted once) with single POSTs', async () => {
    const result = await runSimulation(options({ matches: 1, invalidShare: 0.02, duplicateShare: 0.03 }));
    const e = result.report.events;
    expect(e.invalidSent).toBe(result.plan.invalid);
    expect(e.invalidSent).toBeGreaterThan(5);
    expect(e.invalidRejected).toBe(e.invalidSent);
    expect(e.duplicatesSent).toBe(result.plan.duplicatesPlanned);
    expect(e.duplicatesSent).toBeGreaterThan(10);
    expect(e.duplicatesAccepted).toBe(e.duplicatesSent);
    expect(e.acceptedUnexpectedly + e.rejectedUnexpectedly).toBe(0);
    expect(api.stored.size).toBe(e.generated);
    expect(api.acknowledged.length).toBe(e.generated + e.duplicatesSent);
    const s400 = result.report.statusCodes.find((r) => r.status === '400');
    expect(s400?.count).toBe(e.invalidSent);
    expect((await verify(result)).pass).toBe(true);
  });

  it('counts the invalid events of a request that got no verdict as unknown or not delivered, never as rejected', async () => {
    // One batch of 50 in flight at a time, 3 attempts each, in the plan's order:
    api.fail({ count: 3, status: 503, retryAfter: '0' }); // batch 1: a 503 to every attempt (unknown)
    api.fail({ count: 3, status: 429, retryAfter: '0' }); // batch 2: rate limited to the end (not delivered)
    const result = await runSimulation(
      options({ matches: 1, batch: 50, concurrency: 1, invalidShare: 0.05, retry: fastRetry }),
    );
    const e = result.report.events;
    const invalidIn = (from: number) =>
      result.plan.items.slice(from, from + 50).filter((item) => item.kind === 'invalid').length;
    expect(Math.min(invalidIn(0), invalidIn(50))).toBeGreaterThan(0); // the seed puts some in both batches
    expect(e.invalidUnknown).toBe(invalidIn(0));
    expect(e.invalidNotDelivered).toBe(invalidIn(50));
    expect(e.unknown).toBe(50 - invalidIn(0));
    expect(e.notDelivered).toBe(50 - invalidIn(50));
    expect(e.invalidSent).toBe(result.plan.invalid);
    expect(e.invalidRejected).toBe(result.plan.invalid - invalidIn(0) - invalidIn(50));
    expect(e.acceptedUnexpectedly + e.rejectedUnexpectedly).toBe(0);
    expect(formatSimulationReport(result.report)).toMatch(
      new RegExp(`invalid unknown / certainly not stored[\\s│]+${invalidIn(0)} / ${invalidIn(50)}[\\s│]`),
    );
  });

  it('retries 503 after Retry-After, counts what never got through, and keeps the ambiguous ones out of the truth', async () => {
    // One batch in flight at a time, 3 attempts each:
    api.fail({ count: 2, status: 503, retryAfter: '0' }); // batch 1: two 503s…
    api.fail({ count: 1, status: 202 }); // …then accepted on the third attempt
    api.fail({ count: 3, status: 503, retryAfter: '0', landed: true }); // batch 2: stored, yet every answer a 503
    api.fail({ count: 3, status: 429, retryAfter: '0' }); // batch 3: rate limited to the end, certainly not stored
    const result = await runSimulation(options({ matches: 1, batch: 50, concurrency: 1 }));
    const e = result.report.events;
    expect(e.unknown).toBe(50);
    expect(e.notDelivered).toBe(50);
    expect(e.accepted).toBe(e.generated - 100);
    expect(result.truth.unknownCount).toBe(50);
    expect(result.report.requests.retries).toBe(2 + 2 + 2);
    expect(result.report.statusCodes.find((r) => r.status === '503')?.count).toBe(5);
    // The API holds accepted + the 50 that landed despite the 503: inside the allowed range.
    expect(api.stored.size).toBe(e.accepted + 50);
    const verdict = await verify(result);
    expect(verdict.pass).toBe(true);
    expect(verdict.matches[0]!.expected.unknown).toBe(50);
  });

  it('fails the verification when the pipeline lost an accepted event', async () => {
    const result = await runSimulation(options({ batch: 200 }));
    const lost = [...api.stored.values()].find(
      (ev) => ev.matchId === 'sim-99-m2' && ev.eventType === 'shot',
    )!;
    api.stored.delete(lost.eventId);
    const verdict = await verify(result);
    expect(verdict.pass).toBe(false);
    const m2 = verdict.matches.find((m) => m.matchId === 'sim-99-m2')!;
    expect(m2.pass).toBe(false);
    expect(m2.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^totalEvents: expected \d+, got \d+$/),
        expect.stringMatching(/^eventsByType.shot/),
      ]),
    );
    expect(verdict.matches.find((m) => m.matchId === 'sim-99-m1')!.pass).toBe(true);
  });

  it('paces events over --duration and under --rate', async () => {
    const paced = await runSimulation(options({ matches: 1, batch: 50, durationSeconds: 1.5 }));
    expect(paced.report.run.elapsedMs).toBeGreaterThanOrEqual(1400);
    expect(paced.report.run.elapsedMs).toBeLessThan(4000);
    expect(paced.report.scheduleLagMs!.count).toBe(paced.plan.items.length);
    expect(paced.report.scheduleLagMs!.p50).toBeLessThan(200);
    const capped = await runSimulation(options({ matches: 1, seed: 100, batch: 50, rate: 2000 }));
    const seconds = capped.plan.items.length / 2000;
    expect(capped.report.run.elapsedMs).toBeGreaterThanOrEqual(seconds * 1000 * 0.9);
    expect(capped.report.events.accepted).toBe(capped.report.events.generated);
    const unpaced = await runSimulation(options({ matches: 1, seed: 101, batch: 50 }));
    expect(unpaced.report.scheduleLagMs).toBeNull();
  });

  it('stops at once on 401 and says to pass --api-key', async () => {
    api.fail({ count: 1_000_000, status: 401 });
    const result = await runSimulation(options({ matches: 1 }));
    expect(result.report.run.aborted).toMatch(/401.*--api-key/);
    expect(result.report.events.accepted).toBe(0);
    expect(result.report.events.notDelivered).toBe(result.report.events.generated);
    expect(api.requests.length).toBeLessThanOrEqual(8);
  });

  it('re-running the same seed sends the same eventIds (the pipeline deduplicates them)', async () => {
    await runSimulation(options({ matches: 1, batch: 500 }));
    const first = api.stored.size;
    await runSimulation(options({ matches: 1, batch: 500 }));
    expect(api.stored.size).toBe(first);
    expect(api.acknowledged.length).toBe(first * 2);
  });

  describe('with --inject-anomalies', () => {
    /** Flags every injected match with its kind, as the pipeline's rules would. */
    const flagInjected = (result: Awaited<ReturnType<typeof runSimulation>>): void => {
      for (const [matchId, kind] of result.plan.injected) {
        const some = result.plan.matches.find((m) => m.matchId === matchId)!.events[0]!.event.eventId;
        api.flag(matchId, kind, [some]);
      }
    };

    it('re-sends a duplicate storm from its own address once the match was acknowledged; verify wants it flagged', async () => {
      const kinds = ['duplicate-storm', 'goal-burst', 'clock-skew', 'player-both-teams'] as const;
      const result = await runSimulation(
        options({ matches: 4, batch: 100, anomalies: { kinds, share: 1 }, kickoff: undefined }),
      );
      expect(result.report.anomalies).toEqual({
        'duplicate-storm': 1,
        'goal-burst': 1,
        'clock-skew': 1,
        'player-both-teams': 1,
      });
      expect(result.report.events.duplicatesAccepted).toBe(300);
      expect(result.report.events.accepted).toBe(result.report.events.generated);
      const storm = api.requests.filter((r) => r.source === '127.0.0.2');
      expect(storm.reduce((n, r) => n + r.eventIds.length, 0)).toBe(300);
      const firstSeen = new Map<string, number>();
      api.requests.forEach((r, i) => r.eventIds.forEach((id) => firstSeen.has(id) || firstSeen.set(id, i)));
      for (const r of storm) {
        for (const id of r.eventIds) expect(firstSeen.get(id)).toBeLessThan(api.requests.indexOf(r));
      }
      expect(
        api.requests.filter((r) => r.source !== '127.0.0.2').every((r) => r.source === '127.0.0.1'),
      ).toBe(true);

      const unflagged = await verify(result);
      expect(unflagged.pass).toBe(false);
      for (const [matchId, kind] of result.plan.injected) {
        expect(unflagged.matches.find((m) => m.matchId === matchId)!.problems).toEqual([
          `${kind} injected but not flagged`,
          `flaggedEvents: expected more than 0 (${kind} injected), got 0`,
        ]);
      }
      flagInjected(result);
      const flagged = await verify(result);
      expect(flagged.matches.filter((m) => !m.pass).map((m) => m.problems)).toEqual([]);
    });

    it('sends a source-velocity match from its own address only: a trickle, then the rest at once', async () => {
      const result = await runSimulation(
        options({
          matches: 2,
          batch: 50,
          durationSeconds: 1.5,
          anomalies: { kinds: ['source-velocity'], share: 0.5 },
        }),
      );
      const [matchId] = [...result.plan.injected.keys()];
      const ids = new Set(
        result.plan.matches.find((m) => m.matchId === matchId)!.events.map((s) => s.event.eventId),
      );
      const carrying = api.requests.filter((r) => r.eventIds.some((id) => ids.has(id)));
      expect(new Set(carrying.map((r) => r.source))).toEqual(new Set(['127.0.0.2']));
      expect(carrying.every((r) => r.eventIds.every((id) => ids.has(id)))).toBe(true);
      expect(carrying.reduce((n, r) => n + r.eventIds.length, 0)).toBe(ids.size);
      // The trickle goes out an event or two at a time; the burst fills whole batches.
      expect(carrying[0]!.eventIds.length).toBeLessThan(5);
      expect(carrying.filter((r) => r.eventIds.length === 50).length).toBeGreaterThan(ids.size / 60);
      flagInjected(result);
      expect((await verify(result)).pass).toBe(true);
    });

    it('fails the verification on a rule that flagged a match nothing was injected into', async () => {
      const result = await runSimulation(options({ batch: 200 }));
      api.flag('sim-99-m2', 'source-velocity', ['00000000-0000-4000-8000-000000000001']);
      const verdict = await verify(result);
      expect(verdict.pass).toBe(false);
      expect(verdict.matches.find((m) => m.matchId === 'sim-99-m1')!.pass).toBe(true);
      const m2 = verdict.matches.find((m) => m.matchId === 'sim-99-m2')!;
      expect(m2.problems).toEqual([
        expect.stringMatching(
          /^flagged source-velocity \(1 events\) though nothing was injected — .*--duration or --rate/,
        ),
        'flaggedEvents: expected 0 (nothing injected), got 1',
      ]);
      expect(m2.anomalies).toEqual({ injected: null, flagged: ['source-velocity'], flaggedEvents: 1 });
    });
  });

  describe('with --retract-share', () => {
    const goalsOf = (result: Awaited<ReturnType<typeof runSimulation>>) =>
      result.plan.matches.reduce((n, m) => n + m.score[1] + m.score[2], 0);

    it('retracts goals through the batch route; the truth leaves them out and the verification passes', async () => {
      const result = await runSimulation(options({ matches: 4, batch: 100, retractShare: 0.5 }));
      const r = result.report.retractions;
      expect(r.planned).toBe(result.plan.retractions);
      expect(r.planned).toBeGreaterThan(0);
      expect(r).toMatchObject({ sent: r.planned, accepted: r.planned, rejectedUnexpectedly: 0, unknown: 0 });
      expect(api.retractions.size).toBe(r.planned);
      expect(api.requests.some((q) => q.path === '/api/retractions/batch')).toBe(true);
      const expectedGoals = result.truth
        .matchIds()
        .reduce((n, id) => n + result.truth.expectation(id).exact.goals, 0);
      expect(expectedGoals).toBe(goalsOf(result) - r.planned);
      const verdict = await verify(result);
      expect(verdict.matches.filter((m) => !m.pass).map((m) => m.problems)).toEqual([]);
      expect(verdict.matches.reduce((n, m) => n + (m.listedRetractions ?? 0), 0)).toBe(r.planned);
    });

    it('stays exact with single POSTs and re-sent duplicates: a retracted goal sent again stays retracted', async () => {
      const result = await runSimulation(options({ matches: 2, retractShare: 1, duplicateShare: 0.5 }));
      const { events, retractions } = result.report;
      expect(retractions.accepted).toBe(goalsOf(result));
      expect(api.requests.filter((q) => q.path === '/api/retractions')).toHaveLength(retractions.planned);
      const goalIds = new Set(
        result.plan.matches.flatMap((m) =>
          m.events.filter((s) => s.event.eventType === 'goal').map((s) => s.event.eventId),
        ),
      );
      expect(api.acknowledged.filter((id) => goalIds.has(id)).length).toBeGreaterThan(goalIds.size);
      expect(events.duplicatesAccepted).toBe(events.duplicatesSent);
      const verdict = await verify(result);
      expect(verdict.pass).toBe(true);
      for (const m of verdict.matches) expect(m.expected.exact.goals).toBe(0);
    });

    it('fails the verification when the pipeline ignores the retractions it acknowledged', async () => {
      api.ignoreRetractions = true;
      const result = await runSimulation(options({ matches: 2, batch: 100, retractShare: 1 }));
      expect(result.report.retractions.accepted).toBeGreaterThan(0);
      const verdict = await verify(result);
      expect(verdict.pass).toBe(false);
      const failed = verdict.matches.find((m) => !m.pass)!;
      expect(failed.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^totalEvents: expected \d+, got \d+$/),
          expect.stringMatching(/^goals: expected 0, got [1-9]/),
          expect.stringMatching(/^byTeam\.[12]\.goals: expected 0/),
          expect.stringMatching(/^goal [0-9a-f-]+: highlight READY, not RETRACTED$/),
          expect.stringMatching(/^retraction of [0-9a-f-]+: listed 0 times, expected once$/),
        ]),
      );
    });

    it('counts a retraction that failed ambiguously as unknown, and its goal may count either way', async () => {
      api.fail({ route: '/api/retractions/batch', count: 3, status: 503, retryAfter: '0', landed: true });
      const result = await runSimulation(
        options({ matches: 4, batch: 100, concurrency: 1, retractShare: 1 }),
      );
      const r = result.report.retractions;
      expect(r.unknown).toBeGreaterThan(0);
      expect(r.accepted + r.unknown).toBe(r.planned);
      const unknownGoals = result.truth
        .matchIds()
        .reduce((n, id) => n + result.truth.expectation(id).unknown, 0);
      expect(unknownGoals).toBe(r.unknown);
      expect((await verify(result)).pass).toBe(true);
    });

    it('stops, naming the route, when the API has no retraction route', async () => {
      api.fail({ route: '/api/retractions/batch', count: 1_000_000, status: 404 });
      const result = await runSimulation(options({ matches: 2, batch: 100, retractShare: 1 }));
      expect(result.report.run.aborted).toMatch(/404 for POST \/api\/retractions.*without --retract-share/);
      expect(result.report.retractions.accepted).toBe(0);
      expect(result.report.retractions.notDelivered).toBe(result.report.retractions.planned);
    });
  });
});
