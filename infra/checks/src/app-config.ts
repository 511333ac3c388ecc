import fs from 'node:fs';
import { repoPath } from './paths';

export type AppName = 'api' | 'consumer' | 'enricher';

const settingNames = (text: string): string[] =>
  [...text.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*[a-zA-Z]+(?:<[A-Za-z]+>)?\(/gm)].map((m) => m[1]!);

/**
 * The environment variables an app reads: the keys of the envalid spec in apps/<app>/src/config.ts (with the
 * ClickHouse variables of packages/config when it spreads CLICKHOUSE_SPEC), plus those read elsewhere (LOG_LEVEL
 * by the shared logger, NODE_ENV by libraries).
 */
export function envVarsOf(app: AppName): Set<string> {
  const file = repoPath('apps', app, 'src', 'config.ts');
  const text = fs.readFileSync(file, 'utf8');
  const names = settingNames(text);
  if (text.includes('...CLICKHOUSE_SPEC')) {
    names.push(...settingNames(fs.readFileSync(repoPath('packages', 'config', 'src', 'index.ts'), 'utf8')));
  }
  if (names.length < 5)
    throw new Error(`${file}: found only ${names.length} settings; has the config format changed?`);
  return new Set([...names, 'LOG_LEVEL', 'NODE_ENV']);
}
