import { escapeHtml, minuteLabel } from './format';
import type { MatchMinuteCount, TimelineEntry } from '@pitchpulse/contract';

/**
 * Event types in seven groups, each with a colour of the Okabe–Ito palette (told apart with the common forms of
 * colour blindness). Stacked bottom to top in this order: the rare, telling events sit on top of each bar.
 */
export const GROUPS = [
  { key: 'pass', label: 'Passes', types: ['pass'], color: '#56B4E9' },
  { key: 'other', label: 'Other', types: ['interception', 'offside', 'substitution'], color: '#CC79A7' },
  { key: 'setpiece', label: 'Corners & free kicks', types: ['corner', 'free_kick'], color: '#009E73' },
  { key: 'foul', label: 'Fouls', types: ['foul'], color: '#E69F00' },
  { key: 'card', label: 'Cards', types: ['yellow_card', 'red_card'], color: '#D55E00' },
  { key: 'shot', label: 'Shots', types: ['shot'], color: '#0072B2' },
  { key: 'goal', label: 'Goals', types: ['goal'], color: '#000000' },
] as const;

export type GroupKey = (typeof GROUPS)[number]['key'];

const GROUP_OF = new Map<string, GroupKey>(GROUPS.flatMap((g) => g.types.map((t) => [t, g.key] as const)));

/** One minute of the chart: counts per group (unknown event types count as "other"). */
export interface MinuteBar {
  minute: number;
  total: number;
  groups: Record<GroupKey, number>;
}

const emptyGroups = (): Record<GroupKey, number> =>
  Object.fromEntries(GROUPS.map((g) => [g.key, 0])) as Record<GroupKey, number>;

/** Every minute from 0 to the last (at least 90), empty minutes included, from the timeline's buckets. */
export function minuteBars(buckets: TimelineEntry[], minMinutes = 90): MinuteBar[] {
  const last = buckets.reduce((max, b) => Math.max(max, b.minute), minMinutes - 1);
  const bars: MinuteBar[] = [];
  for (let minute = 0; minute <= last; minute++) bars.push({ minute, total: 0, groups: emptyGroups() });
  for (const b of buckets) {
    const bar = bars[b.minute];
    if (!bar) continue;
    for (const [type, n] of Object.entries(b.counts)) {
      bar.groups[GROUP_OF.get(type) ?? 'other'] += n;
      bar.total += n;
    }
  }
  return bars;
}

/** A round axis step (1, 2, 5 × 10^k) giving about `ticks` intervals up to `max`. */
export function niceStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return Math.max(1, step);
}

export interface ChartOptions {
  width: number;
  height: number;
}

const M = { top: 22, right: 8, bottom: 24, left: 34 };

