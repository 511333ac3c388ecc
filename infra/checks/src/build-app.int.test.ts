/**
 * The image's build steps without Docker: infra/docker/build-app.sh (which the Dockerfile runs) builds the api
 * into a folder that starts with `node dist/main.js`, answers /health, and whose `node healthcheck.js` (the
 * image's HEALTHCHECK) reports it healthy — and unhealthy once it is gone.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@pitchpulse/devstack';
import { repoPath } from './paths';
import { startProcess, stopProcess, waitForOk, type RunningProcess } from './running-apps';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 8 * 60_000;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-build-app-'));
const out = path.join(scratch, 'api');
let app: RunningProcess | undefined;
let buildSeconds = 0;

function du(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += du(p);
    else if (entry.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

function healthcheck(env: NodeJS.ProcessEnv): number | null {
  return spawnSync(process.execPath, ['healthcheck.js'], { cwd: out, env, timeout: 10_000 }).status;
}

beforeAll(async () => {
  const start = Date.now();
  await run('bash', [repoPath('infra/docker/build-app.sh'), 'api', out], {
    env: { ...process.env, TMPDIR: scratch },
    timeout: BUILD_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  buildSeconds = (Date.now() - start) / 1000;
}, BUILD_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (app) await stopProcess(app, 20_000);
  fs.rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe('infra/docker/build-app.sh api', () => {
  it('produces a self-contained production folder', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(out, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe('@pitchpulse/api');
    expect(fs.existsSync(path.join(out, 'dist/main.js'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'healthcheck.js'))).toBe(true);
    // Workspace packages come with their build output (and ClickHouse its migrations); dev tooling does not.
    for (const p of ['events', 'kafka', 'clickhouse', 'observability']) {
      expect(fs.existsSync(path.join(out, 'node_modules/@pitchpulse', p, 'dist/index.js'))).toBe(true);
    }
    expect(
      fs.readdirSync(path.join(out, 'node_modules/@pitchpulse/clickhouse/migrations')).length,
    ).toBeGreaterThan(0);
    for (const dev of ['@pitchpulse/devstack', 'typescript', 'jest', 'chdb', 'koffi']) {
      expect([dev, fs.existsSync(path.join(out, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(fs.existsSync(path.join(out, 'src'))).toBe(false);
    const mb = du(out) / 1024 / 1024;
    console.log(`build-app.sh api: ${buildSeconds.toFixed(0)} s, ${mb.toFixed(1)} MB`);
    expect(mb).toBeLessThan(100);
  });

  it('starts with `node dist/main.js`, answers /health, and the HEALTHCHECK script agrees', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
    };
    app = startProcess('dist/main.js', env, out);
    await waitForOk(`http://127.0.0.1:${port}/health`, app, 60_000);
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(healthcheck({ ...env, PITCHPULSE_APP: 'api' })).toBe(0);

    const stopped = await stopProcess(app, 20_000);
    app = undefined;
    expect(stopped.code).toBe(0);
    expect(healthcheck({ ...env, PITCHPULSE_APP: 'api' })).toBe(1);
  }, 90_000);

  it('refuses an unknown app with a usage message', async () => {
    await expect(
      run('bash', [repoPath('infra/docker/build-app.sh'), 'web', path.join(scratch, 'x')]),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown app "web": expected api or consumer/),
    });
  });
});
