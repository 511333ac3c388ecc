import type { ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseCapabilities } from '../capabilities';
import { selectRows } from '../query';
import { sql } from '../sql';
import {
  TIMELINE_BUCKETS,
  type Timeline,
  type TimelineBucket,
  type TimelineEntry,
} from '@pitchpulse/contract';
import { checkMatchId, minuteOf, num, table, type Versioned } from './common';

export interface TimelineParams {
  matchId: string;
  bucket: TimelineBucket;
}

/**
 * Event counts per minute bucket and type, from `match_minute_counts` (`null` for a match with no events), with
 * the stored rows the answer is complete up to (see Versioned). One read of the match's states:
 * distinct events per (feed minute, wall-clock minute, type), bucketed here, where the match's start minute (the
 * earliest wall-clock minute) comes from the same rows.
 */
export async function timeline(
  client: ClickHouseClient,
  caps: ClickHouseCapabilities,
  params: TimelineParams,
): Promise<Versioned<Timeline | null>> {
  const matchId = checkMatchId(params.matchId);
  if (!Object.hasOwn(TIMELINE_BUCKETS, params.bucket)) {
    throw new RangeError(`bucket must be one of ${Object.keys(TIMELINE_BUCKETS).join(', ')}`);
  }
  const size = TIMELINE_BUCKETS[params.bucket];
  const rows = await selectRows<{
    feed_minute: number;
    minute_start: number;
    event_type: string;
    events: number;
    stored_rows: number;
  }>(
    client,
    caps,
    sql`SELECT feed_minute, toUnixTimestamp(minute_start) AS minute_start, event_type,
               uniqExactMerge(event_ids) AS events, countMerge(stored_rows) AS stored_rows
        FROM ${table(caps, 'match_minute_counts')} WHERE match_id = ${matchId}
        GROUP BY feed_minute, minute_start, event_type`,
  );
  const storedRows = rows.reduce((a, r) => a + num(r.stored_rows), 0);
  if (rows.length === 0) return { value: null, storedRows };
  const matchStart = Math.min(...rows.map((r) => num(r.minute_start)));
  const byMinute = new Map<number, TimelineEntry>();
  for (const r of rows) {
    // An event has one minute and one type: a bucket's total is the exact sum of its types.
    const minute = Math.floor(minuteOf(num(r.feed_minute), num(r.minute_start), matchStart) / size) * size;
    let e = byMinute.get(minute);
    if (!e) byMinute.set(minute, (e = { minute, total: 0, counts: {} }));
    e.counts[r.event_type] = (e.counts[r.event_type] ?? 0) + num(r.events);
    e.total += num(r.events);
  }
  const buckets = [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  for (const b of buckets)
    b.counts = Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => byteOrder(x, y)));
  return { value: { matchId, bucket: params.bucket, buckets }, storedRows };
}

/** Byte order of UTF-8 strings, as ClickHouse compares them. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
