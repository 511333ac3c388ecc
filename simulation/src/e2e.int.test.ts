import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { freePort, preparePipeline, repoRoot, waitFor } from '@pitchpulse/devstack';
import { IngestClient } from './http/ingest-client';
import { simulateMatch } from './model/match';
import { runSimulation } from './run/simulator';
import { FEED_RULES, type MatchAnomalies, type MatchMetrics } from '@pitchpulse/contract';
import { verifyAgainstApi } from './verify/verify';

/**
 * The whole pipeline, black-box: the built api and consumer as child processes on the test stack (own topics,
 * consumer groups and ClickHouse database, so parallel test files cannot interfere), the simulator sending real
 * HTTP, and --verify reading the metrics back through the read API.
 */
describe('simulate --verify against the real pipeline', () => {
  const root = repoRoot(__dirname);
  const id = randomUUID().slice(0, 8);
  /**
   * One API key per test: the feed-integrity rules judge each key as a source of its own, so one test's run is
   * never measured against the seconds after another's (a run resuming within 70 s at 10 × the rate before is a
   * spike by the API's rules).
   */
  const keys = ['a', 'b', 'c'].map((k) => `sim-e2e-${k}-${id}`);
  const children: ChildProcess[] = [];
  let url = '';

  const start = (name: string, env: NodeJS.ProcessEnv): ChildProcess => {
    const script = join(root, `apps/${name}/dist/main.js`);
    if (!existsSync(script)) throw new Error(`${script} is missing: run pnpm build first`);
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`${name} exited with ${code}: ${stderr}`);
    });
    children.push(child);
    return child;
  };

  const ready = async (probe: string): Promise<boolean> => {
    try {
      return (await fetch(probe)).status === 200;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    const pipeline = await preparePipeline(`sim_e2e_${id}`, { events: 3 });
    const [apiPort, consumerPort, enricherPort] = [await freePort(), await freePort(), await freePort()];
    const env = {
      ...pipeline.env,
      FLUSH_INTERVAL_MS: '500',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      METRICS_PORT: String(consumerPort),
      API_KEYS: keys.join(','),
    };
    start('consumer', env);
    await waitFor(
      'the consumer to be ready',
      () => ready(`http://127.0.0.1:${consumerPort}/ready`),
      60_000,
      250,
    );
    start('enricher', { ...env, METRICS_PORT: String(enricherPort), ENRICH_INTERVAL_MS: '200' });
    await waitFor(
      'the enricher to be ready',
      () => ready(`http://127.0.0.1:${enricherPort}/ready`),
      60_000,
      250,
    );
    start('api', env);
    url = `http://127.0.0.1:${apiPort}`;
    await waitFor('the api to be ready', () => ready(`${url}/ready`), 60_000, 250);
  }, 150_000);

  afterAll(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  });

  it('counts every accepted event exactly once, and notices an event the simulator did not send', async () => {
    const result = await runSimulation({
      url,
      matches: 3,
      batch: 100,
      concurrency: 4,
      seed: 424242,
      kickoff: new Date('2024-05-18T14:00:00.000Z'),
      invalidShare: 0.01,
      duplicateShare: 0.02,
      apiKey: keys[0],
    });
    const e = result.report.events;
    expect(e.accepted).toBe(e.generated);
    expect(e.invalidRejected).toBe(e.invalidSent);
    expect(e.duplicatesAccepted).toBe(e.duplicatesSent);
    expect(e.duplicatesSent).toBeGreaterThan(0);

    const client = new IngestClient({ url, connections: 4, apiKey: keys[0] });
    try {
      const verdict = await verifyAgainstApi(client, result.truth, {
        timeoutMs: 45_000,
        stableMs: 8_000,
        pollMs: 500,
      });
      expect(verdict.matches.filter((m) => !m.pass).map((m) => m.problems)).toEqual([]);
      expect(verdict.matches).toHaveLength(3);

      // One event the ground truth does not know about (a goal, in the ninety-ninth minute): verification fails.
      const stray = {
        ...simulateMatch({ seed: 1, index: 1, kickoff: new Date('2024-05-18T14:00:00.000Z') }).events[0]!
          .event,
      };
      Object.assign(stray, {
        matchId: 'sim-424242-m2',
        eventId: randomUUID(),
        eventType: 'goal',
        metadata: { minute: 99 },
      });
      expect(await client.sendEvent(stray)).toEqual({ kind: 'accepted' });
      const expectedM2 = result.truth.expectation('sim-424242-m2').exact.totalEvents;
      await waitFor(
        'the stray event to reach the metrics',
        async () =>
          (await client.getJson<MatchMetrics>('/api/matches/sim-424242-m2/metrics'))?.totalEvents ===
          expectedM2 + 1,
        20_000,
        250,
      );
      const after = await verifyAgainstApi(client, result.truth, {
        timeoutMs: 5_000,
        stableMs: 2_000,
        pollMs: 500,
      });
      expect(after.pass).toBe(false);
      const m2 = after.matches.find((m) => m.matchId === 'sim-424242-m2')!;
      expect(m2.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^totalEvents: expected \d+, got \d+$/),
          expect.stringMatching(/^goals: /),
        ]),
      );
      expect(after.matches.filter((m) => m.pass)).toHaveLength(2);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('leaves disallowed goals out of every figure (--retract-share), and notices a retraction it was not told of', async () => {
    const result = await runSimulation({
      url,
      matches: 3,
      batch: 100,
      concurrency: 4,
      seed: 515151,
      kickoff: new Date('2024-05-18T14:00:00.000Z'),
      invalidShare: 0,
      duplicateShare: 0.05,
      retractShare: 0.5,
      apiKey: keys[1],
    });
    // A 404 from the retraction routes aborts the run and says so here.
    expect(result.report.run.aborted).toBeNull();
    const r = result.report.retractions;
    expect(r.planned).toBeGreaterThan(0);
    expect(r).toMatchObject({ sent: r.planned, accepted: r.planned, rejectedUnexpectedly: 0 });
    expect(result.report.events.accepted).toBe(result.report.events.generated);

    const client = new IngestClient({ url, connections: 4, apiKey: keys[1] });
    try {
      const verdict = await verifyAgainstApi(client, result.truth, {
        timeoutMs: 45_000,
        stableMs: 8_000,
        pollMs: 500,
      });
      expect(verdict.matches.filter((m) => !m.pass).map((m) => m.problems)).toEqual([]);
      expect(verdict.matches.reduce((n, m) => n + (m.listedRetractions ?? 0), 0)).toBe(r.planned);

      // A goal the ground truth still counts, retracted behind the simulator's back: verification fails.
      const counted = result.plan.matches
        .flatMap((m) => m.events)
        .map((sim) => sim.event)
        .find(
          (e) =>
            e.eventType === 'goal' &&
            !result.truth.expectation(e.matchId).goals.retracted.includes(e.eventId),
        )!;
      expect(
        await client.sendRetraction({ eventId: counted.eventId, matchId: counted.matchId, reason: 'stray' }),
      ).toEqual({
        kind: 'accepted',
      });
      const expectedGoals = result.truth.expectation(counted.matchId).exact.goals;
      await waitFor(
        'the stray retraction to reach the metrics',
        async () =>
          (await client.getJson<MatchMetrics>(`/api/matches/${counted.matchId}/metrics`))?.goals ===
          expectedGoals - 1,
        20_000,
        250,
      );
      const after = await verifyAgainstApi(client, result.truth, {
        timeoutMs: 5_000,
        stableMs: 2_000,
        pollMs: 500,
      });
      const failed = after.matches.find((m) => m.matchId === counted.matchId)!;
      expect(failed.pass).toBe(false);
      expect(failed.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^goals: expected \d+, got \d+$/),
          `goal ${counted.eventId}: highlight RETRACTED, not READY`,
          `retraction of ${counted.eventId}: listed, never sent`,
        ]),
      );
    } finally {
      await client.close();
    }
  }, 120_000);

  it('gets every injected anomaly flagged with its rule, and nothing else (--inject-anomalies all)', async () => {
    const result = await runSimulation({
      url,
      matches: 6,
      durationSeconds: 40, // the shortest run with a source-velocity burst
      batch: 100,
      concurrency: 4,
      seed: 626262,
      invalidShare: 0,
      duplicateShare: 0,
      anomalies: { kinds: FEED_RULES, share: 1 },
      apiKey: keys[2],
    });
    expect(result.report.run.aborted).toBeNull();
    expect(result.report.anomalies).toEqual(Object.fromEntries(FEED_RULES.map((rule) => [rule, 1])));
    expect(result.report.events.accepted).toBe(result.report.events.generated);

    const client = new IngestClient({ url, connections: 4 });
    try {
      const verdict = await verifyAgainstApi(client, result.truth, {
        timeoutMs: 45_000,
        stableMs: 8_000,
        pollMs: 500,
      });
      expect(verdict.matches.filter((m) => !m.pass).map((m) => [m.matchId, m.problems])).toEqual([]);
      for (const [matchId, kind] of result.plan.injected) {
        const listed = await client.getJson<MatchAnomalies>(`/api/matches/${matchId}/anomalies`);
        expect(listed!.rules.map((r) => r.rule)).toEqual([kind]);
      }
    } finally {
      await client.close();
    }
  }, 150_000);
});
