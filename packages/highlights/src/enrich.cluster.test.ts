/**
 * Enrichment on the test stack's cluster (`pnpm test:cluster` only): a title is kept, so it must not be written
 * from a replica that lags. The first replica of a match's shard fetches none of the match's new rows (its second
 * goal) but has its new highlight; the pass still titles that goal with the running score 1–1.
 */
import {
  detectCapabilities,
  execute,
  identifier,
  insertEvents,
  matchGoals,
  runMigrations,
  sql,
} from '@pitchpulse/clickhouse';
import {
  clickhouseCluster,
  matchOnFirstShard,
  testClickHouseClient,
  uniqueDatabase,
  withLaggingFirstReplica,
} from '@pitchpulse/clickhouse/testing';
import type { StoredEvent } from '@pitchpulse/contract';
import { enrichDue } from './enrich';
import { defaultEnricher } from './titles';

const KICKOFF = Date.parse('2024-05-04T15:00:00.000Z');

describe('enrichment on a cluster (test:cluster)', () => {
  const database = uniqueDatabase('enrich_cluster');
  const client = testClickHouseClient(database);

  beforeAll(() => {
    if (!clickhouseCluster()) throw new Error('run through `pnpm test:cluster`');
  });
  afterAll(async () => {
    const cluster = identifier(clickhouseCluster()!);
    await execute(
      client,
      { nativeParams: false },
      sql`DROP DATABASE IF EXISTS ${identifier(database)} ON CLUSTER ${cluster}`,
    );
    await client.close();
  });

  it("titles a goal with the running score although the first replica has not fetched the goal's row", async () => {
    await runMigrations(client);
    const caps = await detectCapabilities(client);
    const matchId = await matchOnFirstShard(client, 'enrich-lag');
    const event = (minute: number, teamId: 1 | 2, playerId: string): StoredEvent => {
      const ms = KICKOFF + minute * 60_000 + 1_000;
      return {
        eventId: `00000000-0000-4000-8000-${String(minute).padStart(12, '0')}`,
        matchId,
        eventType: minute === 0 ? 'pass' : 'goal',
        timestamp: new Date(ms).toISOString(),
        teamId,
        playerId,
        receivedAt: ms + 200,
      };
    };
    const policy = { batch: 50, maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5, timeoutMs: 2000 };
    await insertEvents(client, [event(0, 1, 'p-1'), event(12, 1, 'p-9')]);
    await enrichDue({ client, caps, enricher: defaultEnricher, policy });

    const second = event(45, 2, 'p-21');
    const outcomes = await withLaggingFirstReplica(database, [second], ['highlights_local'], async () => {
      // a plain read still takes the first replica, which has one goal: the lag is real
      expect(await matchGoals(client, caps, [matchId])).toHaveLength(1);
      const pass = await enrichDue({ client, caps, enricher: defaultEnricher, policy });
      return pass.outcomes.map((o) => [o.highlight.highlightId, o.status, o.title]);
    });
    expect(outcomes).toEqual([[second.eventId, 'READY', "GOAL — Team 2 1–1, p-21 (45')"]]);
  });
});
