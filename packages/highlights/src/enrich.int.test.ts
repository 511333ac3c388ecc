/**
 * The highlight lifecycle on both engines (ClickHouse 18.16 and chdb): goals and red cards stored through the
 * real insert path become PENDING highlights once each however often they are delivered, an enrichment pass
 * makes them READY with the default enricher's title and summary (scorer, running score, minute), a failing
 * enricher is retried with backoff and then FAILED, and the read queries page, filter and find them.
 */
import { insertEvents, insertRetractions, runMigrations, setHighlightTypes } from '@pitchpulse/clickhouse';
import { closeEngines, openEngines, uniqueDatabase, type Engine } from '@pitchpulse/clickhouse/testing';
import type { StoredEvent } from '@pitchpulse/contract';
import { defaultEnricher } from './titles';
import { enrichDue, type EnrichPolicy } from './enrich';
import type { HighlightEnricher } from './enricher';

const KICKOFF = Date.parse('2024-05-04T15:00:00.000Z');
let next = 1;
const id = () => `00000000-0000-4000-8000-${(next++).toString(16).padStart(12, '0')}`;

function event(
  matchId: string,
  type: StoredEvent['eventType'],
  minute: number,
  extra: Partial<StoredEvent> = {},
) {
  const ms = KICKOFF + minute * 60_000 + 1_000;
  return {
    eventId: id(),
    matchId,
    eventType: type,
    timestamp: new Date(ms).toISOString(),
    teamId: 1,
    receivedAt: ms + 200,
    ...extra,
  } as StoredEvent;
}

const POLICY: EnrichPolicy = {
  batch: 50,
  maxAttempts: 3,
  backoffBaseMs: 1,
  backoffMaxMs: 5,
  timeoutMs: 2000,
};

