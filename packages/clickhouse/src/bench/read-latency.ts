/**
 * Latency of the read queries on a loaded schema, beside the same metrics computed by scanning the raw table.
 * Usage: node packages/clickhouse/dist/bench/read-latency.js [matches=20] [eventsPerMatch=25000] [rounds=200]
 * Uses CLICKHOUSE_URL and a throwaway database, dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, type StoredEvent } from '@pitchpulse/events';
import { detectCapabilities } from '../capabilities';
import { createClickHouseClient } from '../client';
import { insertEvents } from '../events';
import { runMigrations } from '../migrations';
import { execute } from '../query';
import { getMatchLastInsert } from '../queries/freshness';
import { getHighlights } from '../queries/highlights';
import { listMatches } from '../queries/matches';
import { getMatchMetrics, getMatchMetricsFromEvents } from '../queries/metrics';
import { getTopPlayers } from '../queries/players';
import { getTimeline } from '../queries/timeline';
import { identifier, sql } from '../sql';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function timeIt(
  rounds: number,
  run: (i: number) => Promise<unknown>,
): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await run(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function main(): Promise<void> {
  const [matches = 20, perMatch = 25_000, rounds = 200] = process.argv.slice(2).map(Number);
  const url = process.env.CLICKHOUSE_URL;
  if (!url) throw new Error('set CLICKHOUSE_URL (`pnpm stack status` prints it)');
  const database = `bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const client = createClickHouseClient({ url, database });
  try {
    await runMigrations(client);
    const caps = await detectCapabilities(client);
    const start = Date.parse('2024-05-01T18:00:00Z');
    const t0 = performance.now();
    for (let m = 0; m < matches!; m++) {
      for (let off = 0; off < perMatch!; off += 10_000) {
        const batch: StoredEvent[] = [];
        for (let i = off; i < Math.min(perMatch!, off + 10_000); i++) {
          const ms = start + m * 3_600_000 + Math.floor((i / perMatch!) * 95 * 60_000);
          batch.push({
            eventId: randomUUID(),
            matchId: `bench-${m}`,
            eventType: EVENT_TYPES[i % EVENT_TYPES.length]!,
            timestamp: new Date(ms).toISOString(),
            teamId: i % 2 === 0 ? 1 : 2,
            playerId: `p-${i % 22}`,
            metadata: { minute: Math.floor((i / perMatch!) * 95) },
            receivedAt: ms + 5,
          });
        }
        await insertEvents(client, batch, new Date(start + 86_400_000));
      }
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    const match = (i: number) => `bench-${i % matches!}`;
    const views = await timeIt(rounds!, (i) => getMatchMetrics(client, caps, { matchId: match(i) }));
    const others = {
      'listMatches(limit 20)': await timeIt(20, () => listMatches(client, caps, { limit: 20, offset: 0 })),
      "getTimeline('5m')": await timeIt(50, (i) =>
        getTimeline(client, caps, { matchId: match(i), bucket: '5m' }),
      ),
      'getHighlights(limit 20)': await timeIt(50, (i) =>
        getHighlights(client, caps, { matchId: match(i), limit: 20, offset: 0 }),
      ),
      'getTopPlayers(limit 10)': await timeIt(50, (i) =>
        getTopPlayers(client, caps, { matchId: match(i), limit: 10 }),
      ),
      getMatchLastInsert: await timeIt(50, (i) => getMatchLastInsert(client, caps, { matchId: match(i) })),
    };
    const raw = await timeIt(rounds!, (i) => getMatchMetricsFromEvents(client, caps, { matchId: match(i) }));
    const total = matches! * perMatch!;
    console.log(
      `ClickHouse ${caps.version}: ${total} events over ${matches} matches loaded in ${loadSeconds.toFixed(1)} s`,
    );
    console.log(
      `getMatchMetrics (views):      p50 ${views.p50.toFixed(2)} ms  p99 ${views.p99.toFixed(2)} ms`,
    );
    console.log(
      `getMatchMetricsFromEvents (raw): p50 ${raw.p50.toFixed(2)} ms  p99 ${raw.p99.toFixed(2)} ms`,
    );
    console.log(`speed-up (p50 raw / p50 views): ${(raw.p50 / views.p50).toFixed(1)}x`);
    for (const [name, t] of Object.entries(others)) {
      console.log(`${name.padEnd(29)} p50 ${t.p50.toFixed(2)} ms  p99 ${t.p99.toFixed(2)} ms`);
    }
  } finally {
    await execute(client, { nativeParams: false }, sql`DROP DATABASE IF EXISTS ${identifier(database)}`);
    await client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
