/**
 * `pnpm bench:read-latency [matches=20] [eventsPerMatch=25000] [rounds=200]`: latency of the read queries on a
 * loaded schema, beside the same metrics computed by scanning the raw table; no api, no Kafka.
 * Uses CLICKHOUSE_URL when set, else starts a throwaway embedded stack; a throwaway database, dropped at the end.
 */
import { RAW_QUERY, SEAL_QUERY, insertEvents, openBenchDatabase } from './clickhouse';
import { KICKOFF, KICKOFF_SPACING_MS, benchMatchId, matchEvents, prng } from './events';
import {
  BenchFailure,
  defer,
  fmt,
  fmtMs,
  fmtRatio,
  openStack,
  printTable,
  runBench,
  summarize,
  timeEach,
  timed,
} from './harness';

const USAGE = 'pnpm bench:read-latency [matches=20] [eventsPerMatch=25000] [rounds=200]';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const [matches = 20, perMatch = 25_000, rounds = 200] = argv.map(Number);
  if (![matches, perMatch, rounds].every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new BenchFailure(`arguments are positive whole numbers: ${USAGE}`);
  }
  const stack = await openStack({ kafka: false });
  const { client, caps, queries } = await openBenchDatabase(stack.clickhouseUrl, 'bench', defer);
  const rand = prng(2024);
  const insertedAt = new Date(KICKOFF + (matches + 1) * KICKOFF_SPACING_MS);
  const loaded = await timed(async () => {
    for (let m = 0; m < matches; m++) {
      for (let from = 0; from < perMatch; from += 10_000) {
        await insertEvents(
          client,
          matchEvents(m, from, Math.min(perMatch, from + 10_000), perMatch, rand),
          insertedAt,
        );
      }
    }
  });
  const match = (i: number) => benchMatchId(i % matches);
  const sealed = await timed(() => queries.sealAll());
  const check = await queries.metricsFromSeal(match(0));
  const checkRaw = await queries.metricsFromEvents(match(0));
  if (JSON.stringify(check) !== JSON.stringify(checkRaw)) {
    throw new BenchFailure(`the seal and the raw scan disagree on ${match(0)}`);
  }
  const views = summarize(await timeEach(rounds, (i) => queries.metricsFromSeal(match(i))));
  const others = [];
  for (const [name, run] of Object.entries(queries.others)) {
    others.push({ name, ...summarize(await timeEach(50, (i) => run(match(i)))) });
  }
  const raw = summarize(await timeEach(rounds, (i) => queries.metricsFromEvents(match(i))));
  console.log(
    `ClickHouse ${caps.version}: ${fmt(matches * perMatch)} events over ${matches} matches loaded in ${(loaded.ms / 1000).toFixed(1)} s, ` +
      `${sealed.value} seals computed in ${(sealed.ms / 1000).toFixed(1)} s`,
  );
  printTable(
    ['query', 'rounds', 'p50', 'p99', 'max'],
    [
      [SEAL_QUERY, rounds, fmtMs(views.p50, 2), fmtMs(views.p99, 2), fmtMs(views.max, 2)],
      [RAW_QUERY, rounds, fmtMs(raw.p50, 2), fmtMs(raw.p99, 2), fmtMs(raw.max, 2)],
      ...others.map((t) => [t.name, 50, fmtMs(t.p50, 2), fmtMs(t.p99, 2), fmtMs(t.max, 2)]),
    ],
  );
  console.log(
    `\nratio seal ÷ raw scan (p50): ${fmtRatio(views.p50 / raw.p50, 3)}; speed-up (p50 raw ÷ p50 seal): ${fmtRatio(raw.p50 / views.p50, 1)}×`,
  );
}

runBench('bench:read-latency', main);
