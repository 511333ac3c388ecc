import { spawnSync } from 'node:child_process';

export interface AuditOutcome {
  /** False when the registry's audit endpoint could not be asked: then nothing is known. */
  available: boolean;
  /** Why not, in the tool's own words. */
  unavailableReason?: string;
  /** Advisory counts by severity, for production dependencies. */
  vulnerabilities?: Record<string, number>;
  /** High and critical advisories: module, severity, title, where fixed. */
  serious?: Array<{ module: string; severity: string; title: string; patched: string; paths: string[] }>;
  command: string;
}

interface PnpmAuditJson {
  error?: { code?: string; message?: string };
  advisories?: Record<
    string,
    {
      module_name: string;
      severity: string;
      title: string;
      patched_versions: string;
      findings?: Array<{ paths?: string[] }>;
    }
  >;
  metadata?: { vulnerabilities?: Record<string, number> };
}

/** `pnpm audit --prod --audit-level high --json` in `cwd`, read rather than trusted by exit code. */
export function runPnpmAudit(cwd: string, timeoutMs = 120_000): AuditOutcome {
  const args = ['audit', '--prod', '--audit-level', 'high', '--json'];
  const command = `pnpm ${args.join(' ')}`;
  const run = spawnSync('pnpm', args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (run.error) return { available: false, unavailableReason: `${command}: ${run.error.message}`, command };
  let parsed: PnpmAuditJson;
  try {
    parsed = JSON.parse(run.stdout) as PnpmAuditJson;
  } catch {
    const text = `${run.stdout}\n${run.stderr}`.trim().slice(0, 500);
    return { available: false, unavailableReason: `${command} printed no JSON report: ${text}`, command };
  }
  if (parsed.error || !parsed.metadata) {
    return {
      available: false,
      unavailableReason: `${parsed.error?.code ?? 'no report'}: ${parsed.error?.message ?? run.stderr.slice(0, 300)}`,
      command,
    };
  }
  const serious = Object.values(parsed.advisories ?? {})
    .filter((a) => a.severity === 'high' || a.severity === 'critical')
    .map((a) => ({
      module: a.module_name,
      severity: a.severity,
      title: a.title,
      patched: a.patched_versions,
      paths: (a.findings ?? []).flatMap((f) => f.paths ?? []).slice(0, 5),
    }));
  return { available: true, vulnerabilities: parsed.metadata.vulnerabilities ?? {}, serious, command };
}
