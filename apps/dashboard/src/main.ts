import './styles.css';
import { $, onWidthChange } from './dom';
import { anomaliesNote, flaggedBadgeText, renderAnomalies } from './anomalies';
import { api, ApiError } from './api';
import { Throttled } from './throttle';
import { GROUPS, renderChart, renderChartTable } from './chart';
import { ago, escapeHtml, formatInt, formatMs, formatRate, minuteLabel, utcMinuteLabel } from './format';
import {
  correctionsNote,
  indexRetractions,
  renderCorrections,
  renderHighlight,
  retractedHighlights,
} from './highlights';
import { LiveStream, type LiveState } from './live';
import { CounterRate, parsePrometheus, sumOf } from './prometheus';
import { initSeason } from './season';
import { isSeasonHash } from './season-chart';
import type {
  Highlight,
  MatchAnomalies,
  MatchMetrics,
  MatchMinuteCount,
  MatchRetraction,
  MatchRetractions,
  MatchSummary,
  StreamEventName,
  Timeline,
  TopPlayer,
} from '@pitchpulse/contract';

const PAGE_SIZE = 20;
/** the API's largest page of matches */
const MAX_PAGE = 100;
const MATCHES_EVERY_MS = 10_000;
/** Corrections are read with every detail read; this often besides, for a retraction that moves no figure. */
const CORRECTIONS_EVERY_MS = 10_000;
const HEALTH_EVERY_MS = 5_000;
const DETAIL_MIN_INTERVAL_MS = 1_000;
const DETAIL_MAX_RETRIES = 10;
const HIGHLIGHTS_SHOWN = 20;
const PLAYERS_SHOWN = 8;

interface State {
  matches: MatchSummary[];
  matchesTotal: number;
  shown: number;
  selected: string | null;
  metrics: MatchMetrics | null;
  timeline: Timeline | null;
  /** peak minutes of the metrics the timeline was read after (so every marked minute has its bar) */
  chartPeaks: MatchMinuteCount[];
  stream: LiveStream<MatchMetrics | Highlight> | null;
  /** totalEvents the timeline/players were last fetched for */
  detailFor: number;
  /** goals + red cards the highlights were last fetched for: their page's total less the retracted ones */
  highlightsFor: number;
  /** the total of the highlight page last read (retracted ones included); -1: read it again */
  highlightsTotal: number;
  /** consecutive detail reads that were behind the metrics */
  detailRetries: number;
  seenHighlights: Set<string>;
  /** the highlights on the page, as last rendered */
  highlights: Highlight[];
  /** the match's retractions as last read (null: not read yet) */
  retractions: MatchRetractions | null;
  retractionIndex: Map<string, MatchRetraction>;
  /** the match's feed-integrity flags as last read (null: not read yet) */
  anomalies: MatchAnomalies | null;
  /** flaggedEvents of the anomalies last read; -1: read them again */
  anomaliesFor: number;
  /** a read of the anomalies is under way */
  anomaliesReading: boolean;
  /** consecutive anomaly reads that were behind the metrics */
  anomaliesRetries: number;
}

const state: State = {
  matches: [],
  matchesTotal: 0,
  shown: PAGE_SIZE,
  selected: null,
  metrics: null,
  timeline: null,
  chartPeaks: [],
  stream: null,
  detailFor: -1,
  highlightsFor: -1,
  highlightsTotal: -1,
  detailRetries: 0,
  seenHighlights: new Set(),
  highlights: [],
  retractions: null,
  retractionIndex: new Map(),
  anomalies: null,
  anomaliesFor: -1,
  anomaliesReading: false,
  anomaliesRetries: 0,
};

// ---------------------------------------------------------------- match list

