import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localDir } from '@pitchpulse/devstack';

/** Where each scenario leaves its summary (`.local/chaos/<scenario>.json`); CHAOS_SUMMARY_DIR overrides. */
export function summaryDir(): string {
  return process.env.CHAOS_SUMMARY_DIR ?? path.join(localDir(), 'chaos');
}

/** Records what a scenario measured: printed for the log and written for docs/reliability.md. */
export function recordSummary(scenario: string, summary: Record<string, unknown>): void {
  const body = {
    scenario,
    recordedAt: new Date().toISOString(),
    // measurements depend on what else the machine was doing
    machine: { cpus: os.cpus().length, loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100 },
    ...summary,
  };
  const text = JSON.stringify(body, null, 2);
  fs.mkdirSync(summaryDir(), { recursive: true });
  fs.writeFileSync(path.join(summaryDir(), `${scenario}.json`), `${text}\n`);
  console.log(`chaos summary ${scenario}:\n${text}`);
}
