import fs from 'node:fs';
import { repoPath } from './paths';

export type AppName = 'api' | 'consumer' | 'enricher';

const settingNames = (text: string): string[] =>
  [...text.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*[a-zA-Z]+(?:<[A-Za-z]+>)?\(/gm)].map((m) => m[1]!);

/** The standard OpenTelemetry variables packages/tracing reads, in the apps that start tracing. */
const TRACING_VARS = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
];

/**
 * The environment variables an app reads: the keys of the envalid spec in apps/<app>/src/config.ts (with the
 * ClickHouse variables of packages/config when it spreads CLICKHOUSE_SPEC), plus those read elsewhere (LOG_LEVEL
 * by the shared logger, NODE_ENV by libraries, the OTEL_* variables where main.ts starts tracing).
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
  const traced = fs.readFileSync(repoPath('apps', app, 'src', 'main.ts'), 'utf8').includes('startTracing(');
  return new Set([...names, 'LOG_LEVEL', 'NODE_ENV', ...(traced ? TRACING_VARS : [])]);
}