describe('highlights on both engines: created once, enriched, retried, failed, read', () => {
  const database = uniqueDatabase('highlights');
  let engines: Engine[];
  // Match hl-1: a kick-off pass, a goal for team 1 (scorer in metadata), one for team 2, a red card; sent twice.
  const kickoff = event('hl-1', 'pass', 0, { teamId: 1 });
  const goal1 = event('hl-1', 'goal', 12, { teamId: 1, playerId: 'p-9', metadata: { scorer: 'Smith' } });
  const goal2 = event('hl-1', 'goal', 45, { teamId: 2, playerId: 'p-21', metadata: { minute: 45 } });
  const red = event('hl-1', 'red_card', 67, { teamId: 2, playerId: 'p-4' });
  const matchOne = [kickoff, goal1, goal2, red];

  const pass = (e: Engine, enricher: HighlightEnricher = defaultEnricher, policy = POLICY) =>
    enrichDue({ client: e.client, caps: e.caps, enricher, policy });

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client);
      await insertEvents(e.client, matchOne, new Date(KICKOFF + 3_600_000));
      await insertEvents(e.client, [goal1, red], new Date(KICKOFF + 3_700_000)); // redelivered
    }
  });
  afterAll(() => closeEngines(engines));

  it('creates one PENDING highlight per goal and red card, however often delivered', async () => {
    for (const e of engines) {
      const page = await e.store.highlights({ matchId: 'hl-1', limit: 10, offset: 0 });
      expect(page.total).toBe(3);
      expect(page.items.map((h) => [h.eventId, h.status, h.attempts])).toEqual([
        [red.eventId, 'PENDING', 0],
        [goal2.eventId, 'PENDING', 0],
        [goal1.eventId, 'PENDING', 0],
      ]);
      expect(page.items[2]).toMatchObject({
        highlightId: goal1.eventId,
        matchId: 'hl-1',
        eventType: 'goal',
        teamId: 1,
        playerId: 'p-9',
        minute: 12,
        title: '',
        summary: null,
        error: null,
        createdAt: new Date(KICKOFF + 3_600_000).toISOString(),
      });
    }
  });

  it('an enrichment pass makes them READY with the running score, the scorer and the minute', async () => {
    for (const e of engines) {
      const result = await pass(e);
      expect(result.outcomes.map((o) => o.status)).toEqual(['READY', 'READY', 'READY']);
      const byId = new Map(
        (await e.store.highlights({ matchId: 'hl-1', limit: 10, offset: 0 })).items.map((h) => [
          h.eventId,
          h,
        ]),
      );
      expect(byId.get(goal1.eventId)).toMatchObject({
        status: 'READY',
        title: "GOAL — Team 1 1–0, Smith (12')",
        summary: 'Smith scores for Team 1 in the 12th minute: 1–0.',
      });
      expect(byId.get(goal2.eventId)).toMatchObject({
        title: "GOAL — Team 2 1–1, p-21 (45')",
        summary: 'p-21 scores for Team 2 in the 45th minute: 1–1.',
      });
      expect(byId.get(red.eventId)).toMatchObject({
        title: "RED CARD — Team 2, p-4 (67')",
        summary: 'p-4 of Team 2 is sent off in the 67th minute, with the score at 1–1.',
      });
      // Nothing is due any more, and a redelivery after READY does not make a highlight PENDING again.
      expect((await pass(e)).outcomes).toEqual([]);
      await insertEvents(e.client, [goal2], new Date(KICKOFF + 3_800_000));
      expect((await pass(e)).outcomes).toEqual([]);
      expect((await e.store.highlight(goal2.eventId))?.status).toBe('READY');
    }
  });

  it('retries an enricher that fails twice, with the error and attempts stored, then READY', async () => {
    const goal = event('hl-2', 'goal', 30, { teamId: 2, playerId: 'p-7' });
    for (const e of engines) {
      await insertEvents(e.client, [goal], new Date(KICKOFF + 3_600_000));
      let calls = 0;
      const flaky: HighlightEnricher = {
        name: 'flaky',
        enrich: async (input) => {
          calls += 1;
          if (calls <= 2) throw new Error(`model unavailable (${calls})`);
          return defaultEnricher.enrich(input);
        },
      };
      const states = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 10)); // past the backoff
        await pass(e, flaky);
        const h = await e.store.highlight(goal.eventId);
        states.push([h?.status, h?.attempts, h?.error]);
      }
      expect(states).toEqual([
        ['PENDING', 1, 'model unavailable (1)'],
        ['PENDING', 2, 'model unavailable (2)'],
        ['READY', 2, null],
      ]);
      // Its match's only event: minute 0 of that match (no feed minute).
      expect((await e.store.highlight(goal.eventId))?.title).toBe("GOAL — Team 2 0–1, p-7 (0')");
    }
  });

  it('does not retry before the backoff', async () => {
    const goal = event('hl-3', 'goal', 5);
    for (const e of engines) {
      await insertEvents(e.client, [goal], new Date(KICKOFF + 3_600_000));
      const failing: HighlightEnricher = { name: 'down', enrich: () => Promise.reject(new Error('down')) };
      const slow = { ...POLICY, backoffBaseMs: 60_000, backoffMaxMs: 60_000 };
      expect((await pass(e, failing, slow)).outcomes.map((o) => o.highlight.highlightId)).toEqual([
        goal.eventId,
      ]);
      expect((await pass(e, failing, slow)).outcomes).toEqual([]);
      expect(await e.store.highlight(goal.eventId)).toMatchObject({ status: 'PENDING', attempts: 1 });
    }
  });

  it('an enricher that always fails (or hangs) ends FAILED with its error after the attempts', async () => {
    const goal = event('hl-4', 'goal', 50);
    const card = event('hl-4', 'red_card', 51);
    for (const e of engines) {
      await insertEvents(e.client, [goal, card], new Date(KICKOFF + 3_600_000));
      const broken: HighlightEnricher = {
        name: 'broken',
        enrich: (input) =>
          input.eventType === 'goal' ? Promise.reject(new Error('quota exceeded')) : new Promise(() => {}),
      };
      const quick = { ...POLICY, timeoutMs: 50 };
      for (let i = 0; i < POLICY.maxAttempts; i++) {
        await new Promise((r) => setTimeout(r, 10));
        await pass(e, broken, quick);
      }
      expect(await e.store.highlight(goal.eventId)).toMatchObject({
        status: 'FAILED',
        attempts: 3,
        error: 'quota exceeded',
        summary: null,
      });
      expect(await e.store.highlight(card.eventId)).toMatchObject({
        status: 'FAILED',
        error: 'the enricher took longer than 50 ms',
      });
      expect((await pass(e, broken, quick)).outcomes).toEqual([]);
    }
  });

  it('lists every match newest first, pages, filters by status, finds by id', async () => {
    for (const e of engines) {
      const all = await e.store.highlights({ limit: 100, offset: 0 });
      expect(all.total).toBe(7);
      const times = all.items.map((h) => Date.parse(h.timestamp));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const pages = [
        await e.store.highlights({ limit: 3, offset: 0 }),
        await e.store.highlights({ limit: 3, offset: 3 }),
        await e.store.highlights({ limit: 3, offset: 6 }),
      ];
      expect(pages.flatMap((p) => p.items.map((h) => h.highlightId))).toEqual(
        all.items.map((h) => h.highlightId),
      );
      const failed = await e.store.highlights({ status: 'FAILED', limit: 10, offset: 0 });
      expect(failed.items.map((h) => h.matchId)).toEqual(['hl-4', 'hl-4']);
      expect((await e.store.highlights({ status: 'READY', limit: 10, offset: 0 })).total).toBe(4);
      expect((await e.store.highlights({ status: 'PENDING', limit: 10, offset: 0 })).total).toBe(1);
      expect(await e.store.highlight('00000000-0000-4000-8000-ffffffffffff')).toBeNull();
    }
  });

  it('HIGHLIGHT_TYPES: a type turned on becomes a highlight from the next insert on; one turned off stops', async () => {
    for (const e of engines) {
      await setHighlightTypes(e.client, e.caps, ['goal', 'yellow_card']);
      const yellow = event('hl-5', 'yellow_card', 20);
      const red5 = event('hl-5', 'red_card', 21);
      await insertEvents(e.client, [yellow, red5], new Date(KICKOFF + 3_600_000));
      const page = await e.store.highlights({ matchId: 'hl-5', limit: 10, offset: 0 });
      expect(page.items.map((h) => h.eventType)).toEqual(['yellow_card']);
      await setHighlightTypes(e.client, e.caps, ['goal', 'red_card'], Date.now() + 1);
    }
  });
});

