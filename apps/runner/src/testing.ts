import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

type AppName = 'api' | 'consumer';

/** The built api and consumer as child processes of a test, their output kept per app. */
export interface PipelineChildren {
  logs: Record<AppName, string>;
  start(name: AppName, env: NodeJS.ProcessEnv): void;
  /** SIGTERM to each, resolved once all exited. */
  stop(): Promise<void>;
}

export function pipelineChildren(root: string): PipelineChildren {
  const children: ChildProcess[] = [];
  const logs = { api: '', consumer: '' };
  return {
    logs,
    start(name, env) {
      const script = join(root, `apps/${name}/dist/main.js`);
      if (!existsSync(script)) throw new Error(`${script} is missing: run pnpm build first`);
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      for (const stream of [child.stdout, child.stderr])
        stream!.on('data', (chunk: Buffer) => (logs[name] += chunk.toString()));
      children.push(child);
    },
    stop: () =>
      Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) =>
              child.exitCode !== null
                ? resolve()
                : (child.once('exit', () => resolve()), child.kill('SIGTERM')),
            ),
        ),
      ).then(() => undefined),
  };
}

/** For waitFor: whether `url` answers 200. */
export const answers200 = (url: string) => async () =>
  (await fetch(url).catch(() => undefined))?.status === 200;
