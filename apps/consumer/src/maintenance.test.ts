import type { ClickHouseStore } from '@pitchpulse/clickhouse';
import { createLogger, createRegistry } from '@pitchpulse/observability';
import { parseConfig } from './config';
import { RETENTION_FIRST_RUN_MS, maintenanceTasks, startLoop, type PeriodicTask } from './maintenance';
import { createConsumerMetrics } from './metrics';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function task(name: string, run: PeriodicTask['run'], everyMs = 5, firstAfterMs = 0): PeriodicTask {
  return { name, everyMs, firstAfterMs, run };
}

describe('the maintenance loop', () => {
  it('runs each task when due, again everyMs after it finished, one run at a time', async () => {
    let active = 0;
    let maxActive = 0;
    const runs: string[] = [];
    const slow = (name: string) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(name);
      await sleep(20);
      active--;
    };
    const loop = startLoop([task('a', slow('a'), 1), task('b', slow('b'), 1, 30)], () => undefined);
    await sleep(200);
    await loop.stop();
    expect(maxActive).toBe(1);
    expect(runs[0]).toBe('a'); // b's first run waits 30 ms
    expect(runs.filter((r) => r === 'a').length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((r) => r === 'b').length).toBeGreaterThanOrEqual(2);
  });

  it('hands a failed run to onError and keeps going', async () => {
    const errors: string[] = [];
    let calls = 0;
    const loop = startLoop(
      [
        task('flaky', async () => {
          calls++;
          if (calls <= 2) throw new Error(`boom ${calls}`);
        }),
      ],
      (t, err) => errors.push(`${t.name}: ${(err as Error).message}`),
    );
    await sleep(100);
    await loop.stop();
    expect(errors).toEqual(['flaky: boom 1', 'flaky: boom 2']);
    expect(calls).toBeGreaterThan(3);
  });

  it('stop aborts the signal, waits for the run in progress and starts no other', async () => {
    let finished = 0;
    let started = 0;
    let sawAbort = false;
    const loop = startLoop(
      [
        task('long', async (signal) => {
          started++;
          await sleep(80);
          sawAbort = signal.aborted;
          finished++;
        }),
      ],
      () => undefined,
    );
    await sleep(20);
    await loop.stop();
    expect({ started, finished, sawAbort }).toEqual({ started: 1, finished: 1, sawAbort: true });
    await sleep(50);
    expect(started).toBe(1);
  });

  it('a loop stopped before its first run never runs', async () => {
    const run = jest.fn(async () => undefined);
    const loop = startLoop([task('late', run, 5, 50)], () => undefined);
    await loop.stop();
    await sleep(80);
    expect(run).not.toHaveBeenCalled();
  });
});

describe('maintenanceTasks', () => {
  const store = {} as ClickHouseStore; // no task runs here
  const metrics = createConsumerMetrics(createRegistry());
  const logger = createLogger('maintenance-test', { level: 'silent' });
  const required = { KAFKA_BROKERS: 'k:9092', CLICKHOUSE_URL: 'http://ch:8123' };

  it('the sealer always; retention only with RETENTION_DAYS, first shortly after start', () => {
    const off = maintenanceTasks(store, parseConfig(required).maintenance, metrics, logger);
    expect(off.map((t) => [t.name, t.everyMs, t.firstAfterMs])).toEqual([['seal', 5000, 5000]]);

    const on = parseConfig({ ...required, RETENTION_DAYS: '90', SEAL_INTERVAL_MS: '1000' }).maintenance;
    expect(
      maintenanceTasks(store, on, metrics, logger).map((t) => [t.name, t.everyMs, t.firstAfterMs]),
    ).toEqual([
      ['seal', 1000, 1000],
      ['retention', 3_600_000, RETENTION_FIRST_RUN_MS],
    ]);
    const often = parseConfig({
      ...required,
      RETENTION_DAYS: '90',
      RETENTION_INTERVAL_MS: '5000',
    }).maintenance;
    expect(maintenanceTasks(store, often, metrics, logger)[1]).toMatchObject({
      everyMs: 5000,
      firstAfterMs: 5000,
    });
  });
});
