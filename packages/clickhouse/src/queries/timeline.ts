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
import { byteOrder, checkMatchId, minuteOf, num, rawRowsOf, type Versioned } from './common';
import { readSealed } from './figures';

export interface TimelineParams {
  matchId: string;
  bucket: TimelineBucket;
}

interface MinuteTypeRow {
  feed_minute: number;
  /** epoch seconds */
  minute_start: number;
  event_type: string;
  events: number;
}

/**
 * Event counts per minute bucket and type (`null` for a match with no events), complete up to the marker (see
 * Versioned): from the match's current seal when it has one, else from its raw rows. The distinct events per
 * (feed minute, wall-clock minute, type) are bucketed here; the match's start minute is the earliest of them.
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
  const read = await readSealed(client, caps, matchId, ['minute_type']);
  if (read.marker === 0) return { value: null, storedRows: 0 };
  const rows: MinuteTypeRow[] = read.sealed
    ? read.figures
    : await selectRows<MinuteTypeRow>(
        client,
        caps,
        sql`SELECT feed_minute, toUnixTimestamp(toStartOfMinute(event_time)) AS minute_start, event_type,
                   uniqExact(event_id) AS events
            ${rawRowsOf(caps, matchId)}
            GROUP BY feed_minute, minute_start, event_type`,
      );
  if (rows.length === 0) return { value: null, storedRows: read.marker };
  return {
    value: { matchId, bucket: params.bucket, buckets: buckets(rows, TIMELINE_BUCKETS[params.bucket]) },
    storedRows: read.marker,
  };
}

function buckets(rows: MinuteTypeRow[], size: number): TimelineEntry[] {
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
  const sorted = [...byMinute.values()].sort((a, b) => a.minute - b.minute);
  for (const b of sorted)
    b.counts = Object.fromEntries(Object.entries(b.counts).sort(([x], [y]) => byteOrder(x, y)));
  return sorted;
}
