-- Retractions (docs/clickhouse.md "retractions"): a feed takes an event back (a goal disallowed on review, a card
-- rescinded, an event sent for the wrong match). One row per stored delivery of a retraction, as `events` keeps
-- one per delivery of an event: readers take one per (match_id, event_id), the first by received time. Every
-- figure leaves out the events of `events` whose (match_id, event_id) is here, whichever arrived first, so the
-- order of the two and their repetitions do not matter. Kept whole (a few rows per match).
CREATE TABLE IF NOT EXISTS {{database}}.retractions
(
    match_id       String,
    event_id       String,
    reason         String,
    received_at    DateTime,
    received_at_ms UInt16,
    inserted_at    DateTime,
    inserted_at_ms UInt16
)
ENGINE = MergeTree
PARTITION BY tuple()
ORDER BY (match_id, event_id);

-- A stored retraction moves its match's marker (and the time of its last insert) like a stored event does: the
-- match's seal stops being current, the caches and the live stream see a change, and the stats version moves.
-- The other columns get states that change nothing when merged (see 005).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_activity_retractions_mv
TO {{database}}.match_activity
AS SELECT
    match_id,
    minState(toUInt64(18446744073709551615)) AS first_event_ms,
    maxState(toUInt64(0)) AS last_event_ms,
    maxState(toUInt64(0)) AS last_received_ms,
    maxState(toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms) AS last_inserted_ms,
    sumState(toUInt64(1)) AS marker,
    sumState(toUInt64(0)) AS retirements,
    argMaxState('', toUInt64(0)) AS latest_seal_id,
    argMaxState(toUInt64(0), toUInt64(0)) AS latest_seal_version,
    argMaxState('', toUInt64(0)) AS latest_seal_metrics,
    maxState(toUInt64(0)) AS latest_sealed_ms
FROM {{database}}.retractions
GROUP BY match_id;
