/**
 * Every ```sql block of docs/clickhouse.md runs, as written (only the database name swapped for the test's),
 * on both engines over the fixture rows with duplicates, returns rows, and returns the same rows on both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { insertEvents } from './events';
import { runMigrations } from './migrations';
import { insertRetractions } from './retractions';
import { closeEngines, openEngines, uniqueDatabase, type Engine } from './testing/engines';
import { buildDeliveries, buildEvents } from './testing/fixture';

const DOC = path.resolve(__dirname, '..', '..', '..', 'docs', 'clickhouse.md');

function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trim());
}

describe('docs/clickhouse.md example queries', () => {
  const database = uniqueDatabase('docs');
  const blocks = sqlBlocks(fs.readFileSync(DOC, 'utf8'));
  let engines: Engine[];

  beforeAll(async () => {
    engines = await openEngines(database);
    // The examples talk about match-123: give the fixture's first match that id.
    const events = buildEvents().map((e) =>
      e.matchId === 'cmp-feed-minutes' ? { ...e, matchId: 'match-123' } : e,
    );
    const { first, again } = buildDeliveries(events);
    for (const e of engines) {
      await runMigrations(e.client);
      for (const d of first) await insertEvents(e.client, d.events, d.insertedAt);
      // Seal after the redeliveries (each moves the marker): every match has a current seal, the season is stored.
      for (const d of again) await insertEvents(e.client, d.events, d.insertedAt);
      // One of match-123's goals disallowed: the examples leave it out or mark it.
      const goal = events.find((ev) => ev.matchId === 'match-123' && ev.eventType === 'goal')!;
      await insertRetractions(e.client, [
        {
          kind: 'retraction',
          eventId: goal.eventId,
          matchId: goal.matchId,
          reason: 'VAR',
          receivedAt: goal.receivedAt,
        },
      ]);
      // Three of match-123's events delivered again, flagged by the feed-integrity rules (migration 010).
      const [a, b, c] = events.filter((ev) => ev.matchId === 'match-123');
      await insertEvents(
        e.client,
        [
          { ...a!, anomalies: ['source-velocity', 'duplicate-storm'] },
          { ...b!, anomalies: ['duplicate-storm'] },
          { ...c!, anomalies: ['clock-skew'] },
        ],
        new Date(Date.parse('2024-03-12T00:00:00Z')),
      );
      await e.store.sealPending({ quietMs: 0, limit: 1000 });
      await e.store.writeSeasonDays();
    }
  });
  afterAll(() => closeEngines(engines));

  it('has the examples this test expects', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const b of blocks) expect(b).toMatch(/\bpitchpulse\./);
  });

  it.each(sqlBlocks(fs.readFileSync(DOC, 'utf8')).map((b, i) => [i + 1, b.split('\n')[0], b] as const))(
    'example %i (%s …) runs on both engines with the same non-empty answer',
    async (_i, _first, block) => {
      const query = block.replace(/\bpitchpulse\./g, `${database}.`);
      const answers = [];
      for (const e of engines) {
        const rows = await (await e.client.query({ query, format: 'JSONEachRow' })).json();
        answers.push({ engine: e.name, rows });
      }
      expect(answers[0]!.rows.length).toBeGreaterThan(0);
      expect(answers[1]).toEqual({ engine: answers[1]!.engine, rows: answers[0]!.rows });
    },
  );
});
