import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackControl } from './control';
import { isPortOpen, isProcessAlive } from './ports';
import { readState, type StackState } from './state';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'dist', 'cli.js');
const openPorts = async (ports: number[]): Promise<boolean[]> => Promise.all(ports.map((p) => isPortOpen(p)));

describe('pnpm stack up / down', () => {
  it('starts a reachable stack and leaves no process running and no port held after down', async () => {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-cli-'));
    // A separate .local so this does not touch the test run's own stack or a developer's.
    const env: NodeJS.ProcessEnv = { ...process.env, PITCHPULSE_LOCAL_DIR: local };
    delete env.PITCHPULSE_STACK_FILE;
    try {
      const up = await run(process.execPath, [CLI, 'up'], { env });
      expect(up.stdout).toMatch(/^KAFKA_BROKERS=127\.0\.0\.1:\d+$/m);
      expect(up.stdout).toMatch(/^CLICKHOUSE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
      const state = readState(path.join(local, 'stack.json'))!;
      // The read-only analyst account: its password file under the stack's folder, and how to connect.
      const passwordFile = path.join(local, 'clickhouse', 'analyst.password');
      expect(up.stdout).toContain(
        `CLICKHOUSE_ANALYST_USER=analyst\nCLICKHOUSE_ANALYST_PASSWORD_FILE=${passwordFile}\n`,
      );
      expect(up.stdout).toContain(
        `clickhouse-client --port ${state.clickhouseTcpPort} --user analyst --password "$(cat ${passwordFile})"`,
      );
      const ports = [
        Number(new URL(state.clickhouseUrl).port),
        state.clickhouseTcpPort,
        Number(new URL(state.controlUrl).port),
        ...state.kafkaBrokers.split(',').map((b) => Number(b.split(':')[1])),
      ];
      const pids = [state.pid, state.clickhousePid!];
      expect(pids.every(isProcessAlive)).toBe(true);
      expect(await Promise.all(ports.map((p) => isPortOpen(p)))).toEqual(ports.map(() => true));
      expect(await (await fetch(`${state.clickhouseUrl}/ping`)).text()).toBe('Ok.\n');

      const status = await run(process.execPath, [CLI, 'status'], { env });
      expect(status.stdout).toContain(`KAFKA_BROKERS=${state.kafkaBrokers}`);

      const down = await run(process.execPath, [CLI, 'down'], { env });
      expect(down.stdout).toContain('stack stopped');
      expect(pids.map(isProcessAlive)).toEqual([false, false]);
      expect(await Promise.all(ports.map((p) => isPortOpen(p)))).toEqual(ports.map(() => false));
      expect(fs.existsSync(path.join(local, 'stack.json'))).toBe(false);
      await expect(run(process.execPath, [CLI, 'status'], { env })).rejects.toMatchObject({ code: 1 });
    } finally {
      await run(process.execPath, [CLI, 'down'], { env }).catch(() => undefined);
      fs.rmSync(local, { recursive: true, force: true });
    }
  });

  it('keeps ClickHouse data between runs of the same data folder', async () => {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PITCHPULSE_LOCAL_DIR: local };
    delete env.PITCHPULSE_STACK_FILE;
    const query = async (url: string, sql: string) =>
      (await fetch(`${url}/?query=${encodeURIComponent(sql)}`, { method: 'POST' })).text();
    try {
      await run(process.execPath, [CLI, 'up'], { env });
      let state = readState(path.join(local, 'stack.json'))!;
      await query(state.clickhouseUrl, 'CREATE TABLE kept (n UInt8) ENGINE = MergeTree ORDER BY n');
      await query(state.clickhouseUrl, 'INSERT INTO kept VALUES (7)');
      await run(process.execPath, [CLI, 'down'], { env });
      await run(process.execPath, [CLI, 'up'], { env });
      state = readState(path.join(local, 'stack.json'))!;
      expect(await query(state.clickhouseUrl, 'SELECT n FROM kept')).toBe('7\n');
    } finally {
      await run(process.execPath, [CLI, 'down'], { env }).catch(() => undefined);
      fs.rmSync(local, { recursive: true, force: true });
    }
  });

  it('up --cluster runs ZooKeeper and 2 × 2 ClickHouse nodes, stops and starts one, and down stops them all', async () => {
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PITCHPULSE_LOCAL_DIR: local };
    delete env.PITCHPULSE_STACK_FILE;
    const stateFile = path.join(local, 'stack.json');
    try {
      const up = await run(process.execPath, [CLI, 'up', '--cluster'], { env });
      const state = readState(stateFile)!;
      const cluster = state.clickhouseCluster!;
      expect(cluster.name).toBe('pitchpulse');
      expect(cluster.nodes.map((n) => [n.name, n.shard, n.replica])).toEqual([
        ['s1r1', 1, 1],
        ['s1r2', 1, 2],
        ['s2r1', 2, 1],
        ['s2r2', 2, 2],
      ]);
      // Apps connect to shard 1 replica 1 and learn the cluster's name.
      expect(state.clickhouseUrl).toBe(cluster.nodes[0].url);
      expect(up.stdout).toContain(`CLICKHOUSE_URL=${state.clickhouseUrl}\nCLICKHOUSE_CLUSTER=pitchpulse\n`);
      expect(state.dataDir).toBe(path.join(local, 'clickhouse-cluster'));
      expect(state.clickhouseAnalystPasswordFile).toBe(
        path.join(local, 'clickhouse-cluster', 'analyst.password'),
      );
      const ports = [
        cluster.zookeeper.port,
        ...cluster.nodes.flatMap((n) => [Number(new URL(n.url).port), n.tcpPort, n.interserverHttpPort]),
      ];
      const pids = [state.pid, cluster.zookeeper.pid!, ...cluster.nodes.map((n) => n.pid!)];
      expect(new Set(ports).size).toBe(13);
      expect(pids.every(isProcessAlive)).toBe(true);
      expect(await openPorts(ports)).toEqual(ports.map(() => true));

      // A single-node `up` does not pretend the cluster is what it asked for.
      await expect(run(process.execPath, [CLI, 'up'], { env })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('the running stack has the ClickHouse cluster pitchpulse'),
      });

      // One node down and up again through the control URL; the state file follows.
      const control = new StackControl(state.controlUrl);
      const node = (s: StackState) => s.clickhouseCluster!.nodes[3];
      await control.stopClickHouseNode('s2r2');
      expect(node(readState(stateFile)!).pid).toBeNull();
      expect(isProcessAlive(node(state).pid!)).toBe(false);
      expect(await isPortOpen(node(state).tcpPort)).toBe(false);
      await control.startClickHouseNode('s2r2');
      const restarted = node(readState(stateFile)!).pid!;
      expect(isProcessAlive(restarted)).toBe(true);
      expect(await (await fetch(`${node(state).url}/ping`)).text()).toBe('Ok.\n');

      const status = await run(process.execPath, [CLI, 'status'], { env });
      expect(status.stdout).toContain(`zookeeper: ${cluster.zookeeper.connect}`);
      expect(status.stdout).toContain(`s2r2: shard 2 replica 2   ${node(state).url}`);

      const down = await run(process.execPath, [CLI, 'down'], { env });
      expect(down.stdout).toContain('stack stopped');
      expect([...pids, restarted].filter(isProcessAlive)).toEqual([]);
      expect(await openPorts(ports)).toEqual(ports.map(() => false));
      expect(fs.existsSync(stateFile)).toBe(false);
    } finally {
      await run(process.execPath, [CLI, 'down'], { env }).catch(() => undefined);
      fs.rmSync(local, { recursive: true, force: true });
    }
  }, 180_000);
});
