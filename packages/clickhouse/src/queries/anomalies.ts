import type { ClickHouseClient } from '@clickhouse/client';
import { FEED_RULES, MAX_ANOMALY_EXAMPLES, type FeedRule, type MatchAnomalies } from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import { checkMatchId, isoFromMs, num, table, type Versioned } from './common';
import { readHeads } from './figures';

/**
 * Read from `events` itself, not from match_anomalies: the view feeding that table may run after the one moving
 * the match's marker, so a read between the two would be cached as complete up to a marker it is not complete
 * up to. A match's rows are in `events` before any view of their insert runs. One match's key range; the
 * `anomalies` column is a few bytes a row.
 */
const FLAGGED = sql`notEmpty(anomalies)`;

/** The distinct events of the match any rule flagged. */
export async function flaggedEvents(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<number> {
  const [row] = await selectRows<{ flagged: number }>(
    client,
    caps,
    sql`SELECT uniqExact(event_id) AS flagged FROM ${table(caps, 'events')}
        WHERE match_id = ${checkMatchId(matchId)} AND ${FLAGGED}`,
  );
  return num(row?.flagged ?? 0);
}

interface RuleRow {
  rule: string;
  events: number;
  first_ms: number;
  last_ms: number;
  examples: string[];
}

const ruleOrder = (rule: string): number => FEED_RULES.indexOf(rule as FeedRule);
const RECEIVED_MS = sql`toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms`;

/**
 * What the feed-integrity rules flagged in one match: per rule its distinct events, first and latest flagged
 * delivery (API receipt), the first eventIds in byte order as examples; and the distinct events any rule flagged.
 * Complete up to the match's marker, read first.
 */
export async function matchAnomalies(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<Versioned<MatchAnomalies>> {
  const match = checkMatchId(matchId);
  const marker = (await readHeads(client, caps, [match])).get(match)?.marker ?? 0;
  const [rules, all] = await Promise.all([
    selectRows<RuleRow>(
      client,
      caps,
      sql`SELECT rule, uniqExact(event_id) AS events, min(${RECEIVED_MS}) AS first_ms,
                 max(${RECEIVED_MS}) AS last_ms,
                 arraySlice(arraySort(groupUniqArray(event_id)), 1, ${MAX_ANOMALY_EXAMPLES}) AS examples
          FROM ${table(caps, 'events')} ARRAY JOIN anomalies AS rule
          WHERE match_id = ${match} AND ${FLAGGED}
          GROUP BY rule`,
    ),
    flaggedEvents(client, caps, match),
  ]);
  const known = rules
    .filter((r) => ruleOrder(r.rule) >= 0)
    .sort((a, b) => ruleOrder(a.rule) - ruleOrder(b.rule));
  return {
    storedRows: marker,
    value: {
      matchId: match,
      flaggedEvents: all,
      rules: known.map((r) => ({
        rule: r.rule as FeedRule,
        events: num(r.events),
        firstSeenAt: isoFromMs(num(r.first_ms)),
        lastSeenAt: isoFromMs(num(r.last_ms)),
        exampleEventIds: r.examples,
      })),
    },
  };
}
