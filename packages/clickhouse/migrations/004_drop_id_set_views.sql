-- The aggregate tables of 002 kept a uniqExact state (every event id) per group: each was about as large as the
-- raw table and merging them cost as much as scanning the raw rows. Seals (003) replace them and nothing reads
-- them any more. The views go first, so no insert feeds a table being dropped.
DROP TABLE IF EXISTS {{database}}.match_event_counts_mv;
DROP TABLE IF EXISTS {{database}}.match_minute_counts_mv;
DROP TABLE IF EXISTS {{database}}.match_player_counts_mv;
DROP TABLE IF EXISTS {{database}}.match_pipeline_latency_mv;
DROP TABLE IF EXISTS {{database}}.match_event_counts;
DROP TABLE IF EXISTS {{database}}.match_minute_counts;
DROP TABLE IF EXISTS {{database}}.match_player_counts;
DROP TABLE IF EXISTS {{database}}.match_pipeline_latency;
