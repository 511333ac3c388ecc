-- Raw match events: one row per stored delivery of an event. 18.x has no insert deduplication, so a
-- redelivered event appears twice here; count distinct event_id (or read the aggregate tables).
-- Times are DateTime('UTC') (whole seconds) with the milliseconds in a separate *_ms column.
CREATE TABLE IF NOT EXISTS {{database}}.events
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (match_id, event_time, event_id);
