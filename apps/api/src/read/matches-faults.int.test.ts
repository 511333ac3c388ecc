/**
 * The read API when ClickHouse goes away: a private ClickHouse server (never the shared one), stopped and started
 * again. Reads answer 503 + Retry-After (never 500, never an answer older than a second) and recover by themselves.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClickHouseStore, createClickHouseClient, runMigrations } from '@pitchpulse/clickhouse';
import { Readiness, validatorFor } from '@pitchpulse/contract';
import { ClickHouseServer } from '@pitchpulse/devstack';
import { createLogger, createRegistry } from '@pitchpulse/observability';
import { createApp, readServiceOf } from '../app';
import { listen, storeThreePasses, testConfig } from '../testing';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('answers 503 with Retry-After while ClickHouse is down (staying ready for ingest), and recovers when it is back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-read-faults-'));
  const server = await ClickHouseServer.create({ dataDir: dir });
  await server.start();
  const database = `read_faults_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const clickhouse = createClickHouseClient({ url: server.url, database, requestTimeoutMs: 2000 });
  const config = testConfig({ readyTimeoutMs: 1000 });
  const app = createApp({
    config,
    logger: createLogger('api', { level: 'silent' }),
    registry: createRegistry(),
    producer: { send: async () => undefined },
    checks: {
      kafka: async () => undefined, // this app's producer is a stub that takes every write
      clickhouse: async () => {
        const ping = await clickhouse.ping();
        if (!ping.success) throw ping.error;
      },
    },
    read: { store: new ClickHouseStore(clickhouse), pollIntervalMs: 100 },
  });
  const read = readServiceOf(app)!;
  const readiness = async () => {
    const res = await fetch(`${api.url}/ready`);
    const body = (await res.json()) as Readiness;
    expect(validatorFor(Readiness)(body)).toBe(true);
    return { status: res.status, body };
  };
  const api = await listen(app);
  try {
    await runMigrations(clickhouse);
    const matchId = `faults-${randomUUID().slice(0, 8)}`;
    await storeThreePasses(clickhouse, matchId);
    const metrics = () => fetch(`${api.url}/api/matches/${matchId}/metrics`);
    expect((await metrics()).status).toBe(200);
    expect(await readiness()).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { kafka: 'healthy', clickhouse: 'healthy' } },
    });

    await server.stop();
    await sleep(1200); // the answer in memory is now older than the bound: it must not be served
    for (const path of [
      `/api/matches/${matchId}/metrics`,
      `/api/matches/${matchId}/timeline`,
      '/api/matches',
    ]) {
      const res = await fetch(`${api.url}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      // 2 s for a failed query; once the read breaker opened, the seconds until its probe (BREAKER_OPEN_MS).
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(Math.max(2, config.breaker.openMs / 1000));
      expect(await res.json()).toMatchObject({ type: 'urn:pitchpulse:problem:clickhouse-unavailable' });
    }
    // Ingest needs only Kafka: a ClickHouse outage is reported, but the API stays in the Service.
    const down = await readiness();
    expect(down).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { kafka: 'healthy', clickhouse: 'unhealthy' } },
    });
    expect(down.body.reasons?.clickhouse).toEqual(expect.any(String));

    await server.start();
    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await metrics()).status;
      if (status !== 200) await sleep(200);
    }
    expect(status).toBe(200);
    expect(await (await metrics()).json()).toMatchObject({ matchId, totalEvents: 3 });
    expect((await readiness()).body.checks).toEqual({ kafka: 'healthy', clickhouse: 'healthy' });
  } finally {
    read.close();
    await api.close();
    await clickhouse.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
