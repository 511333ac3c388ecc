import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { param, sql } from '../sql';
import { checkMatchId, matchStartMinuteSql, minuteSql, num, table } from './common';

export const TIMELINE_BUCKETS = { '1m': 1, '5m': 5 } as const;
export type TimelineBucket = keyof typeof TIMELINE_BUCKETS;

export interface TimelineEntry {
  /** first minute of the bucket (0, 5, 10, … for 5m) */
  minute: number;
  /** distinct events in the bucket */
  total: number;
  /** distinct events per type; types without events are left out */
  counts: Record<string, number>;
}

export interface Timeline {
  matchId: string;
  bucket: TimelineBucket;
  /** buckets with at least one event, in minute order (empty buckets are left out) */
  buckets: TimelineEntry[];
}

export interface TimelineParams {
  matchId: string;
  bucket: TimelineBucket;
}

/** Event counts per minute bucket and type, from `match_minute_counts`. `null` for a match with no events. */
export async function getTimeline(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: TimelineParams,
): Promise<Timeline | null> {
  const matchId = checkMatchId(params.matchId);
  if (!Object.hasOwn(TIMELINE_BUCKETS, params.bucket)) {
    throw new RangeError(`bucket must be one of ${Object.keys(TIMELINE_BUCKETS).join(', ')}`);
  }
  const size = param(TIMELINE_BUCKETS[params.bucket], 'Int64');
  const minute = minuteSql(
    sql`feed_minute`,
    sql`toUnixTimestamp(minute_start)`,
    matchStartMinuteSql(caps, matchId),
  );
  const rows = await selectRows<{ bucket: number; event_type: string; events: number }>(
    client,
    caps,
    sql`SELECT bucket, event_type, uniqExactMerge(event_ids) AS events
        FROM (
          SELECT intDiv(${minute}, ${size}) * ${size} AS bucket, event_type, event_ids
          FROM ${table(caps, 'match_minute_counts')} WHERE match_id = ${matchId}
        )
        GROUP BY bucket, event_type`,
  );
  if (rows.length === 0) return null;
  const byMinute = new Map<number, TimelineEntry>();
  const entry = (m: number) => {
    let e = byMinute.get(m);
    if (!e) byMinute.set(m, (e = { minute: m, total: 0, counts: {} }));
    return e;
  };
  for (const r of rows) {
    // An event has one minute and one type: the bucket's total is the exact sum of its types.
    const e = entry(num(r.bucket));
    e.counts[r.event_type] = num(r.events);
    e.total += num(r.events);
  }
  const buckets = [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  for (const b of buckets)
    b.counts = Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => (x < y ? -1 : 1)));
  return { matchId, bucket: params.bucket, buckets };
}
