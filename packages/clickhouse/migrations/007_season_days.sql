-- The daily stats of the whole season as one small table (docs/clickhouse.md "season_days"): per stats version
-- (the sum of every match's marker and retirements, the version the stats snapshot reads) and UTC day, the
-- answer of GET /api/stats/daily for that day — matches, distinct events, goals, cards, distinct active players.
-- The consumer's sealer writes it when every match with rows has a current seal: one INSERT of every day plus
-- a commit row (is_commit = 1), so a version is there whole or not at all. A reader takes the rows of the
-- version it read; without that version's commit row it computes the answer from the seals and raw rows.
-- ReplacingMergeTree(version) keeps the latest version of each day once merged (a reader of an older version
-- then finds no commit row and computes). Nothing here is a source of truth: it is rebuilt from the seals.
CREATE TABLE IF NOT EXISTS {{database}}.season_days
(
    version        UInt64,
    day            Date,
    is_commit      UInt8,
    matches        UInt64,
    events         UInt64,
    goals          UInt64,
    cards          UInt64,
    active_players UInt64,
    computed_ms    UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY tuple()
ORDER BY (day, is_commit);
