import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { isProcessAlive, waitFor } from './ports';

/** A server run as a child process of this one: its output appended to a log file. */
export class ServerProcess {
  private child: ChildProcess | undefined;

  /** `what` names the server in errors ("clickhouse-server on port 8123"). */
  constructor(readonly what: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Spawns `file args` (stdout and stderr appended to `logFile`) and resolves once `ready()` is true; rejects
   * when the process exits first (`exitHint` tells where to look) or after timeoutMs. A running server is left as is.
   */
  async start(
    options: { file: string; args: string[]; cwd: string; logFile: string; exitHint: string },
    ready: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<void> {
    if (this.running) return;
    const out = fs.openSync(options.logFile, 'a');
    const child = spawn(options.file, options.args, { cwd: options.cwd, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    await waitFor(
      this.what,
      async () => {
        if (exited) throw new Error(`${this.what} exited during start-up; see ${options.exitHint}`);
        return ready();
      },
      timeoutMs,
    );
  }

  /**
   * Sends `signal` (SIGTERM: a clean shutdown), SIGKILL after timeoutMs, and resolves once the process is gone.
   */
  async stop(timeoutMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    const pid = child.pid;
    await waitFor(`${this.what} to exit`, () => !isProcessAlive(pid), 5000);
  }
}
