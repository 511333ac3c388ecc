-- One row per match with everything that decides which of its figures are current: match_activity gains the
-- match's marker, its retirements and its latest seal ("the head": id, version, time and metrics answer), next to
-- its times. A read of a sealed match's metrics is then one key range of one small table instead of three ranges
-- of match_figures, and the stats across matches find the matches without a current seal in one scan of one row
-- per match. docs/clickhouse.md ("Seals") explains the rule: a match's latest seal is current while its
-- latest_seal_version equals its marker, or once retention retired the match.
--
-- 18.16 wants every column from a view that writes into a table, so each view below fills the columns it does
-- not own with states that change nothing when merged: max of 0, min of the largest UInt64, sum of 0, and
-- argMax of ('', 0) (every real seal has sealed_ms > 0).
ALTER TABLE {{database}}.match_activity
    ADD COLUMN marker              AggregateFunction(sum, UInt64),
    ADD COLUMN retirements         AggregateFunction(sum, UInt64),
    ADD COLUMN latest_seal_id      AggregateFunction(argMax, String, UInt64),
    ADD COLUMN latest_seal_version AggregateFunction(argMax, UInt64, UInt64),
    ADD COLUMN latest_seal_metrics AggregateFunction(argMax, String, UInt64),
    ADD COLUMN latest_sealed_ms    AggregateFunction(max, UInt64);

-- The times and, new, the marker: one row per insert and match (its rows stored). Created before the view it
-- replaces is dropped, so no insert is missed; an insert fed to both in between counts its times twice, which
-- min and max do not mind.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_activity_rows_mv
TO {{database}}.match_activity
AS SELECT
    match_id,
    minState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS first_event_ms,
    maxState(toUInt64(toUnixTimestamp(event_time)) * 1000 + event_time_ms) AS last_event_ms,
    maxState(toUInt64(toUnixTimestamp(received_at)) * 1000 + received_at_ms) AS last_received_ms,
    maxState(toUInt64(toUnixTimestamp(inserted_at)) * 1000 + inserted_at_ms) AS last_inserted_ms,
    sumState(toUInt64(1)) AS marker,
    sumState(toUInt64(0)) AS retirements,
    argMaxState('', toUInt64(0)) AS latest_seal_id,
    argMaxState(toUInt64(0), toUInt64(0)) AS latest_seal_version,
    argMaxState('', toUInt64(0)) AS latest_seal_metrics,
    maxState(toUInt64(0)) AS latest_sealed_ms
FROM {{database}}.events
GROUP BY match_id;

DROP TABLE IF EXISTS {{database}}.match_activity_mv;

-- Seals and retirements, as the sealer and retention write them into match_figures: the commit row of a seal
-- (written last) is what makes it the head, in the same insert. (The new columns are named unlike any column of
-- match_figures: on 18.16 an alias equal to a column name it aggregates nests the aggregates.)
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.match_activity_seals_mv
TO {{database}}.match_activity
AS SELECT
    match_id,
    minState(toUInt64(18446744073709551615)) AS first_event_ms,
    maxState(toUInt64(0)) AS last_event_ms,
    maxState(toUInt64(0)) AS last_received_ms,
    maxState(toUInt64(0)) AS last_inserted_ms,
    sumState(toUInt64(0)) AS marker,
    sumState(toUInt64(retired)) AS retirements,
    argMaxState(seal_id, sealed_ms) AS latest_seal_id,
    argMaxState(version, sealed_ms) AS latest_seal_version,
    argMaxState(metrics, sealed_ms) AS latest_seal_metrics,
    maxState(sealed_ms) AS latest_sealed_ms
FROM {{database}}.match_figures
WHERE kind IN ('seal', 'retired')
GROUP BY match_id;

-- Existing markers, seals and retirements. A row written while this statement runs may be counted twice (once by
-- a view above, once here): the marker then stays above the previous release's seals of that match, which are
-- not current, and the sealer seals the match again. The marker only has to grow with every insert, never to
-- equal the number of rows.
INSERT INTO {{database}}.match_activity
SELECT
    match_id,
    minState(toUInt64(18446744073709551615)),
    maxState(toUInt64(0)),
    maxState(toUInt64(0)),
    maxState(toUInt64(0)),
    sumState(if(kind = 'marker', stored_rows, toUInt64(0))),
    sumState(toUInt64(if(kind = 'retired', retired, 0))),
    argMaxState(if(kind = 'seal', seal_id, ''), if(kind = 'seal', sealed_ms, toUInt64(0))),
    argMaxState(if(kind = 'seal', version, toUInt64(0)), if(kind = 'seal', sealed_ms, toUInt64(0))),
    argMaxState(if(kind = 'seal', metrics, ''), if(kind = 'seal', sealed_ms, toUInt64(0))),
    maxState(if(kind = 'seal', sealed_ms, toUInt64(0)))
FROM {{database}}.match_figures
WHERE kind IN ('marker', 'seal', 'retired')
GROUP BY match_id;

-- The current seal of every match, from the heads (same columns as before).
DROP TABLE IF EXISTS {{database}}.match_current_seals;

CREATE VIEW IF NOT EXISTS {{database}}.match_current_seals
AS SELECT match_id, head_seal_id AS seal_id, head_version AS version, head_sealed_ms AS sealed_ms
FROM
(
    SELECT
        match_id,
        argMaxMerge(latest_seal_id) AS head_seal_id,
        argMaxMerge(latest_seal_version) AS head_version,
        maxMerge(latest_sealed_ms) AS head_sealed_ms,
        sumMerge(marker) AS head_marker,
        sumMerge(retirements) AS head_retired
    FROM {{database}}.match_activity
    GROUP BY match_id
)
WHERE head_seal_id != '' AND (head_version = head_marker OR head_retired > 0);
