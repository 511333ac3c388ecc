-- Per-match aggregates kept by materialized views. Every count is a uniqExact state over event_id, so an
-- event stored twice is still counted once. Every table also counts the rows it was fed (stored_rows, a
-- countState: deliveries, duplicates included). Views are filled one after the other, so right after an insert
-- one table may hold it while another does not yet: a reader that caches an answer compares the stored_rows it
-- read (in the same SELECT as the data) with the match's marker in match_event_counts, and knows it is complete
-- when they are equal. Read the *_state-style columns with the -Merge combinator
-- (uniqExactMerge, minMerge, maxMerge, countMerge, quantilesExactMerge) and GROUP BY: rows are merged in the
-- background, at any moment a key may still have several rows.
-- uniqExact over a String keeps a 128-bit hash per id (not the string), so a state costs 16 bytes per event;
-- hashing to UInt64 first was measured and did not make reads faster (merging states dominates), see
-- docs/clickhouse.md. index_granularity: a per-match read should deserialize that match's states and few of
-- its neighbours' (a match has ~20 rows in match_event_counts, ~2,000 in match_minute_counts).

-- Totals per (match, event type, team), the first/last event time (epoch milliseconds), and a change marker:
-- how many rows (deliveries) were stored for the key and when the latest of them was inserted (epoch ms).
-- Every insert that touches a match raises its stored_rows, so (stored_rows, last_inserted_ms) changes whenever
-- the match's numbers may have, and reading it costs no id sets.
CREATE TABLE IF NOT EXISTS {{database}}.match_event_counts
(
    match_id       String,
    event_type     String,
    team_id        UInt8,
    event_ids      AggregateFunction(uniqExact, String),
    first_event_ms AggregateFunction(min, UInt64),
    last_event_ms  AggregateFunction(max, UInt64),
    last_inserted_ms AggregateFunction(max, UInt64),
    stored_rows    AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY (match_id, event_type, team_id)
SETTINGS index_granularity = 8;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_event_counts_mv
TO {{database}}.match_event_counts
AS SELECT
    match_id,
    event_type,
    team_id,
    uniqExactState(event_id) AS event_ids,
    minState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS first_event_ms,
    maxState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS last_event_ms,
    maxState(toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms) AS last_inserted_ms,
    countState() AS stored_rows
FROM {{database}}.events
GROUP BY match_id, event_type, team_id;

-- Counts per (match, minute, event type, team), with first/last event time: everything the per-match metrics
-- and the timeline need, in one pass. feed_minute is the feed's metadata.minute (-1 when it sent none); minute_start is the
-- wall-clock minute of the event time.
CREATE TABLE IF NOT EXISTS {{database}}.match_minute_counts
(
    match_id       String,
    feed_minute    Int16,
    minute_start   DateTime('UTC'),
    event_type     String,
    team_id        UInt8,
    event_ids      AggregateFunction(uniqExact, String),
    first_event_ms AggregateFunction(min, UInt64),
    last_event_ms  AggregateFunction(max, UInt64),
    stored_rows    AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY (match_id, feed_minute, minute_start, event_type, team_id)
SETTINGS index_granularity = 128;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_minute_counts_mv
TO {{database}}.match_minute_counts
AS SELECT
    match_id,
    feed_minute,
    toStartOfMinute(event_time) AS minute_start,
    event_type,
    team_id,
    uniqExactState(event_id) AS event_ids,
    minState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS first_event_ms,
    maxState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS last_event_ms,
    countState() AS stored_rows
FROM {{database}}.events
GROUP BY match_id, feed_minute, minute_start, event_type, team_id;

-- Counts per (match, player, team, event type). Events that name no player are kept under player_id = '' (so
-- stored_rows counts every row of the match): leave them out when ranking players.
CREATE TABLE IF NOT EXISTS {{database}}.match_player_counts
(
    match_id   String,
    player_id  String,
    team_id    UInt8,
    event_type String,
    event_ids  AggregateFunction(uniqExact, String),
    stored_rows AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY (match_id, player_id, team_id, event_type)
SETTINGS index_granularity = 32;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_player_counts_mv
TO {{database}}.match_player_counts
AS SELECT
    match_id,
    player_id,
    team_id,
    event_type,
    uniqExactState(event_id) AS event_ids,
    countState() AS stored_rows
FROM {{database}}.events
GROUP BY match_id, player_id, team_id, event_type;

-- Pipeline latency per match: inserted_at − received_at in milliseconds (API receipt → row in ClickHouse),
-- one sample per stored row (a redelivery is a second, later sample of the same event).
CREATE TABLE IF NOT EXISTS {{database}}.match_pipeline_latency
(
    match_id   String,
    latency_ms AggregateFunction(quantilesExact(0.5, 0.95, 0.99), UInt32),
    stored_rows AggregateFunction(count)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY match_id
SETTINGS index_granularity = 8;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_pipeline_latency_mv
TO {{database}}.match_pipeline_latency
AS SELECT
    match_id,
    quantilesExactState(0.5, 0.95, 0.99)(toUInt32(least(greatest(
        toInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms
            - (toInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms),
        0), 4294967295))) AS latency_ms,
    countState() AS stored_rows
FROM {{database}}.events
GROUP BY match_id;
