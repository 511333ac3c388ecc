/**
 * What every benchmark shares, once: the stack (KAFKA_BROKERS / CLICKHOUSE_URL when set, else a throwaway embedded
 * stack), node children started with the services' node flags, waits with a time limit, autocannon runs, timing,
 * medians and percentiles, number formatting, markdown tables, the verdict (a run with any failed answer fails
 * the benchmark) and the life cycle (clean-up on success, failure and Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import {
  ClickHouseCluster,
  SERVICE_NODE_FLAGS,
  StackControl,
  repoRoot,
  startStack,
  stopStack,
  waitFor,
} from '@pitchpulse/devstack';

// ---------------------------------------------------------------------------------------------------------
// Numbers

/** A whole number with thousands separators (`12,345`); `n/a` for NaN and infinities. */
export function fmt(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** Milliseconds with `digits` decimals (`1.5 ms`). */
export function fmtMs(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

/** A ratio with `digits` decimals; `n/a` when it cannot be computed. */
export function fmtRatio(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of ascending `sorted` values, `p` from 0 to 1. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile ${p} is not between 0 and 1`);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export interface Timing {
  p50: number;
  p99: number;
  max: number;
}

/** p50, p99 and max of latency samples (ms). */
export function summarize(samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1]! };
}

/** Runs `work` and answers its result with the milliseconds it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** Runs `run(0)`, `run(1)`, … one after another and answers the milliseconds each took. */
export async function timeEach(count: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push((await timed(() => run(i))).ms);
  return samples;
}

/** A numeric setting from the environment: `fallback` when unset; refuses anything but a number ≥ `min`. */
export function envNumber(
  name: string,
  fallback: number,
  {
    min = 0,
    integer = false,
    env = process.env,
  }: { min?: number; integer?: boolean; env?: NodeJS.ProcessEnv } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new BenchFailure(`${name}=${raw}: expected ${integer ? 'a whole number' : 'a number'} ≥ ${min}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Tables

export type Align = 'left' | 'right';

/** A markdown table; `align` per column (default: first left, the others right). */
export function table(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  align?: Align[],
): string {
  const columns = header.length;
  for (const row of rows) {
    if (row.length !== columns)
      throw new RangeError(`a table row has ${row.length} cells for ${columns} columns`);
  }
  const sides = align ?? header.map((_, i): Align => (i === 0 ? 'left' : 'right'));
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(sides.map((a) => (a === 'right' ? '---:' : '---'))), ...rows.map(line)].join(
    '\n',
  );
}

export function printTable(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
  align?: Align[],
): void {
  console.log(`\n${table(header, rows, align)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Verdict

/** A broken measurement: the benchmark ends with exit code 1 and this message. */
export class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

/** One load run (autocannon), counting only what succeeded. */
export interface LoadRun {
  name: string;
  seconds: number;
  /** Every answer, successful or not. */
  responses: number;
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  /** Answer counts by status code (`{ '202': 900, '503': 3 }`). */
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** 2xx answers per second. */
  okPerSecond: number;
  /** Latency of every answer (ms); a run that counts has no failed answers, so these are successful ones. */
  latency: Timing;
  /** Events the 2xx bodies list as accepted (`countAccepted` runs), and as rejected. */
  accepted: number;
  rejected: number;
  /** 2xx bodies that did not say what was accepted (`countAccepted` runs). */
  unreadable: number;
  acceptedPerSecond: number;
  /** CPU time (user + system) the server process spent per 2xx answer, when measured. */
  cpuUsPerRequest?: number;
}

/** Why a run does not count: non-2xx answers, errors, timeouts, rejected events, unreadable bodies, nothing ok. */
export function runProblems(run: LoadRun): string[] {
  const problems: string[] = [];
  if (run.non2xx > 0) {
    const codes = Object.entries(run.statusCodes)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ');
    problems.push(`${run.non2xx} non-2xx answers${codes ? ` (${codes})` : ''}`);
  }
  if (run.errors > 0) problems.push(`${run.errors} connection errors (timeouts included)`);
  if (run.timeouts > 0) problems.push(`${run.timeouts} timeouts`);
  if (run.rejected > 0) problems.push(`${run.rejected} events rejected in 2xx answers`);
  if (run.unreadable > 0) problems.push(`${run.unreadable} 2xx answers without an accepted list`);
  if (run.ok === 0) problems.push('no successful answer');
  return problems.map((p) => `${run.name}: ${p}`);
}

/** Every problem of the runs; empty when all of them count. */
export function verdict(runs: readonly LoadRun[]): string[] {
  return runs.flatMap(runProblems);
}

/** Throws BenchFailure naming every problem of the runs, if any. */
export function requireAllOk(runs: readonly LoadRun[]): void {
  const problems = verdict(runs);
  if (problems.length > 0) {
    throw new BenchFailure(
      `${problems.length} run problem(s); the figures above are not a valid measurement:\n  ${problems.join('\n  ')}`,
    );
  }
}

/** `met` or `MISSED`: a target is information, not a failure. */
export const mark = (met: boolean): string => (met ? 'met' : 'MISSED');

/**
 * What a 2xx answer of the ingest API accepted: the batch body's `accepted` and `rejected` lists, or one event for
 * the single-event body (`eventId`). `undefined` for a body that says neither.
 */
export function acceptedIn(body: string): { accepted: number; rejected: number } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const answer = parsed as { accepted?: unknown; rejected?: unknown; eventId?: unknown };
  if (Array.isArray(answer.accepted)) {
    return {
      accepted: answer.accepted.length,
      rejected: Array.isArray(answer.rejected) ? answer.rejected.length : 0,
    };
  }
  if (typeof answer.eventId === 'string') return { accepted: 1, rejected: 0 };
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Life cycle

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Runs `fn` when the benchmark ends (success, failure or signal), last registered first. */
export function defer(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      console.error(`clean-up: ${(err as Error).message}`);
    }
  }
}

/**
 * Runs a benchmark: exit 0 when `main` resolves, 1 with `<name> FAILED: …` when it throws, 130 on SIGINT/SIGTERM;
 * children and the throwaway stack are stopped in every case.
 */
export function runBench(name: string, main: () => Promise<void>): void {
  let ending = false;
  const end = (code: number) => {
    void cleanUp().finally(() => process.exit(code));
  };
  const onSignal = () => {
    if (ending) return;
    ending = true;
    console.log(`\n${name} interrupted: stopping the children and the stack`);
    end(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main().then(
    () => {
      if (ending) return;
      ending = true;
      end(0);
    },
    (err: unknown) => {
      if (ending) return;
      ending = true;
      const message =
        err instanceof BenchFailure
          ? err.message
          : err instanceof Error
            ? (err.stack ?? err.message)
            : String(err);
      console.error(`\n${name} FAILED: ${message}`);
      end(1);
    },
  );
}

/** Rejects with a message naming `what` when `work` has not settled within `timeoutMs`. */
export async function withTimeout<T>(what: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BenchFailure(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` until true; fails after `timeoutMs` naming `what` (devstack's waitFor). */
export async function waitUntil(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  try {
    await waitFor(what, condition, timeoutMs, intervalMs);
  } catch (err) {
    throw new BenchFailure((err as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Stack

export interface BenchStack {
  kafkaBrokers: string;
  clickhouseUrl: string;
  /** The embedded stack's control API (topics): set for a throwaway stack or PITCHPULSE_STACK_CONTROL. */
  control?: StackControl;
  throwaway: boolean;
}

/**
 * KAFKA_BROKERS and CLICKHOUSE_URL when both are set (only CLICKHOUSE_URL with `kafka: false`), else a throwaway
 * embedded stack (ClickHouse 18.16 + librdkafka mock Kafka) in a temporary folder, stopped when the bench ends.
 */
export async function openStack(options: { kafka?: boolean } = {}): Promise<BenchStack> {
  const needsKafka = options.kafka ?? true;
  const { KAFKA_BROKERS, CLICKHOUSE_URL, PITCHPULSE_STACK_CONTROL } = process.env;
  if (CLICKHOUSE_URL && (KAFKA_BROKERS || !needsKafka)) {
    return {
      kafkaBrokers: KAFKA_BROKERS ?? '',
      clickhouseUrl: CLICKHOUSE_URL,
      control: PITCHPULSE_STACK_CONTROL ? new StackControl(PITCHPULSE_STACK_CONTROL) : undefined,
      throwaway: false,
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-bench-'));
  const stateFile = path.join(dir, 'stack.json');
  defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  defer(() => stopStack(stateFile));
  console.log('starting a throwaway embedded stack (ClickHouse 18.16 + librdkafka mock Kafka)…');
  const state = await startStack({ stateFile, dataDir: path.join(dir, 'clickhouse'), tiedToParent: true });
  return {
    kafkaBrokers: state.kafkaBrokers,
    clickhouseUrl: state.clickhouseUrl,
    control: new StackControl(state.controlUrl),
    throwaway: true,
  };
}

/** A throwaway embedded ClickHouse cluster's addresses (cluster mode: CLICKHOUSE_CLUSTER names it). */
export interface BenchCluster {
  name: string;
  /** Shard 1 replica 1: where the apps and the bench connect. */
  url: string;
  /** Every node's HTTP URL. */
  nodeUrls: string[];
}

/**
 * ZooKeeper and ClickHouse 18.16 as 2 shards × 2 replicas (as `pnpm stack up --cluster`) in a temporary folder,
 * stopped (ClickHouse before ZooKeeper) when the bench ends.
 */
export async function openCluster(): Promise<BenchCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-bench-cluster-'));
  defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  console.log('starting a throwaway embedded ClickHouse cluster (ZooKeeper + 2 shards × 2 replicas)…');
  const cluster = await ClickHouseCluster.create({ dataDir: dir });
  defer(() => cluster.stop());
  await cluster.start(150_000);
  return { name: cluster.name, url: cluster.url, nodeUrls: cluster.urls.flat() };
}

// ---------------------------------------------------------------------------------------------------------
// Node children

/** `apps/<app>/dist/main.js`: the service as production starts it; fails when it has not been built. */
export function serviceScript(app: 'api' | 'consumer'): string {
  const script = path.join(repoRoot(__dirname), 'apps', app, 'dist', 'main.js');
  if (!fs.existsSync(script)) throw new BenchFailure(`${script} is missing: run \`pnpm build\` first`);
  return script;
}

/** A compiled script of this package (`bare-server.js`). */
export const benchScript = (name: string): string => path.join(__dirname, name);

export interface NodeChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Settles with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** Exit code, `null` after a signal, `undefined` while it runs. */
  exitCode(): number | null | undefined;
  /** Its last output lines (stdout and stderr), for messages. */
  tail(lines?: number): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface StartNodeOptions {
  env?: NodeJS.ProcessEnv;
  /** Node flags after SERVICE_NODE_FLAGS (e.g. `--cpu-prof`). */
  extraFlags?: readonly string[];
  /** Resolve once a stdout line satisfies this (and fail if none does within `readyTimeoutMs`). */
  readyLine?: (line: string) => boolean;
  readyTimeoutMs?: number;
  /** Every stdout line, as it comes. */
  onLine?: (line: string) => void;
  /** Copy the child's output to this process's. */
  echo?: boolean;
}

/**
 * `node <SERVICE_NODE_FLAGS> <extraFlags> script` with `env` on top of this process's environment: every process
 * of a benchmark runs on the services' node flags, as production does. Stopped when the bench ends.
 */
export async function startNode(
  name: string,
  script: string,
  options: StartNodeOptions = {},
): Promise<NodeChild> {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...(options.extraFlags ?? []), script], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    if (options.echo) console.log(line);
  };
  let exit: number | null | undefined;
  // 'close': after the exit and the end of its output, so every line has been seen.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      exit = code;
      resolve(code);
    }),
  );
  const tail = (n = 10) => lines.slice(-n).join('\n');
  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (exit !== undefined) return exit;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await withTimeout(`${name} to exit`, graceMs + 10_000, exited);
    } finally {
      clearTimeout(killer);
    }
  };
  const handle: NodeChild = { name, process: child, exited, exitCode: () => exit, tail, stop };
  defer(() => stop());

  let ready: (() => void) | undefined;
  const readySeen = new Promise<void>((resolve) => (ready = resolve));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(line);
    options.onLine?.(line);
    if (options.readyLine?.(line)) ready?.();
  });
  readline.createInterface({ input: child.stderr! }).on('line', keep);
  if (!options.readyLine) return handle;

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  await withTimeout(
    `${name} to say it is ready`,
    timeoutMs,
    Promise.race([
      readySeen,
      exited.then((code) => {
        throw new BenchFailure(`${name} exited (${code}) before it was ready:\n${tail()}`);
      }),
    ]),
  );
  return handle;
}

/**
 * Waits until GET `url` answers 2xx; fails after `timeoutMs` naming `what` and the last answer, or at once when
 * `child` exits meanwhile.
 */
export async function waitForUrl(
  url: string,
  options: { what: string; timeoutMs?: number; intervalMs?: number; child?: NodeChild },
): Promise<void> {
  const { what, child } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  let last = 'no answer yet';
  try {
    await waitFor(
      what,
      async () => {
        const code = child?.exitCode();
        if (child && code !== undefined) {
          throw new BenchFailure(
            `${child.name} exited (${code}) while waiting for ${what}:\n${child.tail()}`,
          );
        }
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
          if (res.ok) return true;
          last = `${res.status} ${(await res.text()).slice(0, 300)}`;
        } catch (err) {
          last = (err as Error).message;
        }
        return false;
      },
      timeoutMs,
      options.intervalMs ?? 250,
    );
  } catch (err) {
    if (err instanceof BenchFailure) throw err;
    throw new BenchFailure(`${(err as Error).message} (GET ${url}, last answer: ${last})`);
  }
}

