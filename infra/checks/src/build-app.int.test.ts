/**
 * The image's build steps without Docker: infra/docker/build-app.sh (which the Dockerfile runs) builds each app
 * into a folder that starts with `node dist/main.js`, answers /health, and whose `node healthcheck.js` (the
 * image's HEALTHCHECK) reports it healthy — and unhealthy once it is gone.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@pitchpulse/devstack';
import { repoPath } from './paths';
import { startProcess, stopProcess, waitForOk, type RunningProcess } from './running-apps';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 8 * 60_000;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-build-app-'));

function du(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += du(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe.each([
  { app: 'api', portVar: 'PORT', workspace: ['events', 'kafka', 'clickhouse', 'observability'] },
  { app: 'consumer', portVar: 'METRICS_PORT', workspace: ['events', 'kafka', 'clickhouse', 'observability'] },
  {
    app: 'enricher',
    portVar: 'METRICS_PORT',
    workspace: ['clickhouse', 'config', 'highlights', 'observability'],
  },
])('infra/docker/build-app.sh $app', ({ app, portVar, workspace }) => {
  const out = path.join(scratch, app);
  let running: RunningProcess | undefined;
  let buildSeconds = 0;
  const healthcheck = (env: NodeJS.ProcessEnv): number | null =>
    spawnSync(process.execPath, ['healthcheck.js'], { cwd: out, env, timeout: 10_000 }).status;

  beforeAll(async () => {
    const start = Date.now();
    await run('bash', [repoPath('infra/docker/build-app.sh'), app, out], {
      env: { ...process.env, TMPDIR: scratch },
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    buildSeconds = (Date.now() - start) / 1000;
  }, BUILD_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (running) await stopProcess(running, 45_000);
  }, 60_000);

  it('produces a self-contained production folder', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(out, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe(`@pitchpulse/${app}`);
    expect(fs.existsSync(path.join(out, 'dist/main.js'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'healthcheck.js'))).toBe(true);
    // Workspace packages come with their build output (and ClickHouse its migrations); dev tooling does not.
    for (const p of workspace) {
      expect(fs.existsSync(path.join(out, 'node_modules/@pitchpulse', p, 'dist/index.js'))).toBe(true);
    }
    expect(
      fs.readdirSync(path.join(out, 'node_modules/@pitchpulse/clickhouse/migrations')).length,
    ).toBeGreaterThan(0);
    for (const dev of ['@pitchpulse/devstack', 'typescript', 'jest', 'chdb', 'koffi']) {
      expect([dev, fs.existsSync(path.join(out, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(fs.existsSync(path.join(out, 'src'))).toBe(false);
    if (workspace.includes('kafka')) {
      // kafkajs as packages/kafka/patches has it, as in the workspace
      const kafkajs = createRequire(path.join(out, 'node_modules/@pitchpulse/kafka/package.json'));
      const encoder = path.join(
        path.dirname(kafkajs.resolve('kafkajs/package.json')),
        'src/protocol/encoder.js',
      );
      expect(fs.readFileSync(encoder, 'utf8')).toContain(
        'Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize))',
      );
    }
    const mb = du(out) / 1024 / 1024;
    console.log(`build-app.sh ${app}: ${buildSeconds.toFixed(0)} s, ${mb.toFixed(1)} MB`);
    expect(mb).toBeLessThan(100);
  });

  it('starts with `node dist/main.js`, answers /health, and the HEALTHCHECK script agrees', async () => {
    const port = await freePort();
    const suffix = Math.random().toString(36).slice(2, 10);
    const env = {
      PATH: process.env.PATH,
      [portVar]: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: `build_app_${suffix}`,
      CONSUMER_GROUP: `build-app-${suffix}`,
      RETRY_CONSUMER_GROUP: `build-app-retry-${suffix}`,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    };
    running = startProcess('dist/main.js', env, out);
    await waitForOk(`http://127.0.0.1:${port}/health`, running, 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    expect(healthcheck({ ...env, PITCHPULSE_APP: app })).toBe(0);
    if (app === 'api') {
      // The image serves the dashboard page too (its static build ships inside the deployed folder).
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect([page.status, (await page.text()).includes('<html')]).toEqual([200, true]);
    }

    const stopped = await stopProcess(running, 45_000);
    running = undefined;
    expect(stopped.code).toBe(0);
    expect(healthcheck({ ...env, PITCHPULSE_APP: app })).toBe(1);
  }, 120_000);
});

describe('infra/docker/build-app.sh arguments', () => {
  it('refuses an unknown app with a usage message', async () => {
    await expect(
      run('bash', [repoPath('infra/docker/build-app.sh'), 'web', path.join(scratch, 'x')]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown app "web": expected api, consumer or enricher/),
    });
  });
});