describe('a retraction: its highlight is RETRACTED, the titles that counted the goal are written again', () => {
  const database = uniqueDatabase('highlights_var');
  let engines: Engine[];
  const kickoff = event('hl-var', 'pass', 0); // the minutes count from it, whichever goal is retracted
  const g1 = event('hl-var', 'goal', 10, { teamId: 1, playerId: 'p-1' });
  const g2 = event('hl-var', 'goal', 20, { teamId: 1, playerId: 'p-2' });
  const g3 = event('hl-var', 'goal', 30, { teamId: 2, playerId: 'p-3' });
  const g4 = event('hl-var', 'goal', 40, { teamId: 2, playerId: 'p-4' }); // stored in the third test
  // Each pass runs a second after the step before it, and each retraction is stored between two passes.
  let clock = Date.now() - 60_000;
  const pass = (e: Engine, enricher: HighlightEnricher = defaultEnricher) => {
    const at = (clock += 1000);
    return enrichDue({ client: e.client, caps: e.caps, enricher, policy: POLICY, now: () => at });
  };
  const retract = (e: Engine, goal: StoredEvent) => {
    const at = (clock += 1000);
    const { eventId, matchId } = goal;
    return insertRetractions(
      e.client,
      [{ kind: 'retraction', eventId, matchId, reason: 'VAR', receivedAt: at }],
      new Date(at),
    );
  };
  const titles = async (e: Engine) => {
    const page = await e.store.highlights({ matchId: 'hl-var', limit: 10, offset: 0 });
    return page.items.map((h) => [h.eventId, h.status, h.title, h.error]);
  };

  beforeAll(async () => {
    engines = await openEngines(database);
    for (const e of engines) {
      await runMigrations(e.client);
      await insertEvents(e.client, [kickoff, g1, g2, g3], new Date(KICKOFF + 3_600_000));
    }
  });
  afterAll(() => closeEngines(engines));

  it('the goals after a disallowed one get the corrected running score; nothing else is enriched again', async () => {
    for (const e of engines) {
      expect((await pass(e)).outcomes).toHaveLength(3);
      expect(await titles(e)).toEqual([
        [g3.eventId, 'READY', "GOAL — Team 2 2–1, p-3 (30')", null],
        [g2.eventId, 'READY', "GOAL — Team 1 2–0, p-2 (20')", null],
        [g1.eventId, 'READY', "GOAL — Team 1 1–0, p-1 (10')", null],
      ]);
      await retract(e, g1);
      const revised = (await pass(e)).outcomes;
      expect(revised.map((o) => [o.highlight.highlightId, o.status])).toEqual([
        [g2.eventId, 'READY'],
        [g3.eventId, 'READY'],
      ]);
      expect(await titles(e)).toEqual([
        [g3.eventId, 'READY', "GOAL — Team 2 1–1, p-3 (30')", null],
        [g2.eventId, 'READY', "GOAL — Team 1 1–0, p-2 (20')", null],
        [g1.eventId, 'RETRACTED', "GOAL — Team 1 1–0, p-1 (10')", null],
      ]);
      expect((await pass(e)).outcomes).toEqual([]);
    }
  });

  it('a retraction stored while a pass runs: what the pass wrote is enriched again by the next', async () => {
    for (const e of engines) {
      await insertEvents(e.client, [g4], new Date(KICKOFF + 3_600_000));
      // The enricher is called for g4 after the pass read the match's goals: retract g3 meanwhile.
      const racing: HighlightEnricher = {
        name: 'racing',
        enrich: async (input) => {
          await retract(e, g3);
          return defaultEnricher.enrich(input);
        },
      };
      expect((await pass(e, racing)).outcomes.map((o) => o.highlight.highlightId)).toEqual([g4.eventId]);
      const again = (await pass(e)).outcomes.map((o) => o.highlight.highlightId);
      expect(again).toEqual([g2.eventId, g4.eventId]);
      expect((await titles(e))[0]).toEqual([g4.eventId, 'READY', "GOAL — Team 2 1–1, p-4 (40')", null]);
      expect((await pass(e)).outcomes).toEqual([]);
    }
  });

  it('an enricher failing on the revision: the old title is dropped (the API shows the plain one), with the error', async () => {
    const failing: HighlightEnricher = {
      name: 'down',
      enrich: () => Promise.reject(new Error('model offline')),
    };
    for (const e of engines) {
      await retract(e, g2);
      expect((await pass(e, failing)).outcomes.map((o) => o.highlight.highlightId)).toEqual([g4.eventId]);
      const [latest] = await titles(e);
      expect(latest).toEqual([
        g4.eventId,
        'READY',
        '',
        'could not revise it after a retraction: model offline',
      ]);
      expect((await pass(e, failing)).outcomes).toEqual([]);
    }
  });
});
