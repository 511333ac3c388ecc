/**
 * Scaling out, on the test stack's ClickHouse cluster: the api, the enricher and three consumer processes on one
 * group while the simulator plays 50 matches, and one of two faults mid-run (`part`):
 * - `consumers` (scale-out-consumers.cluster.test.ts): one consumer killed and another started (a rebalance
 *   mid-batch);
 * - `replicas` (scale-out-replicas.cluster.test.ts): the first replica of each shard (s1r1 is also where every
 *   process connects) stopped and started again.
 * Both run in `pnpm test:cluster`, and alone in `pnpm test:scale-out`.
 * Each time every accepted event must be counted exactly once (the simulator's ground truth through the read API);
 * after the replica fault, each shard's replicas must hold the same rows.
 */
import { randomUUID } from 'node:crypto';
import { createClickHouseClient, execute, identifier, selectRows, sql } from '@pitchpulse/clickhouse';
import { clusterNodes } from '@pitchpulse/clickhouse/testing';
import { StackControl, freePort, preparePipeline, repoRoot, waitFor } from '@pitchpulse/devstack';
import { sampleSum } from '@pitchpulse/observability';
import { IngestClient, runSimulation, verifyAgainstApi, type SimulationResult } from '@pitchpulse/simulation';
import { answers200, pipelineChildren, type ChildApp } from './testing';

const MATCHES = 50;
const PARTITIONS = 6;
/** One API key (one feed-integrity source) per run: the second run is not a spike of the first's source. */
const API_KEYS = [`scale-out-a-${randomUUID()}`, `scale-out-b-${randomUUID()}`];
const caps = { nativeParams: false };

/** The consumers' log lines at warn and above, the last 60. */
const problemLines = (log: string): string =>
  log
    .split('\n')
    .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
    .slice(-60)
    .join('\n');

/** Each node's replication state of `database` (for a failure's message): lag, queue, errors, rows. */
async function replicaReport(database: string): Promise<string> {
  const nodes = clusterNodes();
  const lines: string[] = [];
  for (const url of nodes) {
    const node = createClickHouseClient({ url, database });
    try {
      const replicas = await selectRows(
        node,
        caps,
        sql`SELECT table, is_readonly, is_session_expired, absolute_delay, queue_size,
                   log_pointer, log_max_index, active_replicas
            FROM system.replicas WHERE database = ${database} AND (queue_size > 0 OR is_readonly OR absolute_delay > 0)`,
      );
      const errors = await selectRows(
        node,
        caps,
        sql`SELECT table, type, num_tries, last_exception FROM system.replication_queue
            WHERE database = ${database} AND last_exception != '' LIMIT 5`,
      );
      const [rows] = await selectRows<{ n: number }>(
        node,
        caps,
        sql`SELECT count() AS n FROM ${identifier(database, 'events_local')}`,
      );
      lines.push(
        `${url}: events_local ${rows?.n} rows; ${JSON.stringify(replicas)}; ${JSON.stringify(errors)}`,
      );
    } catch (err) {
      lines.push(`${url}: ${(err as Error).message}`);
    } finally {
      await node.close();
    }
  }
  return lines.join('\n');
}

