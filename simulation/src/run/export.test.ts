import { mkdtempSync, readFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRows } from '../importer/read';
import { exportPlan } from './export';
import { planRun } from './plan';

describe('exporting a run to a file', () => {
  const plan = planRun({
    seed: 4,
    matches: 2,
    kickoff: new Date('2024-05-18T14:00:00Z'),
    invalidShare: 0,
    duplicateShare: 0,
  });
  const dir = mkdtempSync(join(tmpdir(), 'pitchpulse-export-'));

  it.each(['csv', 'ndjson'] as const)(
    'writes %s that the importer reads back event for event',
    async (format) => {
      const file = join(dir, `run.${format}`);
      expect(await exportPlan(plan, file)).toBe(plan.items.length);
      const events = [];
      for await (const row of readRows(createReadStream(file), format)) {
        expect(row.errors).toBeUndefined();
        events.push(row.event);
      }
      expect(events).toEqual(plan.items.map((i) => i.event));
      if (format === 'csv')
        expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(
          'eventId,matchId,eventType,timestamp,teamId,playerId,metadata',
        );
    },
  );
});
