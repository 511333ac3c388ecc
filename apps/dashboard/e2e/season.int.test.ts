/**
 * The season view end to end: the built api and consumer on the test stack, events of three days posted through
 * the ingest API (every one twice), then headless Chromium opens `/#season=…` from the live page's link: the
 * totals, the daily chart, the top events and the leaderboard show what the stats API answers; no axe-core
 * violation; a screenshot goes to artifacts/.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Page } from 'playwright-core';
import type { DailyStats, PlayerLeaderboard, TopEvents } from '@pitchpulse/contract';
import {
  ARTIFACTS,
  ROOT,
  launchChromium,
  requireFile,
  startPipeline,
  waitUntil,
  type Pipeline,
} from './harness';

jest.setTimeout(180_000);

const TYPES = ['pass', 'pass', 'shot', 'goal', 'foul', 'yellow_card', 'corner'] as const;

function events() {
  const out = [];
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 20 + day * 5; i++) {
      out.push({
        eventId: randomUUID(),
        matchId: `season-e2e-${day}`,
        eventType: TYPES[i % TYPES.length]!,
        timestamp: new Date(Date.parse('2024-06-01T18:00:00Z') + day * 86_400_000 + i * 60_000).toISOString(),
        teamId: (i % 2) + 1,
        playerId: `player-${i % 6}`,
      });
    }
  }
  return out;
}

async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(() => {
    for (const d of document.querySelectorAll('details')) d.open = true;
  });
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, o: object): Promise<AxeResults> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  );
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

describe('season view (headless Chromium)', () => {
  let pipeline: Pipeline | undefined;
  let chrome: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const sent = events();

  beforeAll(async () => {
    requireFile(path.join(ROOT, 'apps/dashboard/dist/index.html'), 'run `pnpm run build` first');
    pipeline = await startPipeline();
    for (let copy = 0; copy < 2; copy++) {
      const res = await fetch(`${pipeline.apiUrl}/api/events/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: sent }),
      });
      expect(res.status).toBe(202);
    }
    chrome = await launchChromium();
  });

  afterAll(async () => {
    await chrome?.close();
    await pipeline?.stop();
  });

  const getJson = async <T>(p: string): Promise<T> =>
    (await (await fetch(`${pipeline!.apiUrl}${p}`)).json()) as T;

  it('shows the range’s totals, chart, top events and leaderboard as the API answers them', async () => {
    const range = 'from=2024-05-31&to=2024-06-04';
    const daily = await waitUntil(
      'every event stored',
      () => getJson<DailyStats>(`/api/stats/daily?${range}`),
      (d) => d.days.reduce((n, x) => n + x.events, 0) === sent.length,
      60_000,
    );
    const top = await getJson<TopEvents>(`/api/stats/top-events?${range}`);
    const board = await getJson<PlayerLeaderboard>(`/api/stats/players?${range}&by=goals&limit=10&offset=0`);

    const page = await chrome!.context.newPage();
    await page.goto(`${pipeline!.apiUrl}/`);
    // Reachable from the live page: its header links to the season view.
    await page.click('#view-link');
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('#season-view')!.hidden);
    await page.fill('#season-from', '2024-05-31');
    await page.fill('#season-to', '2024-06-04');
    await page.click('#season-form button[type=submit]');
    await page.waitForFunction(() => location.hash === '#season=2024-05-31..2024-06-04');
    await page.waitForFunction(
      (n) => document.querySelectorAll('#leaderboard tr').length === n,
      board.items.length,
    );
    await page.waitForFunction(() => document.querySelectorAll('#daily-chart g[data-day]').length === 5);

    const text = (sel: string) => page.locator(sel).innerText();
    expect(await text('[data-season="events"]')).toBe(String(sent.length));
    expect(await text('[data-season="goals"]')).toBe(String(daily.days.reduce((n, d) => n + d.goals, 0)));
    expect(await text('[data-season="activeDays"]')).toBe('3');
    const shownTypes = await page.locator('#top-events .te-count').allInnerTexts();
    expect(shownTypes).toEqual(top.items.filter((i) => i.events > 0).map((i) => String(i.events)));
    const firstRow = await page.locator('#leaderboard tr').first().locator('th, td').allInnerTexts();
    const best = board.items[0]!;
    expect(firstRow).toEqual(
      ['1', best.playerId, best.matches, best.goals, best.shots, best.cards, best.events].map(String),
    );
    expect(await text('#leaderboard-status')).toContain(`of ${board.total}`);

    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-season.png'), fullPage: true });

    // Back to the live matches.
    await page.click('#view-link');
    await page.waitForFunction(() => !document.querySelector<HTMLElement>('#live-view')!.hidden);
    await page.close();
  });
});
