import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { SERVICE_NODE_FLAGS } from '@pitchpulse/devstack';

export interface AppProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Starts `node script` with env, prefixing each output line with the app's name. */
export function startApp(name: string, script: string, env: NodeJS.ProcessEnv): AppProcess {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(11);
  for (const stream of [child.stdout, child.stderr]) {
    readline
      .createInterface({ input: stream! })
      .on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs` if the process is still there. */
export async function stopApp(app: AppProcess, graceMs = 30_000): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), graceMs);
  await app.exited;
  clearTimeout(timer);
}

export async function waitUntilReady(
  url: string,
  exited: Promise<unknown>,
  timeoutMs = 60_000,
): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`process behind ${url} exited during start-up`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready within ${timeoutMs} ms`);
}
