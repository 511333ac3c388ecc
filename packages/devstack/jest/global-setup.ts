import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/state';
import { startStack } from '../src/stack';

/**
 * One embedded stack per jest run, throwaway data, tied to this process. Connection details reach the test
 * workers through process.env (workers are forked after global setup and inherit it). With
 * PITCHPULSE_TEST_CLUSTER set (`pnpm test:cluster`), ClickHouse is the 2 × 2 cluster and CLICKHOUSE_CLUSTER names it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL) {
    console.log(
      `\nusing external Kafka ${process.env.KAFKA_BROKERS} and ClickHouse ${process.env.CLICKHOUSE_URL}`,
    );
    return;
  }
  // The daemon runs as plain node, so make sure its compiled form is current.
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/devstack'], {
    cwd: repoRoot(__dirname),
    stdio: 'inherit',
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-test-'));
  const stateFile = path.join(dir, 'stack.json');
  const cluster = Boolean(process.env.PITCHPULSE_TEST_CLUSTER);
  const state = await startStack({
    stateFile,
    dataDir: path.join(dir, 'clickhouse'),
    tiedToParent: true,
    cluster,
  });
  if (state.clickhouseCluster) {
    process.env.CLICKHOUSE_CLUSTER = state.clickhouseCluster.name;
    // Tests that act on every node (OPTIMIZE on each shard's leader) read them here.
    process.env.PITCHPULSE_TEST_CLUSTER_NODES = state.clickhouseCluster.nodes.map((n) => n.url).join(',');
  }
  process.env.KAFKA_BROKERS = state.kafkaBrokers;
  process.env.CLICKHOUSE_URL = state.clickhouseUrl;
  process.env.PITCHPULSE_STACK_CONTROL = state.controlUrl;
  process.env.PITCHPULSE_STACK_FILE = stateFile;
  process.env.PITCHPULSE_TEST_STACK_DIR = dir;
  const clickhouse = state.clickhouseCluster
    ? `the ClickHouse cluster ${state.clickhouseCluster.name} (2 shards × 2 replicas) at ${state.clickhouseUrl}`
    : `ClickHouse ${state.clickhouseUrl}`;
  console.log(`\nembedded stack: Kafka ${state.kafkaBrokers}, ${clickhouse}`);
}