export function scaleOutSuite(part: 'consumers' | 'replicas'): void {
  jest.setTimeout(300_000);
  describe(`scale-out on the cluster: ${part}`, () => {
    const children = pipelineChildren(repoRoot(__dirname));
    const consumers = new Map<string, { child: ChildApp; metrics: string }>();
    let env: NodeJS.ProcessEnv = {};
    let api = '';
    let database = '';

    const startConsumer = async (name: string) => {
      const port = await freePort();
      // one retry-topic consumer is enough (the first process's): fewer members rebalancing at once
      const retry = name === 'c1' ? 'true' : 'false';
      const child = children.start(
        'consumer',
        { ...env, METRICS_PORT: String(port), RETRY_ENABLED: retry },
        name,
      );
      consumers.set(name, { child, metrics: `http://127.0.0.1:${port}` });
      try {
        await waitFor(`consumer ${name}`, answers200(`http://127.0.0.1:${port}/ready`), 120_000, 250);
      } catch (err) {
        // what the consumers said while joining: the group coordinator's answers are in their logs
        throw new Error(
          `${(err as Error).message}\nconsumers' output:\n${children.logs.consumer.slice(-6000)}`,
        );
      }
    };

    beforeAll(async () => {
      if (!process.env.CLICKHOUSE_CLUSTER) throw new Error('run through `pnpm test:cluster`');
      const pipeline = await preparePipeline(`scale_out_${randomUUID().slice(0, 8)}`, { events: PARTITIONS });
      database = pipeline.database;
      const apiPort = await freePort();
      env = {
        ...pipeline.env,
        FLUSH_INTERVAL_MS: '500',
        HOST: '127.0.0.1',
        PORT: String(apiPort),
        API_KEYS: API_KEYS.join(','),
        RATE_LIMIT_PER_SECOND: '0',
        // the simulator sends each run as fast as it can: a new source's first 10 s may hold all of it
        FEED_NEW_SOURCE_MAX_EVENTS: '1000000',
        // The mock broker's coordinator waits up to a session timeout for members to rejoin: 6 s, not 10, and
        // heartbeats twice a second, so a rebalance settles in seconds (as in devstack's kafka.int.test.ts).
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '500',
        // matches are sealed while the run and the fault go on, so the reads verified come from seals too
        SEAL_QUIET_MS: '5000',
        SEAL_INTERVAL_MS: '2000',
      };
      // together, so they join the group in one rebalance (the mock broker's coordinator settles slowly when members
      // arrive one by one)
      await Promise.all(['c1', 'c2', 'c3'].map(startConsumer));
      const enricherPort = await freePort();
      children.start('enricher', { ...env, METRICS_PORT: String(enricherPort), ENRICH_INTERVAL_MS: '200' });
      await waitFor('the enricher', answers200(`http://127.0.0.1:${enricherPort}/ready`), 60_000, 250);
      children.start('api', env);
      api = `http://127.0.0.1:${apiPort}`;
      await waitFor('the api', answers200(`${api}/ready`), 60_000, 250);
    }, 180_000);

    afterAll(() => children.stop());

    const simulate = (run: 0 | 1, onThird: () => Promise<void>) => {
      let fired = false;
      let firing: Promise<void> = Promise.resolve();
      const simulation = runSimulation({
        url: api,
        matches: MATCHES,
        batch: 50,
        concurrency: 6,
        seed: 7001 + run,
        kickoff: new Date('2024-09-14T14:00:00.000Z'),
        invalidShare: 0,
        duplicateShare: 0.02,
        apiKey: API_KEYS[run],
        onProgress: (p) => {
          if (!fired && p.done > p.total / 3) {
            fired = true;
            firing = onThird();
          }
        },
      });
      return simulation.then(async (result) => {
        await firing;
        expect(fired).toBe(true);
        return { result, apiKey: API_KEYS[run]! };
      });
    };

    const expectExact = async ({ result, apiKey }: { result: SimulationResult; apiKey: string }) => {
      expect(result.report.run.aborted).toBeNull();
      expect(result.report.events.accepted).toBe(result.report.events.generated);
      const client = new IngestClient({ url: api, connections: 4, apiKey });
      try {
        const verdict = await verifyAgainstApi(client, result.truth, {
          timeoutMs: 90_000,
          stableMs: 8_000,
          pollMs: 1000,
        });
        expect(verdict.matches).toHaveLength(MATCHES);
        const failed = verdict.matches.filter((m) => !m.pass);
        // what the consumers logged above info, to tell a stalled partition from a lagging replica
        if (failed.length > 0)
          console.error(
            `consumers' warnings and errors:\n${problemLines(children.logs.consumer)}\n` +
              `replicas:\n${await replicaReport(database)}\n` +
              `consumers' lag, buffers and pauses:\n${await consumerReport()}`,
          );
        expect(failed.map((m) => [m.matchId, m.problems])).toEqual([]);
      } finally {
        await client.close();
      }
    };

    /** Each live consumer's lag per partition, buffered events and ClickHouse pause, from its /metrics. */
    const consumerReport = async (): Promise<string> => {
      const lines: string[] = [];
      for (const [name, { child, metrics }] of consumers) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const text = await (await fetch(`${metrics}/metrics`)).text().catch((err: Error) => err.message);
        const wanted = text
          .split('\n')
          .filter((l) =>
            /^consumer_(lag|buffered_events|clickhouse_unavailable|assigned_partitions|group_rejoins_total)[{ ]/.test(
              l,
            ),
          );
        lines.push(`${name}: ${wanted.join('; ')}`);
      }
      return lines.join('\n');
    };

    /** Seals the live consumers wrote, from their /metrics. */
    const sealsWritten = async (): Promise<number> => {
      let total = 0;
      for (const { child, metrics } of consumers.values()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        total += sampleSum(await (await fetch(`${metrics}/metrics`)).text(), 'consumer_seals_written_total');
      }
      return total;
    };

    /** The partitions of the events topic a consumer's /metrics says it owns. */
    const ownedBy = async (name: string): Promise<number[]> => {
      const text = await (await fetch(`${consumers.get(name)!.metrics}/metrics`)).text();
      return [...Array(PARTITIONS).keys()].filter(
        (p) =>
          sampleSum(text, 'consumer_assigned_partitions', {
            topic: env.KAFKA_TOPIC_EVENTS!,
            partition: String(p),
          }) === 1,
      );
    };

    if (part === 'consumers')
      it('three consumers on one group, one killed and another started mid-run: every event counted once, each owns partitions', async () => {
        await waitFor(
          'three members sharing the six partitions',
          async () => {
            const owned = await Promise.all(['c1', 'c2', 'c3'].map(ownedBy));
            return owned.every((p) => p.length > 0) && owned.flat().length === PARTITIONS;
          },
          60_000,
          500,
        );
        const result = await simulate(0, async () => {
          consumers.get('c2')!.child.kill('SIGKILL');
          await startConsumer('c4');
        });
        await expectExact(result);
        // after the rebalance the three live members own every partition between them, each some
        const owned = await Promise.all(['c1', 'c3', 'c4'].map(ownedBy));
        for (const partitions of owned) expect(partitions.length).toBeGreaterThan(0);
        expect(owned.flat().sort()).toEqual([...Array(PARTITIONS).keys()]);
      });

    if (part === 'replicas')
      it('the first replica of each shard stopped mid-run and started again: every event counted once, the replicas catch up', async () => {
        const control = StackControl.fromEnv();
        const first = ['s1r1', 's2r1'];
        const result = await simulate(1, async () => {
          for (const node of first) await control.stopClickHouseNode(node);
          // the second replicas take the reads and writes while the load goes on
          await new Promise((r) => setTimeout(r, 8000));
          for (const node of first) await control.startClickHouseNode(node);
        });
        await expectExact(result);
        // matches were sealed during the run and its fault, not only read from their raw rows
        expect(await sealsWritten()).toBeGreaterThan(0);

        const nodes = clusterNodes();
        expect(nodes).toHaveLength(4);
        const rows: number[] = [];
        for (const url of nodes) {
          const node = createClickHouseClient({ url, database });
          try {
            const table = identifier(database, 'events_local');
            await execute(node, caps, sql`SYSTEM SYNC REPLICA ${table}`);
            const [count] = await selectRows<{ n: number }>(
              node,
              caps,
              sql`SELECT count() AS n FROM ${table}`,
            );
            rows.push(Number(count!.n));
          } finally {
            await node.close();
          }
        }
        // s1r1, s1r2, s2r1, s2r2: each shard's replicas hold the same rows, and both shards hold some
        expect(rows[0]).toBe(rows[1]);
        expect(rows[2]).toBe(rows[3]);
        expect(rows[0]).toBeGreaterThan(0);
        expect(rows[2]).toBeGreaterThan(0);
      });
  });
}
