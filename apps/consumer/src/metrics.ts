import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every stage of the consumer, as Prometheus metrics. */
export function createConsumerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: 'consumer_batch_size',
      help: 'Events per ClickHouse flush',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers,
    }),
    flushDuration: new Histogram({
      name: 'consumer_flush_duration_seconds',
      help: 'Time to store a batch (insert, retries, routing failures) and commit its offsets',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retractions: new Counter({
      name: 'consumer_retractions_total',
      help: 'Retractions stored, by whether the retracted event was stored by then (found="false": not yet, or never; "unknown": the check failed)',
      labelNames: ['found'],
      registers,
    }),
    rowsInserted: new Counter({
      name: 'consumer_rows_inserted_total',
      help: 'Events inserted into ClickHouse',
      labelNames: ['source'],
      registers,
    }),
    insertErrors: new Counter({
      name: 'consumer_insert_errors_total',
      help: 'Failed ClickHouse inserts by kind (data, transient, unavailable)',
      labelNames: ['kind'],
      registers,
    }),
    retried: new Counter({
      name: 'consumer_retry_published_total',
      help: 'Events sent to the retry topic',
      registers,
    }),
    deadLettered: new Counter({
      name: 'consumer_dlq_published_total',
      help: 'Events sent to the dead-letter topic, by failure kind',
      labelNames: ['kind'],
      registers,
    }),
    lag: new Gauge({
      name: 'consumer_lag',
      help: 'Messages not yet committed by the group, per partition',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    assigned: new Gauge({
      name: 'consumer_assigned_partitions',
      help: 'The partitions this process consumes now (1 each), as its group assigned them at the last rebalance',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    rejoins: new Counter({
      name: 'consumer_group_rejoins_total',
      help: 'Times this process joined its group again after the Kafka client gave up on an error it does not retry',
      labelNames: ['topic'],
      registers,
    }),
    lastCommit: new Gauge({
      name: 'consumer_last_commit_timestamp_seconds',
      help: 'When offsets were last committed (Unix time)',
      labelNames: ['topic'],
      registers,
    }),
    buffered: new Gauge({
      name: 'consumer_buffered_events',
      help: 'Events waiting for the next flush',
      registers,
    }),
    clickhouseWaiting: new Gauge({
      name: 'consumer_clickhouse_unavailable',
      help: '1 while the consumer is paused waiting for ClickHouse',
      registers,
    }),
    // The maintenance loop (maintenance.ts): the sealer and retention.
    sealsWritten: new Counter({
      name: 'consumer_seals_written_total',
      help: "Seals the sealer wrote (a quiet match's figures computed from its raw rows)",
      registers,
    }),
    sealDuration: new Histogram({
      name: 'consumer_seal_duration_seconds',
      help: 'Time to seal one match',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    sealPending: new Gauge({
      name: 'consumer_seal_pending_matches',
      help: 'Quiet matches without a current seal, as the last sealer pass found them (at most 10000)',
      registers,
    }),
    seasonDaysWritten: new Counter({
      name: 'consumer_season_days_written_total',
      help: "Versions of the season's daily stats the sealer stored (each time every match had a current seal)",
      registers,
    }),
    sealerErrors: new Counter({
      name: 'consumer_sealer_errors_total',
      help: 'Sealer passes that failed (the next pass tries again)',
      registers,
    }),
    partitionsDropped: new Counter({
      name: 'consumer_retention_partitions_dropped_total',
      help: 'Monthly partitions of the raw tables dropped by retention, per table',
      labelNames: ['table'],
      registers,
    }),
    partitionsSkipped: new Counter({
      name: 'consumer_retention_partitions_skipped_total',
      help: 'Expired partitions retention left for a later run (a match of it still changing)',
      registers,
    }),
    matchesRetired: new Counter({
      name: 'consumer_retention_matches_retired_total',
      help: 'Matches retention retired (their latest seal stays current once raw rows go)',
      registers,
    }),
    retentionLastRun: new Gauge({
      name: 'consumer_retention_last_run_timestamp_seconds',
      help: 'When retention last completed a run (Unix time)',
      registers,
    }),
    retentionErrors: new Counter({
      name: 'consumer_retention_errors_total',
      help: 'Retention runs that failed (the next run tries again)',
      registers,
    }),
  };
}

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;