/** GET `url` within `timeoutMs`, the body as text; fails on a non-2xx answer. */
export async function fetchText(url: string, timeoutMs = 10_000): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new BenchFailure(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** utime + stime of a process in ms (Linux /proc, 100 clock ticks a second), undefined elsewhere. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Load (autocannon)

export interface LoadOptions {
  name: string;
  /** Base URL; `path` per request when given. */
  url: string;
  seconds: number;
  connections: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A fresh body per request. */
  body?: () => string;
  /** A path per request (else the URL's). */
  path?: () => string;
  /** Count the events each 2xx body accepts (see acceptedIn). */
  countAccepted?: boolean;
  /** The server process, to measure its CPU per request. */
  server?: NodeChild;
}

/** One autocannon run; prints a progress line and answers what succeeded (see LoadRun). */
export async function load(options: LoadOptions): Promise<LoadRun> {
  const { name, seconds } = options;
  process.stdout.write(`${name.padEnd(48)} ${seconds} s… `);
  let accepted = 0;
  let rejected = 0;
  let unreadable = 0;
  const onResponse = options.countAccepted
    ? (status: number, body: string) => {
        if (status < 200 || status > 299) return;
        const answer = acceptedIn(body);
        if (!answer) unreadable++;
        else {
          accepted += answer.accepted;
          rejected += answer.rejected;
        }
      }
    : undefined;
  const cpuBefore = processCpuMs(options.server?.process.pid);
  const result = await withTimeout(
    `autocannon run "${name}"`,
    (seconds + 60) * 1000,
    autocannon({
      url: options.url,
      connections: options.connections,
      duration: seconds,
      method: options.method ?? 'GET',
      headers: options.headers,
      requests: [
        {
          method: options.method ?? 'GET',
          setupRequest: (req) => ({
            ...req,
            ...(options.body ? { body: options.body() } : {}),
            ...(options.path ? { path: options.path() } : {}),
          }),
          ...(onResponse ? { onResponse } : {}),
        },
      ],
    }),
  );
  const cpuAfter = processCpuMs(options.server?.process.pid);
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, Number(s.count ?? 0)]),
  );
  const ok = result['2xx'];
  const duration = result.duration > 0 ? result.duration : seconds;
  const run: LoadRun = {
    name,
    seconds: duration,
    responses: result.requests.total,
    ok,
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    okPerSecond: ok / duration,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    accepted,
    rejected,
    unreadable,
    acceptedPerSecond: accepted / duration,
  };
  if (cpuBefore !== undefined && cpuAfter !== undefined && ok > 0) {
    run.cpuUsPerRequest = ((cpuAfter - cpuBefore) * 1000) / ok;
  }
  const problems = runProblems(run).length;
  console.log(
    `${fmt(run.okPerSecond)} ok/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms` +
      (options.countAccepted ? `, ${fmt(run.acceptedPerSecond)} accepted events/s` : '') +
      (problems > 0 ? `  ← ${runProblems(run).join('; ')}` : ''),
  );
  return run;
}

