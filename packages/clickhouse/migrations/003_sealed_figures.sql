-- Exact plain counts that pay for themselves ("seals"), the times of each match, and a deduplicated copy of the
-- raw events for analysts. docs/clickhouse.md explains the design and how to query them.
--
-- A seal is one computation of a match's figures from its raw rows (distinct event_id per group, so duplicates
-- and redeliveries count once), written as plain numbers under a seal_id into match_figures and committed by its
-- 'seal' row, written last. Every insert into `events` adds a 'marker' row to match_figures counting the rows it
-- stored for the match. A seal is current while the sum of the match's marker rows still equals the version the
-- seal recorded before it read the raw rows: an insert lands in `events` before its views, so a seal never claims
-- rows it did not read. A late event or a redelivery moves the marker, the seal stops being current, readers
-- fall back to the raw rows and the sealer computes a new seal. Superseded seals stay (a few hundred rows each)
-- and are never read. One match's markers, seals and figures are in one table, so reading a match's figures and
-- checking they are current is a single read.

-- The times of each match (the list, live flags, when a match went quiet): small states only, no id sets.
CREATE TABLE IF NOT EXISTS {{database}}.match_activity
(
    match_id         String,
    first_event_ms   AggregateFunction(min, UInt64),
    last_event_ms    AggregateFunction(max, UInt64),
    last_received_ms AggregateFunction(max, UInt64),
    last_inserted_ms AggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY match_id
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_activity_mv
TO {{database}}.match_activity
AS SELECT
    match_id,
    minState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS first_event_ms,
    maxState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS last_event_ms,
    maxState(toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms) AS last_received_ms,
    maxState(toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms) AS last_inserted_ms
FROM {{database}}.events
GROUP BY match_id;

-- Existing rows (an insert racing this statement is read twice: min and max do not mind).
INSERT INTO {{database}}.match_activity
SELECT
    match_id,
    minState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms),
    maxState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms),
    maxState(toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms),
    maxState(toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms)
FROM {{database}}.events
GROUP BY match_id;

-- The figures of every seal, the markers and the retirements of each match, told apart by `kind`:
--   marker           one row per insert into `events` (stored_rows: rows it stored for the match); merged by sum
--   seal             the commit row of a seal: version (the marker before the raw rows were read), sealed_ms,
--                    events (distinct events), first/last event time, latency percentiles (ms, API receipt to row
--                    in ClickHouse, over every stored row), and `metrics`: the match's metrics as the API serves
--                    them (JSON, with its format version `v`), so one small read answers a match's metrics
--   event_type_team  distinct events per (event type, team), with the first/last event time
--   minute           distinct events per (feed minute, wall-clock minute): the peaks
--   minute_type      distinct events per (feed minute, wall-clock minute, event type): the timeline
--   player           distinct events per (player, team, event type); events without a player are not here
--   retired          retention dropped raw rows of the match: its latest seal stays current from then on
-- Keyed by kind first: one match's rows of a kind are one index range, and the bookkeeping rows of every match
-- (marker, seal, retired) are a small range each, which the stats across matches scan.
-- SummingMergeTree over (events, stored_rows, retired): only marker rows share a key, and no row has all three
-- at zero (a summing merge would delete it). A seal's rows are never written twice (a failed seal is abandoned).
CREATE TABLE IF NOT EXISTS {{database}}.match_figures
(
    match_id       String,
    kind           String,
    seal_id        String,
    event_type     String,
    team_id        UInt8,
    player_id      String,
    feed_minute    Int16,
    minute_start   DateTime('UTC'),
    events         UInt64,
    first_event_ms UInt64,
    last_event_ms  UInt64,
    version        UInt64,
    sealed_ms      UInt64,
    latency_p50_ms UInt32,
    latency_p95_ms UInt32,
    latency_p99_ms UInt32,
    metrics        String,
    stored_rows    UInt64,
    retired        UInt8
)
ENGINE = SummingMergeTree((events, stored_rows, retired))
PARTITION BY tuple()
ORDER BY (kind, match_id, seal_id, event_type, team_id, player_id, feed_minute, minute_start)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_figures_marker_mv
TO {{database}}.match_figures
AS SELECT
    match_id, 'marker' AS kind, '' AS seal_id, '' AS event_type, toUInt8(0) AS team_id, '' AS player_id,
    toInt16(0) AS feed_minute, toDateTime(0, 'UTC') AS minute_start, toUInt64(0) AS events,
    toUInt64(0) AS first_event_ms, toUInt64(0) AS last_event_ms, toUInt64(0) AS version, toUInt64(0) AS sealed_ms,
    toUInt32(0) AS latency_p50_ms, toUInt32(0) AS latency_p95_ms, toUInt32(0) AS latency_p99_ms,
    '' AS metrics, count() AS stored_rows, toUInt8(0) AS retired
