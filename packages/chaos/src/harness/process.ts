import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@pitchpulse/devstack';

const ROOT = repoRoot(__dirname);
export const API_MAIN = path.join(ROOT, 'apps', 'api', 'dist', 'main.js');
export const CONSUMER_MAIN = path.join(ROOT, 'apps', 'consumer', 'dist', 'main.js');

/** The unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Logs kept per process at most (the tail is what matters once a run went wrong). */
const MAX_LOG_CHARS = 20_000_000;

/** One app started as a real process (`node apps/<app>/dist/main.js`), its output captured. */
export class AppProcess {
  readonly child: ChildProcess;
  private output = '';
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  /** Resolves once the process has exited and everything it wrote has been read (`logs` is complete). */
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    main: string,
    env: Record<string, string>,
    /** Also write the output here (kept for a look after a failed run). */
    logFile?: string,
  ) {
    if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
    this.child = spawn(process.execPath, [main], {
      env: { ...process.env, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let file: fs.WriteStream | undefined;
    if (logFile) {
      fs.mkdirSync(path.dirname(logFile), { recursive: true });
      file = fs.createWriteStream(logFile);
    }
    const collect = (chunk: Buffer) => {
      if (this.output.length < MAX_LOG_CHARS) this.output += chunk.toString();
      file?.write(chunk);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    // 'close', not 'exit': a process can exit before its last output has been read from the pipes, and a test
    // that checks the logs after a stop must see all of them (the shutdown lines too).
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        file?.end();
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitCode === undefined ? undefined : { code: this.exitCode, signal: this.exitSignal };
  }

  /** Resolves with the first log line (parsed) that `match` accepts; rejects if the process exits first. */
  async waitForLog<T>(
    match: (line: Record<string, unknown>) => T | undefined,
    timeoutMs = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let scanned = 0;
    while (Date.now() < deadline) {
      const lines = this.output.split('\n');
      for (let i = scanned; i < lines.length - 1; i++) {
        try {
          const found = match(JSON.parse(lines[i]!) as Record<string, unknown>);
          if (found !== undefined) return found;
        } catch {
          // not a JSON line
        }
      }
      scanned = Math.max(scanned, lines.length - 1);
      if (!this.running)
        throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}):\n${this.tail()}`);
      await sleep(50);
    }
    throw new Error(`${this.name}: no matching log line within ${timeoutMs} ms:\n${this.tail()}`);
  }

  tail(lines = 15): string {
    return this.output.trim().split('\n').slice(-lines).join('\n');
  }

  /** Peak resident set size so far (Linux VmHWM), in MiB; undefined once the process is gone. */
  peakRssMiB(): number | undefined {
    const kb = procStatusKb(this.pid, 'VmHWM');
    return kb === undefined ? undefined : kb / 1024;
  }

  rssMiB(): number | undefined {
    const kb = procStatusKb(this.pid, 'VmRSS');
    return kb === undefined ? undefined : kb / 1024;
  }

  /** CPU time the process has used so far (user + system), in seconds; undefined once it is gone. */
  cpuSeconds(): number | undefined {
    try {
      // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
      const fields = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return undefined;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

function procStatusKb(pid: number, field: string): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type ApiProcess = AppProcess & { url: string };

/** The ingest API as a process; resolves once it listens. */
export async function startApiProcess(env: Record<string, string>, logFile?: string): Promise<ApiProcess> {
  const api = new AppProcess('api', API_MAIN, { PORT: '0', HOST: '127.0.0.1', ...env }, logFile);
  const url = await api.waitForLog((line) => (typeof line.url === 'string' ? line.url : undefined));
  return Object.assign(api, { url });
}

/**
 * SIGKILLs the API and starts it again at once on the same port (clients keep their URL), as an orchestrator
 * restarts a crashed container; resolves once the new process listens (it connects to Kafka after that).
 */
export async function killAndRestartApi(
  api: ApiProcess,
  env: Record<string, string>,
  logFile?: string,
): Promise<ApiProcess> {
  api.kill('SIGKILL');
  await api.exited;
  return startApiProcess({ ...env, PORT: new URL(api.url).port }, logFile);
}

/** Waits until the API's producer has connected (ingest answers 202 from then on). */
export async function waitForKafka(api: AppProcess, timeoutMs = 30_000): Promise<void> {
  await api.waitForLog((line) => (line.msg === 'connected to Kafka' ? true : undefined), timeoutMs);
}

/**
 * Keeps one consumer process running like an orchestrator would: restarted at once after `kill()` (our SIGKILL),
 * and with a doubling back-off (1 s … 8 s, like Kubernetes' CrashLoopBackOff) when it exits by itself.
 */
export class ConsumerSupervisor {
  private current: AppProcess | undefined;
  private stopped = false;
  private killedByUs = false;
  private loop: Promise<void> | undefined;
  readonly exits: Array<{
    at: number;
    code: number | null;
    signal: string | null;
    ranMs: number;
    lastLog: string;
  }> = [];
  starts = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly clock: () => number = Date.now,
    /** `consumer-N.log` for the N-th process goes here when given. */
    private readonly logDir?: string,
  ) {}

  start(): void {
    let backoff = 1000;
    this.loop = (async () => {
      while (!this.stopped) {
        const started = Date.now();
        const proc = new AppProcess(
          'consumer',
          CONSUMER_MAIN,
          { METRICS_PORT: '0', ...this.env },
          this.logDir && path.join(this.logDir, `consumer-${this.starts + 1}.log`),
        );
        this.current = proc;
        this.starts++;
        const probing = this.probeLiveness(proc);
        await proc.exited;
        await probing;
        this.exits.push({
          at: this.clock(),
          code: proc.exit!.code,
          signal: proc.exit!.signal,
          ranMs: Date.now() - started,
          lastLog: proc.tail(1).slice(0, 300),
        });
        if (this.stopped) break;
        if (this.killedByUs) {
          this.killedByUs = false;
          backoff = 1000;
          await sleep(200);
        } else {
          await sleep(backoff);
          backoff = Date.now() - started > 30_000 ? 1000 : Math.min(8000, backoff * 2);
        }
      }
    })();
  }

  get process(): AppProcess | undefined {
    return this.current;
  }

  /** Restarts forced by the liveness probe (infra/k8s: GET /health every 10 s, 3 failures, 2 s timeout). */
  livenessKills = 0;

  private async probeLiveness(proc: AppProcess): Promise<void> {
    let url: string;
    try {
      url = await proc.waitForLog(
        (line) =>
          typeof line.metrics === 'string' ? line.metrics.replace(/\/metrics$/, '/health') : undefined,
        600_000,
      );
    } catch {
      return; // exited before it started
    }
    let failures = 0;
    while (proc.running && !this.stopped) {
      await Promise.race([sleep(10_000), proc.exited]);
      if (!proc.running) return;
      const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      );
      failures = ok ? 0 : failures + 1;
      if (failures >= 3) {
        this.livenessKills++;
        proc.kill('SIGKILL');
        return;
      }
    }
  }

  /** SIGKILL the running consumer (the supervisor starts the next one at once); false if none was running. */
  kill(): boolean {
    if (!this.current?.running) return false;
    this.killedByUs = true;
    this.current.kill('SIGKILL');
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.stop();
    await this.loop;
  }
}