// ---------------------------------------------------------------------------------------------------------
// Open-loop load (fixed offered rate)

export interface OpenLoopOptions {
  name: string;
  url: string;
  /** Requests per second, sent on schedule whatever the answers. */
  rate: number;
  seconds: number;
  /** Requests due in the first `warmupSeconds` (sockets being opened) are sent but not measured. */
  warmupSeconds?: number;
  headers?: Record<string, string>;
  body: () => string;
  /** Keep-alive sockets at most; requests beyond them queue in the client, and that wait counts as latency. */
  sockets?: number;
}

export interface OpenLoopRun {
  name: string;
  rate: number;
  sent: number;
  ok: number;
  /** Non-2xx answers and failed exchanges, by status (`error` for the latter). */
  failed: Record<string, number>;
  /** From each request's scheduled send time to its answer (no coordinated omission). */
  latency: Timing;
  /** How late the generator itself sent, at worst (ms): large values mean the client, not the server, lagged. */
  maxSendLagMs: number;
}

/**
 * Open-loop load: request i is due at start + i / rate and is sent then, whether or not earlier ones were answered;
 * its latency runs from that due time, so a stall of the server counts for every request due during it (what a
 * closed-loop tool like autocannon leaves out). autocannon's rate options only pace its closed loop.
 */