FROM {{database}}.events
GROUP BY match_id;

-- Existing rows (an insert racing this statement is counted twice: the marker only has to move when a match's
-- rows change, never to equal their number).
INSERT INTO {{database}}.match_figures
SELECT
    match_id, 'marker', '', '', toUInt8(0), '', toInt16(0), toDateTime(0, 'UTC'), toUInt64(0), toUInt64(0),
    toUInt64(0), toUInt64(0), toUInt64(0), toUInt32(0), toUInt32(0), toUInt32(0), '', count(), toUInt8(0)
FROM {{database}}.events
GROUP BY match_id;

-- Distinct events per (UTC day, match, event type, team, player; '' = no player) of each seal, keyed by day: the
-- stats across matches read a date range of it for the matches' current seals.
CREATE TABLE IF NOT EXISTS {{database}}.daily_figures
(
    day        Date,
    match_id   String,
    seal_id    String,
    event_type String,
    team_id    UInt8,
    player_id  String,
    events     UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, match_id, seal_id, event_type, team_id, player_id);

-- Per seal and UTC day of its match: distinct events, goals and cards, and the players with an event that day;
-- the daily stats read these (a few hundred rows a season) instead of daily_figures.
CREATE TABLE IF NOT EXISTS {{database}}.daily_match_figures
(
    day        Date,
    match_id   String,
    seal_id    String,
    events     UInt64,
    goals      UInt64,
    cards      UInt64,
    players    Array(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, match_id, seal_id);

-- The current seal of every match (cost grows with the number of matches; for one match, read its rows of
-- match_figures and apply the same rule, docs/clickhouse.md).
CREATE VIEW IF NOT EXISTS {{database}}.match_current_seals
AS SELECT match_id, latest_seal_id AS seal_id, latest_version AS version, latest_sealed_ms AS sealed_ms
FROM
(
    SELECT
        match_id,
        argMaxIf(seal_id, sealed_ms, kind = 'seal') AS latest_seal_id,
        argMaxIf(version, sealed_ms, kind = 'seal') AS latest_version,
        maxIf(sealed_ms, kind = 'seal') AS latest_sealed_ms,
        sumIf(stored_rows, kind = 'marker') AS marker,
        sumIf(retired, kind = 'retired') AS retirements
    FROM {{database}}.match_figures
    WHERE kind IN ('marker', 'seal', 'retired')
    GROUP BY match_id
)
WHERE latest_seal_id != '' AND (latest_version = marker OR retirements > 0);

-- For analysts: the raw events less their duplicates, one row per (match_id, event_id) once ClickHouse has
-- merged the parts; until then duplicates may remain: read with FINAL or count distinct event_id
-- (docs/clickhouse.md). ReplacingMergeTree only removes duplicates within a partition; an event's copies share
-- its event_time, so they share a partition.
CREATE TABLE IF NOT EXISTS {{database}}.events_unique
(
    event_id       String,
    match_id       String,
    event_type     String,
    event_time     DateTime('UTC'),
    event_time_ms  UInt16,
    team_id        UInt8,
    player_id      String,
    feed_minute    Int16,
    metadata       String,
    received_at    DateTime('UTC'),
    received_at_ms UInt16,
    inserted_at    DateTime('UTC'),
    inserted_at_ms UInt16
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (match_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_unique_mv
TO {{database}}.events_unique
AS SELECT
    event_id, match_id, event_type, event_time, event_time_ms, team_id, player_id, feed_minute, metadata,
    received_at, received_at_ms, inserted_at, inserted_at_ms
FROM {{database}}.events;

-- Existing rows; a row copied twice (an insert racing this statement) is one more duplicate to merge away.
INSERT INTO {{database}}.events_unique
SELECT
    event_id, match_id, event_type, event_time, event_time_ms, team_id, player_id, feed_minute, metadata,
    received_at, received_at_ms, inserted_at, inserted_at_ms
FROM {{database}}.events;
