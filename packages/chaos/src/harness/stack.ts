import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StackControl, startStack, stopStack, type StackState, type TopicSpec } from '@pitchpulse/devstack';

/** A stack of this test file's own: its faults never reach the shared jest stack or another file's. */
export interface PrivateStack {
  state: StackState;
  control: StackControl;
  brokers: string[];
  clickhouseUrl: string;
  /** Environment that points the apps at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startPrivateStack(name: string, topics?: TopicSpec[]): Promise<PrivateStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pitchpulse-chaos-${name}-`));
  const stateFile = path.join(dir, 'stack.json');
  const state = await startStack({
    stateFile,
    dataDir: path.join(dir, 'clickhouse'),
    tiedToParent: true,
    ...(topics ? { topics } : {}),
  });
  return {
    state,
    control: new StackControl(state.controlUrl),
    brokers: state.kafkaBrokers.split(','),
    clickhouseUrl: state.clickhouseUrl,
    env: { KAFKA_BROKERS: state.kafkaBrokers, CLICKHOUSE_URL: state.clickhouseUrl },
    async stop() {
      await stopStack(stateFile);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
