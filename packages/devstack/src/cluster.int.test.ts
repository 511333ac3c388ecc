import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClickHouseCluster } from './clickhouse-cluster';
import { isPortOpen, isProcessAlive, waitFor } from './ports';

/** A query over HTTP (the SQL in the body, settings in the URL); throws with ClickHouse's message on an error. */
async function query(url: string, sql: string, settings: Record<string, string> = {}): Promise<string> {
  const params = new URLSearchParams(settings);
  const res = await fetch(`${url}/?${params.toString()}`, {
    method: 'POST',
    body: sql,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${sql.slice(0, 200)}: ${res.status} ${text}`);
  return text;
}
const count = async (url: string, table: string): Promise<number> =>
  Number(await query(url, `SELECT count() FROM ${table}`));
const rows = (matchIds: string[], perMatch: number, offset = 0): string =>
  matchIds.flatMap((m) => Array.from({ length: perMatch }, (_, i) => `('${m}', ${offset + i})`)).join(',');

// Its own ZooKeeper and four ClickHouse servers on their own free ports and a private folder: nothing shared with
// the single-node stack of jest's global setup.
describe('embedded ClickHouse cluster: ZooKeeper + 2 shards × 2 replicas', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-cluster-'));
  const db = 'cluster_test';
  let cluster: ClickHouseCluster;
  let s1r1: string, s1r2: string, s2r1: string, s2r2: string;

  beforeAll(async () => {
    cluster = await ClickHouseCluster.create({ dataDir: dir });
    await cluster.start();
    [[s1r1, s1r2], [s2r1, s2r2]] = cluster.urls;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('gives every node its macros and the cluster in system.clusters', async () => {
    expect(cluster.name).toBe('pitchpulse');
    expect(cluster.url).toBe(s1r1);
    for (const node of cluster.nodes) {
      const macros = await query(
        node.server.url,
        'SELECT macro, substitution FROM system.macros ORDER BY macro',
      );
      expect(macros).toBe(`cluster\tpitchpulse\nreplica\t${node.name}\nshard\t0${node.shard}\n`);
    }
    const layout = await query(
      s2r2,
      "SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = 'pitchpulse' ORDER BY shard_num, replica_num",
    );
    expect(layout).toBe(cluster.nodes.map((n) => `${n.shard}\t${n.replica}\t${n.server.tcpPort}\n`).join(''));
    expect(await query(s1r1, "SELECT count() > 0 FROM system.zookeeper WHERE path = '/'")).toBe('1\n');
  });

  it('runs ON CLUSTER DDL on all four nodes', async () => {
    await query(s1r1, `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER pitchpulse`);
    await query(
      s1r1,
      `CREATE TABLE ${db}.events ON CLUSTER pitchpulse (match_id String, seq UInt32)
       ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/events', '{replica}') ORDER BY (match_id, seq)`,
    );
    await query(
      s1r1,
      `CREATE TABLE ${db}.events_all ON CLUSTER pitchpulse AS ${db}.events
       ENGINE = Distributed(pitchpulse, ${db}, events, cityHash64(match_id))`,
    );
    for (const url of [s1r1, s1r2, s2r1, s2r2]) {
      expect(
        await query(url, `SELECT name, engine FROM system.tables WHERE database = '${db}' ORDER BY name`),
      ).toBe('events\tReplicatedMergeTree\nevents_all\tDistributed\n');
    }
    // Both replicas of a shard share a ZooKeeper path; the two shards have their own.
    const paths = await query(
      s2r2,
      `SELECT zookeeper_path, replica_name FROM system.replicas WHERE database = '${db}'`,
    );
    expect(paths).toBe(`/clickhouse/tables/02/${db}/events\ts2r2\n`);
  });

  it('spreads rows over the shards by cityHash64(match_id), every row of a match on one shard', async () => {
    const matches = Array.from({ length: 20 }, (_, i) => `match-${i}`);
    await query(s1r1, `INSERT INTO ${db}.events_all VALUES ${rows(matches, 50)}`, {
      insert_distributed_sync: '1',
    });
    // The insert went to one replica of each shard; the other gets it by replication, and a Distributed read may
    // ask either.
    await Promise.all(cluster.urls.flat().map((url) => query(url, `SYSTEM SYNC REPLICA ${db}.events`)));
    expect(await count(s2r1, `${db}.events_all`)).toBe(1000);
    const perShard = async (url: string): Promise<Map<string, number>> => {
      const text = await query(url, `SELECT match_id, count() FROM ${db}.events GROUP BY match_id`);
      return new Map(
        text
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split('\t'))
          .map(([m, n]) => [m, Number(n)]),
      );
    };
    const [one, two] = [await perShard(s1r1), await perShard(s2r1)];
    expect(one.size).toBeGreaterThan(0);
    expect(two.size).toBeGreaterThan(0);
    expect(one.size + two.size).toBe(20);
    for (const n of [...one.values(), ...two.values()]) expect(n).toBe(50);
    // Shard = hash % 2 (weights 1 and 1): the key decides, and no match is on both shards.
    const shardOf = await query(
      s1r1,
      `SELECT match_id, cityHash64(match_id) % 2 + 1 FROM system.one ARRAY JOIN [${matches.map((m) => `'${m}'`).join(',')}] AS match_id`,
    );
    for (const [m, shard] of shardOf
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))) {
      expect([one.has(m), two.has(m)]).toEqual([shard === '1', shard === '2']);
    }
  });

  it('replicates rows inserted on one replica to the other replica of its shard', async () => {
    await query(s1r2, `INSERT INTO ${db}.events VALUES ${rows(['replicated'], 10)}`);
    await query(s1r1, `SYSTEM SYNC REPLICA ${db}.events`);
    expect(await query(s1r1, `SELECT count() FROM ${db}.events WHERE match_id = 'replicated'`)).toBe('10\n');
    // The other shard does not get them.
    await query(s2r1, `SYSTEM SYNC REPLICA ${db}.events`);
    expect(await query(s2r1, `SELECT count() FROM ${db}.events WHERE match_id = 'replicated'`)).toBe('0\n');
  });

  it('stores an insert block repeated on either replica once (block deduplication)', async () => {
    const block = `INSERT INTO ${db}.events VALUES ${rows(['dedup'], 7)}`;
    await query(s2r1, block);
    await query(s2r1, block);
    await query(s2r2, block);
    await query(s2r2, `SYSTEM SYNC REPLICA ${db}.events`);
    for (const url of [s2r1, s2r2]) {
      expect(await query(url, `SELECT count() FROM ${db}.events WHERE match_id = 'dedup'`)).toBe('7\n');
    }
  });

  it('brings a stopped replica back, and it catches up on what its shard got meanwhile', async () => {
    const stopped = cluster.nodeAt(1, 2);
    const pid = stopped.server.pid!;
    await cluster.stopNode(stopped.name);
    expect(isProcessAlive(pid)).toBe(false);
    expect(await isPortOpen(stopped.server.httpPort)).toBe(false);

    for (let i = 0; i < 5; i++) {
      await query(s1r1, `INSERT INTO ${db}.events VALUES ${rows(['while-down'], 100, i * 100)}`);
    }
    const expected = await count(s1r1, `${db}.events`);

    await cluster.startNode(stopped.name);
    expect(stopped.server.pid).not.toBe(pid);
    await waitFor(
      'the restarted replica to catch up',
      async () => (await count(s1r2, `${db}.events`)) === expected,
      60_000,
      250,
    );
    expect(await query(s1r2, `SELECT count() FROM ${db}.events WHERE match_id = 'while-down'`)).toBe('500\n');
    // It takes inserts again, and they reach the replica that stayed up.
    await query(s1r2, `INSERT INTO ${db}.events VALUES ${rows(['after-restart'], 3)}`);
    await query(s1r1, `SYSTEM SYNC REPLICA ${db}.events`);
    expect(await query(s1r1, `SELECT count() FROM ${db}.events WHERE match_id = 'after-restart'`)).toBe(
      '3\n',
    );
  }, 120_000);

  it('stops every process and closes every port', async () => {
    const pids = cluster.pids;
    const ports = cluster.ports;
    expect(pids).toHaveLength(5);
    expect(ports).toHaveLength(13);
    expect(new Set(ports).size).toBe(13);
    expect((await Promise.all(ports.map((p) => isPortOpen(p)))).every(Boolean)).toBe(true);
    await cluster.stop();
    expect(pids.filter(isProcessAlive)).toEqual([]);
    expect((await Promise.all(ports.map((p) => isPortOpen(p)))).some(Boolean)).toBe(false);
    expect(cluster.pids).toEqual([]);
  });
});
