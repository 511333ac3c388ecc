import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

type AppName = 'api' | 'consumer' | 'enricher';
export type ChildApp = ChildProcess;

/** The built api, consumer and enricher as child processes of a test, their output kept per app. */
export interface PipelineChildren {
  /** each app's output, all its processes together */
  logs: Record<AppName, string>;
  /** Starts one process of `name` (`label` tells several apart in errors). */
  start(name: AppName, env: NodeJS.ProcessEnv, label?: string): ChildApp;
  /** SIGTERM to each, resolved once all exited. */
  stop(): Promise<void>;
}

export function pipelineChildren(root: string): PipelineChildren {
  const children: ChildProcess[] = [];
  const logs = { api: '', consumer: '', enricher: '' };
  return {
    logs,
    start(name, env, label = name) {
      const script = join(root, `apps/${name}/dist/main.js`);
      if (!existsSync(script)) throw new Error(`${script} is missing: run pnpm build first`);
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const stream of [child.stdout, child.stderr])
        stream!.on('data', (chunk: Buffer) => (logs[name] += chunk.toString()));
      child.once('exit', (code, signal) => {
        if (code && !signal) logs[name] += `\n[${label} exited with ${code}]\n`;
      });
      children.push(child);
      return child;
    },
    stop: () => Promise.all(children.map(stopChild)).then(() => undefined),
  };
}

/** SIGTERM, SIGKILL after 30 s; resolves once the process is gone (at once if it already is). */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** For waitFor: whether `url` answers 200. */
export const answers200 = (url: string) => async () =>
  (await fetch(url).catch(() => undefined))?.status === 200;