export async function openLoopLoad(options: OpenLoopOptions): Promise<OpenLoopRun> {
  const { name, rate, seconds } = options;
  process.stdout.write(`${name.padEnd(48)} ${seconds} s at ${fmt(rate)} req/s… `);
  // undici: a fraction of node:http's client CPU per request, which shares the cores with the servers.
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.sockets ?? 256, headersTimeout: 30_000 });
  const run: OpenLoopRun = {
    name,
    rate,
    sent: 0,
    ok: 0,
    failed: {},
    latency: { p50: 0, p99: 0, max: 0 },
    maxSendLagMs: 0,
  };
  const latencies: number[] = [];
  const answered: Array<Promise<void>> = [];
  const send = async (dueAt: number, measured: boolean): Promise<void> => {
    let outcome: number | 'error' = 'error';
    try {
      const res = await pool.request({
        method: 'POST',
        path: url.pathname,
        headers: options.headers,
        body: options.body(),
      });
      await res.body.dump();
      outcome = res.statusCode;
    } catch {
      // counted as `error` below
    }
    if (outcome !== 'error' && outcome >= 200 && outcome < 300) {
      run.ok++;
      if (measured) latencies.push(performance.now() - dueAt);
    } else run.failed[outcome] = (run.failed[outcome] ?? 0) + 1;
  };
  const interval = 1000 / rate;
  const start = performance.now();
  const total = Math.round(rate * seconds);
  const warmup = Math.round(rate * (options.warmupSeconds ?? 0));
  while (run.sent < total) {
    const now = performance.now();
    for (let dueAt = start + run.sent * interval; dueAt <= now && run.sent < total; dueAt += interval) {
      run.maxSendLagMs = Math.max(run.maxSendLagMs, now - dueAt);
      answered.push(send(dueAt, run.sent >= warmup));
      run.sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await withTimeout(`the answers of "${name}"`, 60_000, Promise.all(answered));
  await pool.close();
  if (latencies.length > 0) run.latency = summarize(latencies);
  const failures = Object.entries(run.failed).map(([status, n]) => `${n} × ${status}`);
  console.log(
    `p50 ${fmtMs(run.latency.p50)}, p99 ${fmtMs(run.latency.p99)}, max ${fmtMs(run.latency.max)}` +
      (failures.length > 0 ? `  ← ${failures.join(', ')}` : ''),
  );
  return run;
}
