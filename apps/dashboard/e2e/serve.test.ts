/**
 * The api's static mount for the dashboard (apps/api/src/http/dashboard.ts) on its own, over HTTP: cache
 * headers per file kind, and a 503 problem (not a crash, not a 404) when the dashboard has not been built.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { IMMUTABLE, REVALIDATE, createDashboardRouter, dashboardDir } from '../../api/src/http/dashboard';

async function serve(dir: string | undefined): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(createDashboardRouter(dir === undefined ? {} : { dir }));
  app.use((_req, res) => {
    res.status(404).send('fell through');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('dashboard static mount', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitchpulse-dashboard-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves index.html revalidated and assets/ immutable, and nothing else', async () => {
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>x</title>');
    fs.writeFileSync(path.join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, '.secret'), 'no');
    const s = await serve(dir);
    try {
      for (const p of ['/', '/index.html']) {
        const res = await fetch(s.url + p);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.headers.get('cache-control')).toBe(REVALIDATE);
        expect(res.headers.get('etag') ?? res.headers.get('last-modified')).toBeTruthy();
        expect(await res.text()).toContain('<title>x</title>');
      }
      const js = await fetch(`${s.url}/assets/index-AbC123.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(js.headers.get('cache-control')).toBe(IMMUTABLE);
      expect((await fetch(`${s.url}/assets/index-AbC123.js`, { method: 'HEAD' })).status).toBe(200);
      // Unknown assets, other files, dotfiles, traversal and other methods fall through to the app's 404.
      for (const p of ['/assets/missing.js', '/.secret', '/assets/..%2F.secret', '/other.html']) {
        const res = await fetch(s.url + p);
        expect([p, res.status, await res.text()]).toEqual([p, 404, 'fell through']);
      }
      expect((await fetch(`${s.url}/`, { method: 'POST' })).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('answers / with a 503 problem naming the build command when the dashboard is not built', async () => {
    const s = await serve(dir);
    try {
      const res = await fetch(`${s.url}/`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: 'urn:pitchpulse:problem:dashboard-not-built',
        title: 'Dashboard not built',
        status: 503,
      });
      expect(body.detail).toContain('pnpm run build');
      expect(body.detail).toContain(path.join(dir, 'index.html'));
      expect((await fetch(`${s.url}/assets/index.js`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it("finds the dashboard's build folder through the @pitchpulse/dashboard package", () => {
    expect(dashboardDir()).toBe(path.resolve(__dirname, '..', 'dist'));
  });
});
