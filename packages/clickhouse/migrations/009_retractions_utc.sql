-- 008 declared the retractions' times as plain DateTime, which ClickHouse reads in the server's time zone, while
-- their writer sends UTC text and every other table's times are DateTime('UTC'): on a server not set to UTC each
-- retraction's time was off by the server's offset (its retractedAt, and the insert time it gives its match in
-- match_activity). The stored numbers stay as they are: written on a UTC server (the embedded stack, the compose
-- and Kubernetes images), they already are the UTC times.
ALTER TABLE {{database}}.retractions
    MODIFY COLUMN received_at DateTime('UTC'),
    MODIFY COLUMN inserted_at DateTime('UTC');
