/**
 * The consumer's maintenance loop: the sealer every SEAL_INTERVAL_MS and, with RETENTION_DAYS set, retention
 * every RETENTION_INTERVAL_MS and once shortly after start (docs/retention.md). One loop runs the tasks one after
 * the other and waits for a run to finish before it schedules the next, so nothing in it overlaps itself; a
 * failed run is logged and counted and the loop goes on; `stop` waits for the run in progress (a sealer pass
 * stops between two seals) and must come before the ClickHouse client closes.
 *
 * Several consumer processes run this loop at once, and that is safe by design: a seal is complete before its
 * commit row is written and the latest seal of a match wins, so two processes sealing the same match only write
 * one seal too many; retention's steps (seal, write a 'retired' row, drop a partition) are each safe to repeat.
 */
import { applyRetention, type ClickHouseStore, type DroppedPartition } from '@pitchpulse/clickhouse';
import type { Logger } from '@pitchpulse/observability';
import type { ConsumerConfig } from './config';
import type { ConsumerMetrics } from './metrics';
import { Sealer } from './sealer';

/** The first retention run comes this long after start (or after one interval, when that is shorter). */
export const RETENTION_FIRST_RUN_MS = 30_000;

export interface PeriodicTask {
  name: string;
  /** pause between the end of one run and the start of the next */
  everyMs: number;
  /** the first run, this long after the loop starts */
  firstAfterMs: number;
  run(signal: AbortSignal): Promise<void>;
}

export interface Loop {
  /** No run starts after this; resolves once the run in progress (if any) has finished. */
  stop(): Promise<void>;
}

/** Runs `tasks` one at a time, each when due; a run that throws goes to `onError`, never out of the loop. */
export function startLoop(
  tasks: readonly PeriodicTask[],
  onError: (task: PeriodicTask, err: unknown) => void,
  clock: () => number = Date.now,
): Loop {
  const stopping = new AbortController();
  const start = clock();
  const due = new Map(tasks.map((t) => [t, start + t.firstAfterMs]));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const runDue = async () => {
    for (const task of tasks) {
      if (stopping.signal.aborted) return;
      if (clock() < due.get(task)!) continue;
      try {
        await task.run(stopping.signal);
      } catch (err) {
        onError(task, err);
      }
      due.set(task, clock() + task.everyMs);
    }
    schedule();
  };
  const schedule = () => {
    if (stopping.signal.aborted || tasks.length === 0) return;
    const next = Math.min(...due.values());
    timer = setTimeout(() => (running = runDue()), Math.max(0, next - clock()));
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

type MaintenanceConfig = ConsumerConfig['maintenance'];

/** The sealer and retention tasks of one consumer, with their metrics and log lines. */
export function maintenanceTasks(
  store: ClickHouseStore,
  config: MaintenanceConfig,
  metrics: ConsumerMetrics,
  logger: Logger,
): PeriodicTask[] {
  const sealer = new Sealer(store, config.seal, {
    onSeal: (_seal, seconds) => {
      metrics.sealsWritten.inc();
      metrics.sealDuration.observe(seconds);
    },
    onEmpty: (matchId) =>
      logger.warn({ matchId }, 'sealer: the match has a marker but no raw rows, nothing to seal'),
    onMoving: (matchId) =>
      logger.debug(
        { matchId },
        'sealer: rows of the match were stored while the replicas settled; sealed later',
      ),
    onSeasonDays: (stored) => {
      metrics.seasonDaysWritten.inc();
      logger.debug({ version: stored.version, days: stored.days }, "sealer: stored the season's daily stats");
    },
  });
  const tasks: PeriodicTask[] = [
    {
      name: 'seal',
      everyMs: config.seal.intervalMs,
      firstAfterMs: config.seal.intervalMs,
      run: async (signal) => {
        const pass = await sealer.pass(signal);
        metrics.sealPending.set(pass.pending);
        if (pass.sealed.length > 0) {
          logger.debug({ sealed: pass.sealed.length, pending: pass.pending }, 'sealer pass');
        }
      },
    },
  ];
  const days = config.retention.days;
  if (days !== undefined) {
    const dropped = (d: DroppedPartition) => {
      metrics.partitionsDropped.inc({ table: d.table });
      logger.info(
        { table: d.table, partition: d.partition, rows: d.rows, retentionDays: days },
        'retention: dropped a partition',
      );
    };
    tasks.push({
      name: 'retention',
      everyMs: config.retention.intervalMs,
      firstAfterMs: Math.min(RETENTION_FIRST_RUN_MS, config.retention.intervalMs),
      run: async (signal) => {
        const caps = await store.capabilities();
        const result = await applyRetention(store.client, caps, {
          retentionDays: days,
          signal,
          // A match still getting events (an import of old matches) is retired once it is quiet, as it is sealed.
          quietMs: config.seal.quietMs,
          onDropped: dropped,
        });
        metrics.matchesRetired.inc(result.retired.length);
        if (signal.aborted) return; // stopping: what is left waits for the next start
        for (const s of result.skipped) {
          metrics.partitionsSkipped.inc();
          logger.warn(
            { partition: s.partition, reason: s.reason },
            'retention: partition left for a later run',
          );
        }
        metrics.retentionLastRun.set(Date.now() / 1000);
        if (result.retired.length > 0 || result.dropped.length > 0) {
          logger.info(
            { retired: result.retired.length, sealed: result.sealed.length, dropped: result.dropped.length },
            'retention run',
          );
        }
      },
    });
  }
  return tasks;
}

/** Starts the maintenance loop of one consumer; errors are counted per task and logged, never thrown. */
export function startMaintenance(
  store: ClickHouseStore,
  config: MaintenanceConfig,
  metrics: ConsumerMetrics,
  logger: Logger,
): Loop {
  const log = logger.child({ component: 'maintenance' });
  return startLoop(maintenanceTasks(store, config, metrics, log), (task, err) => {
    (task.name === 'seal' ? metrics.sealerErrors : metrics.retentionErrors).inc();
    log.warn({ err, task: task.name }, `${task.name} run failed; the next run tries again`);
  });
}
