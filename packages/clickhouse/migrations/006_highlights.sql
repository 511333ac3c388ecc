-- Highlights as a read model (docs/clickhouse.md "highlights"): one row per version of a highlight, keyed by the
-- event id of its goal, red card or other highlight type. A view writes version 0 (PENDING) with every insert
-- into `events`, however often the event is delivered; the enrichment worker writes the later versions: PENDING
-- again after a failed attempt (attempts, next attempt time, error), then READY with a title and summary, or
-- FAILED with the error. ReplacingMergeTree(version) keeps the latest version of each highlight once merged;
-- readers take it with argMax(…, version) per highlight, exact before merges too. Versions:
--   0            created (PENDING)
--   1 … 2^32-1   a failed attempt (PENDING, version = attempts so far)
--   2^40         READY or FAILED (final)
--   2^41         RETRACTED (overrides everything)

-- Which event types become highlights: the latest row per type (its `version`) decides; the enrichment worker
-- writes its HIGHLIGHT_TYPES here at start. Seeded with the default, goals and red cards.
CREATE TABLE IF NOT EXISTS {{database}}.highlight_types
(
    event_type String,
    enabled    UInt8,
    version    UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY tuple()
ORDER BY event_type;

INSERT INTO {{database}}.highlight_types VALUES ('goal', 1, 0), ('red_card', 1, 0);

CREATE TABLE IF NOT EXISTS {{database}}.highlights
(
    highlight_id    String,
    match_id        String,
    event_type      String,
    team_id         UInt8,
    player_id       String,
    event_time      DateTime('UTC'),
    event_time_ms   UInt16,
    feed_minute     Int16,
    metadata        String,
    status          String,
    title           String,
    summary         String,
    error           String,
    attempts        UInt32,
    next_attempt_ms UInt64,
    created_ms      UInt64,
    updated_ms      UInt64,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY tuple()
ORDER BY (match_id, highlight_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.highlights_mv
TO {{database}}.highlights
AS SELECT
    event_id AS highlight_id, match_id, event_type, team_id, player_id, event_time, event_time_ms, feed_minute,
    metadata, 'PENDING' AS status, '' AS title, '' AS summary, '' AS error, toUInt32(0) AS attempts,
    toUInt64(0) AS next_attempt_ms,
    toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms AS created_ms,
    toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms AS updated_ms,
    toUInt64(0) AS version
FROM {{database}}.events
WHERE event_type IN (SELECT event_type FROM {{database}}.highlight_types FINAL WHERE enabled = 1);

-- Goals and red cards already stored: created PENDING, so the worker enriches them. A copy written twice (two
-- runners, or an insert racing this statement) is one more version-0 row of the same highlight.
INSERT INTO {{database}}.highlights
SELECT
    event_id, match_id, event_type, team_id, player_id, event_time, event_time_ms, feed_minute, metadata,
    'PENDING', '', '', '', toUInt32(0), toUInt64(0),
    toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms,
    toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms,
    toUInt64(0)
FROM {{database}}.events
WHERE event_type IN ('goal', 'red_card');
