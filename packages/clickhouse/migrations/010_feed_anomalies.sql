-- Feed integrity (docs/feed-integrity.md): each delivery of an event names the rules that flagged it; [] for the
-- rows stored before this migration, when no rule ran. Flags are per delivery: a re-sent copy can carry a rule
-- (duplicate-storm) its first delivery did not, so an event is flagged when any of its rows is.
ALTER TABLE {{database}}.events ADD COLUMN anomalies Array(String);

-- Per match and rule: the distinct flagged events, when the API received the first and latest flagged delivery,
-- and a few example eventIds (the first 10 of each insert block; the reader shows 5 distinct). A few rows per
-- flagged match, kept whole. GET /api/matches/{id}/anomalies reads it; uniqExactMerge over a match's rules is the
-- number of its distinct flagged events (the states are sets of eventIds).
CREATE TABLE IF NOT EXISTS {{database}}.match_anomalies
(
    match_id      String,
    rule          String,
    events        AggregateFunction(uniqExact, String),
    first_seen_ms AggregateFunction(min, UInt64),
    last_seen_ms  AggregateFunction(max, UInt64),
    examples      AggregateFunction(groupArray(10), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY tuple()
ORDER BY (match_id, rule);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_anomalies_mv
TO {{database}}.match_anomalies
AS SELECT
    match_id,
    rule,
    uniqExactState(event_id) AS events,
    minState(toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms) AS first_seen_ms,
    maxState(toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms) AS last_seen_ms,
    groupArrayState(10)(event_id) AS examples
FROM {{database}}.events
ARRAY JOIN anomalies AS rule
GROUP BY match_id, rule;
