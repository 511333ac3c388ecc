import fs from 'node:fs';
import { repoPath } from './paths';

export type AppName = 'api' | 'consumer';

/**
 * The environment variables an app reads: the keys of the envalid spec in apps/<app>/src/config.ts, plus those
 * read elsewhere (LOG_LEVEL by the shared logger, NODE_ENV by libraries).
 */
export function envVarsOf(app: AppName): Set<string> {
  const file = repoPath('apps', app, 'src', 'config.ts');
  const text = fs.readFileSync(file, 'utf8');
  const names = [...text.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*[a-zA-Z]+\(/gm)].map((m) => m[1]!);
  if (names.length < 5)
    throw new Error(`${file}: found only ${names.length} settings; has the config format changed?`);
  return new Set([...names, 'LOG_LEVEL', 'NODE_ENV']);
}
