import { stringify } from 'csv-stringify/sync';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { CSV_COLUMNS, RETRACTION_COLUMNS } from '../importer/rows';
import type { Outgoing, RunPlan } from './plan';

/** What a planned item is as a record of an import file: the event, or the retraction with `kind`. */
function recordOf(item: Outgoing): Record<string, unknown> {
  if (item.kind === 'retraction') return { kind: 'retraction', ...item.retraction };
  return item.body as Record<string, unknown>;
}

/**
 * Writes a run's events (and retractions) to a file instead of sending them, in send order: NDJSON (one body per
 * line, a retraction with `"kind": "retraction"`) or CSV (the import's columns, metadata as JSON; kind and reason
 * only when the run retracts goals). Deliberately broken events are included; CSV cannot carry an unknown field, so
 * that kind of breakage comes out valid there. Returns the number of records written.
 */
export async function exportPlan(plan: RunPlan, file: string): Promise<number> {
  const csv = /\.csv$/i.test(file);
  const columns: readonly string[] =
    plan.retractions > 0 ? [...CSV_COLUMNS, ...RETRACTION_COLUMNS] : CSV_COLUMNS;
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (csv) await write(stringify([[...columns]]));
  for (const item of plan.items) {
    const record = recordOf(item);
    if (!csv) {
      await write(`${JSON.stringify(record)}\n`);
      continue;
    }
    const cells = columns.map((column) => {
      const value = record[column];
      if (value === undefined) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
    await write(stringify([cells]));
  }
  out.end();
  await once(out, 'finish');
  return plan.items.length;
}
