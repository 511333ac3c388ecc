import fs from 'node:fs';
import path from 'node:path';
import type { ClusterInfo } from './clickhouse-cluster';

/** What a running stack tells apps and tests: written by the daemon, read by everyone else. */
export interface StackState {
  pid: number;
  controlUrl: string;
  kafkaBrokers: string;
  kafkaBrokerCount: number;
  clickhouseUrl: string;
  clickhouseTcpPort: number;
  clickhousePid: number | null;
  /** The read-only analyst account (absent in the state of a stack started before it existed). */
  clickhouseAnalystUser?: string;
  /** File holding the analyst's password (mode 0600). */
  clickhouseAnalystPasswordFile?: string;
  dataDir: string;
  startedAt: string;
  /**
   * Set when the stack runs the ClickHouse cluster (`pnpm stack up --cluster`): its name (CLICKHOUSE_CLUSTER),
   * ZooKeeper and every node. clickhouseUrl, clickhouseTcpPort and clickhousePid are then the coordinator's
   * (shard 1 replica 1).
   */
  clickhouseCluster?: ClusterInfo;
}

/** The repository root: the nearest folder above `from` holding pnpm-workspace.yaml. */
export function repoRoot(from = __dirname): string {
  let dir = path.resolve(from);
  while (!fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** `.local/` under the repo root, or PITCHPULSE_LOCAL_DIR. */
export function localDir(): string {
  return path.resolve(process.env.PITCHPULSE_LOCAL_DIR ?? path.join(repoRoot(), '.local'));
}

export function defaultStateFile(): string {
  return process.env.PITCHPULSE_STACK_FILE ?? path.join(localDir(), 'stack.json');
}

export function readState(file = defaultStateFile()): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackState;
  } catch {
    return undefined;
  }
}

export function writeState(file: string, state: StackState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function removeState(file: string): void {
  fs.rmSync(file, { force: true });
}
