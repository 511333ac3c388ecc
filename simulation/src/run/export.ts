import { stringify } from 'csv-stringify/sync';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { CSV_COLUMNS } from '../importer/rows';
import type { RunPlan } from './plan';

/**
 * Writes a run's events to a file instead of sending them, in send order: NDJSON (one body per line) or CSV
 * (the import's columns, metadata as JSON). Deliberately broken events are included; CSV cannot carry an unknown
 * field, so that kind of breakage comes out valid there. Returns the number of records written.
 */
export async function exportPlan(plan: RunPlan, file: string): Promise<number> {
  const csv = /\.csv$/i.test(file);
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (csv) await write(stringify([[...CSV_COLUMNS]]));
  for (const item of plan.items) {
    if (!csv) {
      await write(`${JSON.stringify(item.body)}\n`);
      continue;
    }
    const body = item.body as Record<string, unknown>;
    const cells = CSV_COLUMNS.map((column) => {
      const value = body[column];
      if (value === undefined) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
    await write(stringify([cells]));
  }
  out.end();
  await once(out, 'finish');
  return plan.items.length;
}
