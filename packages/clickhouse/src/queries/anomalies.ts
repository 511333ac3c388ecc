import type { ClickHouseClient } from '@clickhouse/client';
import { FEED_RULES, MAX_ANOMALY_EXAMPLES, type FeedRule, type MatchAnomalies } from '@pitchpulse/contract';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import { checkMatchId, isoFromMs, num, table, type Versioned } from './common';
import { readHeads } from './figures';

/** The distinct events of the match any rule flagged (a rule's state is a set of eventIds: merged, their union). */
export async function flaggedEvents(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<number> {
  const [row] = await selectRows<{ flagged: number }>(
    client,
    caps,
    sql`SELECT uniqExactMerge(events) AS flagged FROM ${table(caps, 'match_anomalies')}
        WHERE match_id = ${checkMatchId(matchId)}`,
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

/**
 * What the feed-integrity rules flagged in one match (match_anomalies, migration 010): per rule its distinct
 * events, first and latest flagged delivery, a few eventIds; and the distinct events any rule flagged. Complete
 * up to the match's marker, read first (every stored row moves it).
 */
export async function matchAnomalies(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  matchId: string,
): Promise<Versioned<MatchAnomalies>> {
  const match = checkMatchId(matchId);
  const marker = (await readHeads(client, caps, [match])).get(match)?.marker ?? 0;
  const anomalies = table(caps, 'match_anomalies');
  const [rules, all] = await Promise.all([
    selectRows<RuleRow>(
      client,
      caps,
      sql`SELECT rule, uniqExactMerge(events) AS events, minMerge(first_seen_ms) AS first_ms,
                 maxMerge(last_seen_ms) AS last_ms, groupArrayMerge(10)(examples) AS examples
          FROM ${anomalies} WHERE match_id = ${match}
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
        exampleEventIds: [...new Set(r.examples)].sort().slice(0, MAX_ANOMALY_EXAMPLES),
      })),
    },
  };
}
