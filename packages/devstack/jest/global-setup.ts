import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../src/state';
import { startStack } from '../src/stack';

/**
 * One embedded stack per jest run, throwaway data, tied to this process. Connection details reach the test
 * workers through process.env (workers are forked after global setup and inherit it).
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
  const state = await startStack({ stateFile, dataDir: path.join(dir, 'clickhouse'), tiedToParent: true });
  process.env.KAFKA_BROKERS = state.kafkaBrokers;
  process.env.CLICKHOUSE_URL = state.clickhouseUrl;
  process.env.PITCHPULSE_STACK_CONTROL = state.controlUrl;
  process.env.PITCHPULSE_STACK_FILE = stateFile;
  process.env.PITCHPULSE_TEST_STACK_DIR = dir;
  console.log(`\nembedded stack: Kafka ${state.kafkaBrokers}, ClickHouse ${state.clickhouseUrl}`);
}
