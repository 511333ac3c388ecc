import type { DailyStats, PlayerLeaderboard, StatsPlayerSort } from '@pitchpulse/contract';
import { STATS_PLAYER_SORTS } from '@pitchpulse/contract/src/stats-limits';
import { $, onWidthChange } from './dom';
import { api } from './api';
import { escapeHtml, formatInt } from './format';
import {
  checkRange,
  dayLabel,
  isSeasonHash,
  rangeFromHash,
  rangeTotals,
  renderDailyChart,
  renderDailyTable,
  renderTopEvents,
  seasonHash,
  type SeasonRange,
} from './season-chart';

const REFRESH_MS = 15_000;
const LEADERBOARD_PAGE = 10;

interface SeasonState {
  range: SeasonRange;
  daily: DailyStats | null;
  by: StatsPlayerSort;
  offset: number;
  timer: ReturnType<typeof setInterval> | undefined;
  /** increases with every load, so a slow answer for an older range is dropped */
  generation: number;
}

const season: SeasonState = {
  range: rangeFromHash('', Date.now()),
  daily: null,
  by: 'goals',
  offset: 0,
  timer: undefined,
  generation: 0,
};

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function renderChartNow(): void {
  if (!season.daily) return;
  const box = $('#daily-chart');
  const width = Math.max(280, Math.floor(box.clientWidth));
  box.innerHTML = renderDailyChart(season.daily.days, { width, height: width < 500 ? 200 : 240 });
  $('#daily-table').innerHTML = renderDailyTable(season.daily.days);
}

function renderTotals(daily: DailyStats): void {
  const t = rangeTotals(daily.days);
  const set = (name: string, value: number) => {
    $(`[data-season="${name}"]`).textContent = formatInt(value);
  };
  set('events', t.events);
  set('goals', t.goals);
  set('cards', t.cards);
  set('activeDays', t.activeDays);
}

function renderLeaderboard(board: PlayerLeaderboard): void {
  $('#leaderboard').innerHTML = board.items
    .map(
      (p, i) =>
        `<tr><td>${formatInt(board.offset + i + 1)}</td><th scope="row">${escapeHtml(p.playerId)}</th>` +
        `<td>${formatInt(p.matches)}</td><td>${formatInt(p.goals)}</td><td>${formatInt(p.shots)}</td>` +
        `<td>${formatInt(p.cards)}</td><td>${formatInt(p.events)}</td></tr>`,
    )
    .join('');
  $('#leaderboard-empty').hidden = board.total > 0;
  const last = Math.min(board.total, board.offset + board.items.length);
  $('#leaderboard-status').textContent =
    board.total > 0
      ? `Players ${board.offset + 1}–${last} of ${formatInt(board.total)}, by ${board.by}.`
      : '';
  $<HTMLButtonElement>('#leaderboard-prev').disabled = board.offset === 0;
  $<HTMLButtonElement>('#leaderboard-next').disabled = last >= board.total;
}

/** Reads the three resources for the current range (the API caches them; a refresh costs little). */
async function load(): Promise<void> {
  const generation = ++season.generation;
  const { from, to } = season.range;
  const status = $('#season-status');
  try {
    const [daily, top, board] = await Promise.all([
      api.stats.daily(from, to),
      api.stats.topEvents(from, to),
      api.stats.players(from, to, season.by, LEADERBOARD_PAGE, season.offset),
    ]);
    if (generation !== season.generation) return;
    season.daily = daily;
    renderChartNow();
    renderTotals(daily);
    const topHtml = renderTopEvents(top.items);
    $('#top-events').innerHTML = topHtml;
    $('#top-events-empty').hidden = topHtml !== '';
    renderLeaderboard(board);
    status.textContent = `${dayLabel(from, true)} – ${dayLabel(to, true)} (UTC) · updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    if (generation !== season.generation) return;
    status.textContent = `Could not load the season: ${message(err)}`;
  }
}

function show(on: boolean): void {
  $('#live-view').hidden = on;
  $('#season-view').hidden = !on;
  $('#view-link').textContent = on ? 'Live matches' : 'Season stats';
  $<HTMLAnchorElement>('#view-link').href = on ? '#' : seasonHash(season.range);
  clearInterval(season.timer);
  season.timer = on ? setInterval(() => void load(), REFRESH_MS) : undefined;
}

function openFromHash(): void {
  season.range = rangeFromHash(location.hash, Date.now());
  $<HTMLInputElement>('#season-from').value = season.range.from;
  $<HTMLInputElement>('#season-to').value = season.range.to;
  $('#season-error').textContent = '';
  season.offset = 0;
  show(true);
  void load();
}

/**
 * The season view (`#season`, `#season=FROM..TO`): daily activity, top event types and the player leaderboard of
 * a date range, from the stats API. `onLeave` runs when the page goes back to the live matches.
 */
export function initSeason(onLeave: () => void): void {
  $('#leaderboard-by').innerHTML = STATS_PLAYER_SORTS.map(
    (s) => `<option value="${s}"${s === season.by ? ' selected' : ''}>${s}</option>`,
  ).join('');
  $<HTMLFormElement>('#season-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = $<HTMLInputElement>('#season-from').value;
    const to = $<HTMLInputElement>('#season-to').value;
    const problem = checkRange(from, to);
    $('#season-error').textContent = problem ?? '';
    if (problem) return;
    location.hash = seasonHash({ from, to }); // hashchange loads it
  });
  $<HTMLSelectElement>('#leaderboard-by').addEventListener('change', (e) => {
    season.by = (e.target as HTMLSelectElement).value as StatsPlayerSort;
    season.offset = 0;
    void load();
  });
  $('#leaderboard-prev').addEventListener('click', () => {
    season.offset = Math.max(0, season.offset - LEADERBOARD_PAGE);
    void load();
  });
  $('#leaderboard-next').addEventListener('click', () => {
    season.offset += LEADERBOARD_PAGE;
    void load();
  });
  onWidthChange($('#daily-chart'), renderChartNow);
  window.addEventListener('hashchange', () => {
    if (isSeasonHash(location.hash)) {
      openFromHash();
      $('#season').focus({ preventScroll: true });
    } else if (!$('#season-view').hidden) {
      show(false);
      onLeave();
    }
  });
  if (isSeasonHash(location.hash)) openFromHash();
  else show(false);
}
