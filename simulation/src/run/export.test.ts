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

  it.each(['csv', 'ndjson'] as const)(
    'writes a run’s retractions to %s as records the importer reads back as retractions',
    async (format) => {
      const retracting = planRun({
        seed: 4,
        matches: 2,
        kickoff: new Date('2024-05-18T14:00:00Z'),
        invalidShare: 0,
        duplicateShare: 0,
        retractShare: 1,
      });
      expect(retracting.retractions).toBeGreaterThan(0);
      const file = join(dir, `retracting.${format}`);
      expect(await exportPlan(retracting, file)).toBe(retracting.items.length);
      const records = [];
      for await (const row of readRows(createReadStream(file), format)) {
        expect(row.errors).toBeUndefined();
        records.push(row.event ?? row.retraction);
      }
      expect(records).toEqual(retracting.items.map((i) => i.event ?? i.retraction));
      if (format === 'csv')
        expect(readFileSync(file, 'utf8').split('\n')[0]).toBe(
          'eventId,matchId,eventType,timestamp,teamId,playerId,metadata,kind,reason',
        );
    },
  );
});