function describe(bars: MinuteBar[], peaks: MatchMinuteCount[]): string {
  const total = bars.reduce((s, b) => s + b.total, 0);
  const byGroup = GROUPS.map((g) => ({ g, n: bars.reduce((s, b) => s + b.groups[g.key], 0) }))
    .filter((x) => x.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((x) => `${x.g.label.toLowerCase()} ${x.n}`);
  const peakText =
    peaks.length > 0
      ? ` Peak engagement minutes: ${peaks.map((p) => `${minuteLabel(p.minute)} (${p.eventCount} events)`).join(', ')}.`
      : '';
  return (
    `Events per minute of play, minutes 0 to ${bars.length - 1}, stacked by type: ${total} events` +
    (byGroup.length > 0 ? ` (${byGroup.join(', ')}).` : '.') +
    peakText
  );
}

/**
 * The per-minute stacked bar chart as SVG markup, with a title and a description for screen readers, a
 * tooltip per minute and a marker (▼) above each peak engagement minute.
 */
export function renderChart(
  buckets: TimelineEntry[],
  peaks: MatchMinuteCount[],
  { width, height }: ChartOptions,
): string {
  // The axis reaches every peak minute too, so a marker has its place even if the timeline is a moment behind.
  const bars = minuteBars(buckets, Math.max(90, ...peaks.map((p) => p.minute + 1)));
  const plotW = Math.max(10, width - M.left - M.right);
  const plotH = Math.max(10, height - M.top - M.bottom);
  const max = Math.max(1, ...bars.map((b) => b.total));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const slot = plotW / bars.length;
  const gap = slot >= 4 ? 1 : 0;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const x = (minute: number) => M.left + minute * slot;
  const r = (v: number) => Math.round(v * 100) / 100;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `role="img" aria-labelledby="chart-title chart-desc" class="chart-svg">`,
    `<title id="chart-title">Events per minute by type</title>`,
    `<desc id="chart-desc">${escapeHtml(describe(bars, peaks))}</desc>`,
  );
  // Grid and y axis.
  parts.push('<g class="axis" aria-hidden="true">');
  for (let v = 0; v <= top; v += step) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${r(y(v))}" y2="${r(y(v))}" class="grid"/>`,
      `<text x="${M.left - 4}" y="${r(y(v)) + 4}" text-anchor="end">${v}</text>`,
    );
  }
  const xStep = plotW < 360 ? 30 : 15;
  for (let m = 0; m < bars.length; m += xStep) {
    parts.push(
      `<text x="${r(x(m) + slot / 2)}" y="${height - 6}" text-anchor="middle">${minuteLabel(m)}</text>`,
    );
  }
  parts.push('</g>');
  // Bars: one group per minute with a tooltip.
  parts.push('<g class="bars">');
  for (const bar of bars) {
    if (bar.total === 0) continue;
    const detail = GROUPS.filter((g) => bar.groups[g.key] > 0)
      .map((g) => `${g.label.toLowerCase()} ${bar.groups[g.key]}`)
      .join(', ');
    parts.push(
      `<g data-minute="${bar.minute}"><title>${minuteLabel(bar.minute)}: ${bar.total} events — ${detail}</title>`,
    );
    let base = 0;
    for (const g of GROUPS) {
      const n = bar.groups[g.key];
      if (n === 0) continue;
      const y0 = y(base + n);
      const h = y(base) - y0;
      parts.push(
        `<rect x="${r(x(bar.minute) + gap / 2)}" y="${r(y0)}" width="${r(Math.max(1, slot - gap))}" height="${r(h)}" fill="${g.color}"/>`,
      );
      base += n;
    }
    parts.push('</g>');
  }
  parts.push('</g>');
  // Peak engagement markers.
  parts.push('<g class="peaks">');
  peaks.forEach((p, i) => {
    const bar = bars[p.minute];
    if (!bar) return;
    const cx = x(p.minute) + slot / 2;
    const tipY = y(bar.total) - 3;
    parts.push(
      `<path d="M${r(cx - 5)},${r(tipY - 8)} L${r(cx + 5)},${r(tipY - 8)} L${r(cx)},${r(tipY)} Z" class="peak-marker" data-peak="${p.minute}">` +
        `<title>Peak engagement #${i + 1}: ${minuteLabel(p.minute)}, ${p.eventCount} events</title></path>`,
    );
    if (i === 0) {
      parts.push(
        `<text x="${r(cx)}" y="${r(Math.max(10, tipY - 11))}" text-anchor="middle" class="peak-label" aria-hidden="true">${minuteLabel(p.minute)}</text>`,
      );
    }
  });
  parts.push('</g>');
  parts.push(
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${r(y(0))}" y2="${r(y(0))}" class="baseline" aria-hidden="true"/>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

/** The chart's data as an HTML table (the text alternative behind "Show the data"); minutes with events only. */
export function renderChartTable(buckets: TimelineEntry[]): string {
  const bars = minuteBars(buckets).filter((b) => b.total > 0);
  const head = GROUPS.map((g) => `<th scope="col">${escapeHtml(g.label)}</th>`).join('');
  const rows = bars
    .map(
      (b) =>
        `<tr><th scope="row">${minuteLabel(b.minute)}</th>${GROUPS.map((g) => `<td>${b.groups[g.key]}</td>`).join('')}<td>${b.total}</td></tr>`,
    )
    .join('');
  return (
    `<table class="data-table"><caption>Events per minute by type</caption>` +
    `<thead><tr><th scope="col">Minute</th>${head}<th scope="col">Total</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}