function selectedFromHash(): string | null {
  const m = /^#match=(.+)$/.exec(location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

const matchHref = (id: string) => `#match=${encodeURIComponent(id)}`;

function renderMatchList(): void {
  const list = $('#match-list');
  const status = $('#matches-status');
  if (state.matches.length === 0) {
    list.innerHTML = '';
    status.textContent = 'No matches yet: post events to /api/events (or run `pnpm simulate`).';
  } else {
    const live = state.matches.filter((m) => m.live).length;
    status.textContent = `${formatInt(state.matchesTotal)} matches, ${live} live on this page.`;
    const now = Date.now();
    list.innerHTML = state.matches
      .map((m) => {
        const current = m.matchId === state.selected;
        return (
          `<li><a href="${escapeHtml(matchHref(m.matchId))}" data-match="${escapeHtml(m.matchId)}"${current ? ' aria-current="page"' : ''}>` +
          `<span class="m-id">${escapeHtml(m.matchId)}</span>` +
          `<span class="m-score" aria-label="score ${m.score['1']} to ${m.score['2']}">${m.score['1']}–${m.score['2']}</span>` +
          `<span class="m-meta">${m.live ? '<span class="badge small">LIVE</span> ' : ''}${formatInt(m.totalEvents)} events · ${escapeHtml(ago(m.lastEventAt, now))}</span>` +
          `</a></li>`
        );
      })
      .join('');
  }
  $('#matches-more').hidden = state.matches.length >= state.matchesTotal;
}

async function refreshMatches(): Promise<void> {
  try {
    // Pages of at most MAX_PAGE (the API's cap) until as many as "show more" asked for.
    const items: MatchSummary[] = [];
    let total = 0;
    do {
      const page = await api.matches(Math.min(MAX_PAGE, state.shown - items.length), items.length);
      items.push(...page.items);
      total = page.total;
      if (page.items.length === 0) break;
    } while (items.length < Math.min(state.shown, total));
    state.matches = items;
    state.matchesTotal = total;
    // The open match's entry follows its live counters rather than the list's slower refresh.
    if (state.metrics) patchListEntry(state.metrics);
    renderMatchList();
    // (Not while the season view is open: its address stays as it is.)
    if (state.selected === null && items.length > 0 && !isSeasonHash(location.hash)) {
      history.replaceState(null, '', matchHref(items[0]!.matchId));
      select(items[0]!.matchId);
    }
  } catch (err) {
    $('#matches-status').textContent = `Could not load matches: ${message(err)}`;
  }
}

function patchListEntry(m: MatchMetrics): void {
  const entry = state.matches.find((s) => s.matchId === m.matchId);
  if (!entry) return;
  entry.totalEvents = m.totalEvents;
  entry.score = { '1': m.byTeam['1'].goals, '2': m.byTeam['2'].goals };
  entry.lastEventAt = m.lastEventAt;
}

// ---------------------------------------------------------------- the chosen match

function setText(el: Element, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}

function setMetric(name: string, value: string): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-metric="${name}"]`)) {
    if (el.textContent !== value) el.textContent = value;
  }
}

function renderMetrics(m: MatchMetrics): void {
  $('#counters').hidden = false;
  $('#score').hidden = false;
  for (const team of ['1', '2'] as const) {
    const t = m.byTeam[team];
    setMetric(`team${team}-goals-score`, formatInt(t.goals));
    setMetric(`team${team}-goals`, formatInt(t.goals));
    setMetric(`team${team}-shots`, formatInt(t.shots));
    setMetric(`team${team}-cards`, formatInt(t.cards));
    setMetric(`team${team}-events`, formatInt(t.events));
  }
  setMetric('totalEvents', formatInt(m.totalEvents));
  setMetric('yellowCards', formatInt(m.yellowCards));
  setMetric('redCards', formatInt(m.redCards));
  const peak = m.peakMatchMinute;
  setMetric(
    'peakMatchMinute',
    m.totalEvents > 0 ? `${minuteLabel(peak.minute)} (${formatInt(peak.eventCount)})` : '—',
  );
  setMetric(
    'peakMinute',
    m.totalEvents > 0
      ? `${utcMinuteLabel(m.peakMinute.minute)} (${formatInt(m.peakMinute.eventCount)})`
      : '—',
  );
  const summary = state.matches.find((s) => s.matchId === m.matchId);
  $('#match-live').hidden = !(summary?.live ?? false);
  const flagged = m.flaggedEvents ?? 0;
  $('#match-flagged').hidden = !(flagged > 0);
  if (flagged > 0) setText($('#match-flagged-text'), flaggedBadgeText(flagged));
  $('#match-meta').textContent =
    `First event ${new Date(m.firstEventAt).toLocaleString()} · last ${ago(m.lastEventAt, Date.now())}`;
  const peaks = m.peakMatchMinutes;
  $('#peaks').textContent =
    peaks.length > 0
      ? `▼ Peak engagement: ${peaks.map((p) => `${minuteLabel(p.minute)} (${p.eventCount})`).join(', ')}`
      : '';
  renderHealthFromMetrics(m);
  $('#updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
}

function renderChartNow(): void {
  const box = $('#chart');
  if (!state.timeline || !state.metrics) return;
  const width = Math.max(280, Math.floor(box.clientWidth));
  const height = width < 500 ? 200 : 260;
  box.innerHTML = renderChart(state.timeline.buckets, state.chartPeaks, { width, height });
  $('#chart-table').innerHTML = renderChartTable(state.timeline.buckets);
}

function renderLegend(): void {
  $('#legend').innerHTML =
    [...GROUPS]
      .reverse()
      .map(
        (g) =>
          `<li><span class="swatch" style="background:${g.color}" aria-hidden="true"></span>${escapeHtml(g.label)}</li>`,
      )
      .join('') + '<li><span class="peak-key" aria-hidden="true">▼</span>Peak engagement minute</li>';
}

const shownHtml = new WeakMap<Element, string>();

/** Sets the element's markup unless it already shows exactly this (as this page last wrote it). */
function setHtml(el: Element, html: string): void {
  if (shownHtml.get(el) === html) return;
  el.innerHTML = html;
  shownHtml.set(el, html);
}

/** The highlights feed; a highlight whose event was retracted shows as disallowed (highlights.ts). */
function renderHighlights(items: Highlight[]): void {
  state.highlights = items;
  const feed = $('#highlights');
  $('#highlights-empty').hidden = items.length > 0;
  const fresh = state.seenHighlights.size > 0;
  const html = items
    .map((h) =>
      renderHighlight(h, state.retractionIndex.get(h.eventId), fresh && !state.seenHighlights.has(h.eventId)),
    )
    .join('');
  // Unchanged markup is left alone: the feed is a live region, rewriting it would announce it again.
  setHtml(feed, html);
  for (const h of items) state.seenHighlights.add(h.eventId);
  renderCorrectionsNow();
}

/** The corrections card: the match's retractions, hidden while there are none. */
function renderCorrectionsNow(): void {
  const r = state.retractions;
  const card = $('#corrections');
  card.hidden = !r || r.items.length === 0;
  if (!r || card.hidden) return;
  setHtml($('#corrections-list'), renderCorrections(r.items, state.highlights));
  $('#corrections-note').textContent = correctionsNote(r);
}

/** Takes a read of the match's retractions; whether it differs from the one the page shows. */
function applyRetractions(r: MatchRetractions): boolean {
  if (state.retractions && JSON.stringify(state.retractions) === JSON.stringify(r)) return false;
  state.retractions = r;
  state.retractionIndex = indexRetractions(r);
  return true;
}

/** The feed-integrity card: the rules that flagged events of the match, hidden while nothing is flagged. */
function renderAnomaliesNow(): void {
  const a = state.anomalies;
  const card = $('#feed-integrity');
  card.hidden = !a || (a.flaggedEvents === 0 && a.rules.length === 0);
  if (!a || card.hidden) return;
  setHtml($('#feed-integrity-list'), renderAnomalies(a.rules));
  setText($('#feed-integrity-note'), anomaliesNote(a));
}

/** The anomalies: when the match is opened and when the metrics' flaggedEvents moves, at most once a second. */
const anomaliesRefresh = new Throttled(DETAIL_MIN_INTERVAL_MS, () => void refreshAnomalies());
const scheduleAnomalies = (): void => anomaliesRefresh.schedule();

async function refreshAnomalies(): Promise<void> {
  const id = state.selected;
  if (!id) return;
  state.anomaliesReading = true;
  let a: MatchAnomalies;
  try {
    a = await api.anomalies(id);
  } catch {
    if (state.selected !== id) return;
    // A failed read keeps the card as it was; read again (a bounded number of times, then at the next change
    // of the metrics).
    state.anomaliesReading = false;
    state.anomaliesFor = -1;
    if (++state.anomaliesRetries <= DETAIL_MAX_RETRIES) scheduleAnomalies();
    return;
  }
  if (state.selected !== id) return;
  state.anomaliesReading = false;
  if (!state.anomalies || JSON.stringify(state.anomalies) !== JSON.stringify(a)) {
    state.anomalies = a;
    renderAnomaliesNow();
  }
  state.anomaliesFor = a.flaggedEvents;
  // The anomalies and the metrics are read on their own: until the anomalies count the flagged events the
  // metrics do, read them again (a bounded number of times).
  const m = state.metrics;
  const behind = m !== null && a.flaggedEvents !== (m.flaggedEvents ?? 0);
  state.anomaliesRetries = behind ? state.anomaliesRetries + 1 : 0;
  if (behind && state.anomaliesRetries <= DETAIL_MAX_RETRIES) scheduleAnomalies();
}

/** The highlights last read that still count (goals + red cards, as the metrics count them); -1: unknown. */
function countedHighlights(): number {
  if (state.highlightsTotal < 0) return -1;
  return state.highlightsTotal - retractedHighlights({ items: state.highlights }, state.retractionIndex);
}

function renderPlayers(players: TopPlayer[]): void {
  $('#players').innerHTML = players
    .map(
      (p) =>
        `<tr><th scope="row">${escapeHtml(p.playerId)}</th><td>${p.teamId}</td><td>${formatInt(p.events)}</td>` +
        `<td>${formatInt(p.goals)}</td><td>${formatInt(p.shots)}</td></tr>`,
    )
    .join('');
}

/** Timeline, players and (when goals or red cards changed) highlights: at most once a second. */
const detailRefresh = new Throttled(DETAIL_MIN_INTERVAL_MS, () => void refreshDetail());
const scheduleDetail = (): void => detailRefresh.schedule();

async function refreshDetail(): Promise<void> {
  const id = state.selected;
  const m = state.metrics;
  if (!id || !m) return;
  const highlightKey = m.goals + m.redCards;
  const wantHighlights = highlightKey !== state.highlightsFor;
  state.detailFor = m.totalEvents;
  try {
    const [timeline, players, highlights, retractions] = await Promise.all([
      api.timeline(id),
      api.players(id, PLAYERS_SHOWN),
      wantHighlights ? api.highlights(id, HIGHLIGHTS_SHOWN) : Promise.resolve(null),
      // A retraction moves the metrics: the corrections are read with the rest (a failed read keeps them as
      // they were).
      api.retractions(id).catch(() => null),
    ]);
    if (state.selected !== id) return;
    state.timeline = timeline;
    state.chartPeaks = m.peakMatchMinutes;
    renderChartNow();
    renderPlayers(players);
    const corrected = retractions !== null && applyRetractions(retractions);
    if (highlights) state.highlightsTotal = highlights.total;
    if (highlights || corrected) renderHighlights(highlights?.items ?? state.highlights);
    // The highlight page lists retracted goals and red cards too; the metrics no longer count them.
    state.highlightsFor = countedHighlights();
    // Each read is answered on its own: one may be a moment behind the metrics the page shows. Until the
    // timeline and the highlights add up to those metrics, read them again (a bounded number of times).
    state.detailFor = timeline.buckets.reduce((sum, b) => sum + b.total, 0);
    const latest = state.metrics!;
    const behind =
      state.detailFor !== latest.totalEvents || state.highlightsFor !== latest.goals + latest.redCards;
    state.detailRetries = behind ? state.detailRetries + 1 : 0;
    if (behind && state.detailRetries <= DETAIL_MAX_RETRIES) scheduleDetail();
  } catch (err) {
    state.detailFor = -1; // try again on the next update
    $('#chart').innerHTML = `<p class="error">Could not load the timeline: ${escapeHtml(message(err))}</p>`;
  }
}

function onMetrics(m: MatchMetrics): void {
  if (m.matchId !== state.selected) return;
  state.metrics = m;
  renderMetrics(m);
  patchListEntry(m);
  renderMatchList();
  if (m.totalEvents !== state.detailFor || m.goals + m.redCards !== state.highlightsFor) {
    state.detailRetries = 0;
    scheduleDetail();
  }
  if (!state.anomaliesReading && (m.flaggedEvents ?? 0) !== state.anomaliesFor) {
    state.anomaliesRetries = 0;
    scheduleAnomalies();
  }
}

/**
 * A highlight of the selected match became READY: the event carries it whole, so it replaces its entry at once
 * (a read of the list could still answer from the API's one-second cache); one not on the page yet makes the
 * page read the list again.
 */
function onHighlight(h: Highlight): void {
  if (h.matchId !== state.selected) return;
  const at = state.highlights.findIndex((x) => x.highlightId === h.highlightId);
  if (at < 0) {
    state.highlightsFor = -1;
    state.highlightsTotal = -1;
    scheduleDetail();
    return;
  }
  renderHighlights(state.highlights.map((x, i) => (i === at ? h : x)));
}

function setConnection(s: LiveState | 'idle', retryInMs?: number): void {
  const el = $('#connection');
  el.dataset.state = s;
  el.textContent =
    s === 'live'
      ? 'Live: updates stream in'
      : s === 'connecting'
        ? 'Connecting…'
        : s === 'reconnecting'
          ? retryInMs !== undefined
            ? `Connection lost: retrying in ${Math.ceil(retryInMs / 1000)} s`
            : 'Reconnecting…'
          : 'Not connected';
}

function select(id: string): void {
  if (state.selected === id) return;
  state.stream?.stop();
  detailRefresh.reset();
  anomaliesRefresh.reset();
  Object.assign(state, {
    selected: id,
    metrics: null,
    timeline: null,
    chartPeaks: [],
    detailFor: -1,
    highlightsFor: -1,
    highlightsTotal: -1,
    detailRetries: 0,
    seenHighlights: new Set<string>(),
    highlights: [],
    retractions: null,
    retractionIndex: new Map<string, MatchRetraction>(),
    anomalies: null,
    anomaliesFor: -1,
    anomaliesReading: false,
    anomaliesRetries: 0,
  });
  $('#match-h').textContent = `Match ${id}`;
  $('#match-meta').textContent = 'Loading…';
  $('#chart').innerHTML = '<p class="muted">Loading…</p>';
  setHtml($('#highlights'), '');
  $('#players').innerHTML = '';
  $('#corrections').hidden = true;
  setHtml($('#corrections-list'), '');
  $('#match-flagged').hidden = true;
  $('#feed-integrity').hidden = true;
  setHtml($('#feed-integrity-list'), '');
  renderMatchList();
  scheduleAnomalies();
  void api.metrics(id).then(onMetrics, (err: unknown) => {
    if (state.selected !== id) return;
    $('#match-meta').textContent =
      err instanceof ApiError && err.status === 404
        ? 'No events stored for this match yet.'
        : `Could not load the metrics: ${message(err)}`;
  });
  const stream = new LiveStream<MatchMetrics | Highlight>(api.streamUrl(id), {
    onData: (data) => ('highlightId' in data ? onHighlight(data) : onMetrics(data)),
    events: ['metrics', 'highlight'] satisfies StreamEventName[],
    onState: (s, retryInMs) => {
      if (state.stream !== stream) return;
      setConnection(s, retryInMs);
      // While the stream is down, one plain read keeps the numbers honest.
      if (s === 'reconnecting' && retryInMs !== undefined)
        void api.metrics(id).then(onMetrics, () => undefined);
    },
  });
  state.stream = stream;
  stream.start();
}

/**
 * The corrections between detail reads: a retraction of an event not received yet (or its event arriving) moves
 * no figure, so no metrics are pushed for it.
 */
async function refreshCorrections(): Promise<void> {
  const id = state.selected;
  if (!id || !state.metrics || isSeasonHash(location.hash)) return;
  let r: MatchRetractions;
  try {
    r = await api.retractions(id);
  } catch {
    return; // the next read may do better
  }
  if (state.selected !== id || !applyRetractions(r)) return;
  renderHighlights(state.highlights);
  state.highlightsFor = countedHighlights();
  const m = state.metrics;
  if (m && state.highlightsFor !== m.goals + m.redCards) {
    state.detailRetries = 0;
    scheduleDetail();
  }
}

// ---------------------------------------------------------------- pipeline health

const ingestRate = new CounterRate();

function renderHealthFromMetrics(m: MatchMetrics): void {
  setHealth('p99', formatMs(m.responseTimePercentiles?.p99));
  setHealth('pipeline', formatMs(m.pipelineLatencyMs?.p99));
}

function setHealth(name: string, value: string): void {
  const el = $(`[data-health="${name}"]`);
  if (el.textContent !== value) el.textContent = value;
}

async function refreshHealth(): Promise<void> {
  try {
    const samples = parsePrometheus(await api.prometheus());
    const ingested = sumOf(samples, 'events_ingested_total');
    const rate = ingested === null ? null : ingestRate.update(ingested, Date.now());
    setHealth('rate', rate === null ? (ingested === null ? 'n/a' : '—') : `${formatRate(rate)} ev/s`);
    const lag = sumOf(samples, 'consumer_lag');
    setHealth('lag', lag === null ? 'n/a' : `${formatInt(lag)} msgs`);
    $('#health-note').textContent =
      lag === null
        ? 'Consumer lag is not exported by the api; see consumer_lag on the consumer’s /metrics. Pipeline p99 (per match) shows how far behind the stored data is.'
        : '';
  } catch (err) {
    setHealth('rate', 'n/a');
    $('#health-note').textContent = `Could not read the api's /metrics: ${message(err)}`;
  }
}

// ---------------------------------------------------------------- start

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function start(): void {
  renderLegend();
  initSeason(() => void refreshMatches());
  setConnection('idle');
  const fromHash = selectedFromHash();
  if (fromHash) select(fromHash);
  window.addEventListener('hashchange', () => {
    const id = selectedFromHash();
    if (id) {
      select(id);
      $('#match').focus({ preventScroll: true });
    }
  });
  $('#matches-more').addEventListener('click', () => {
    state.shown += PAGE_SIZE;
    void refreshMatches();
  });
  onWidthChange($('#chart'), renderChartNow);
  void refreshMatches();
  void refreshHealth();
  setInterval(() => void refreshMatches(), MATCHES_EVERY_MS);
  setInterval(() => void refreshHealth(), HEALTH_EVERY_MS);
  setInterval(() => void refreshCorrections(), CORRECTIONS_EVERY_MS);
}

start();
