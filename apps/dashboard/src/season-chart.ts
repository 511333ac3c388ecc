import type { DailyStatsDay, EventTypeCount } from '@pitchpulse/contract';
// The limits themselves, not the contract's index: that would bring TypeBox and ajv into the bundle.
import { STATS_LIMITS, isoDateDays, isoDateOf } from '@pitchpulse/contract/src/stats-limits';
import { GROUPS, niceStep } from './chart';
import { escapeHtml, formatInt } from './format';

/** The season view's range: `#season` (the last DEFAULT_DAYS days) or `#season=2024-06-01..2024-06-30`. */
export const DEFAULT_DAYS = 30;

export interface SeasonRange {
  from: string;
  to: string;
}

/** The last `DEFAULT_DAYS` UTC days up to the day of `now`. */
export function defaultRange(now: number): SeasonRange {
  const today = Math.floor(now / 86_400_000);
  return { from: isoDateOf(today - DEFAULT_DAYS + 1), to: isoDateOf(today) };
}

/** Whether the hash opens the season view. */
export const isSeasonHash = (hash: string): boolean => hash === '#season' || hash.startsWith('#season=');

/** The range a `#season…` hash names when it is one the API accepts, else the default range. */
export function rangeFromHash(hash: string, now: number): SeasonRange {
  const m = /^#season=(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(hash);
  return (m && checkRange(m[1]!, m[2]!) === null && { from: m[1]!, to: m[2]! }) || defaultRange(now);
}

export const seasonHash = (r: SeasonRange): string => `#season=${r.from}..${r.to}`;

/** Why the API would refuse the range (the contract's rules), or null when it is fine. */
export function checkRange(from: string, to: string): string | null {
  const a = isoDateDays(from);
  const b = isoDateDays(to);
  if (a === null) return `“From” must be a date from ${STATS_LIMITS.minDate} to ${STATS_LIMITS.maxDate}.`;
  if (b === null) return `“To” must be a date from ${STATS_LIMITS.minDate} to ${STATS_LIMITS.maxDate}.`;
  if (b < a) return '“To” must not be before “from”.';
  if (b - a + 1 > STATS_LIMITS.maxSpanDays) return `A range spans at most ${STATS_LIMITS.maxSpanDays} days.`;
  return null;
}

/** `2024-06-01` → `1 Jun`; with the year when asked: `1 Jun 2024`. */
export function dayLabel(day: string, withYear = false): string {
  const d = new Date(`${day}T00:00:00Z`);
  const text = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return withYear ? `${text} ${d.getUTCFullYear()}` : text;
}

const M = { top: 14, right: 8, bottom: 24, left: 40 };
const BAR = '#0072B2';
const GOAL = '#000000';

/**
 * Distinct events per UTC day as an SVG bar chart (every day of the range, zero days too), goals marked as a
 * dot above their day's bar, a tooltip per day and a description for screen readers.
 */
export function renderDailyChart(
  days: DailyStatsDay[],
  { width, height }: { width: number; height: number },
): string {
  const plotW = Math.max(10, width - M.left - M.right);
  const plotH = Math.max(10, height - M.top - M.bottom);
  const max = Math.max(1, ...days.map((d) => d.events));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const slot = plotW / Math.max(1, days.length);
  const gap = slot >= 6 ? Math.min(4, slot * 0.2) : 0;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const r = (v: number) => Math.round(v * 100) / 100;
  const total = days.reduce((s, d) => s + d.events, 0);
  const busiest = days.reduce<DailyStatsDay | undefined>(
    (b, d) => (!b || d.events > b.events ? d : b),
    undefined,
  );
  const desc =
    `Distinct events per UTC day from ${days[0] ? dayLabel(days[0].day, true) : '—'} to ` +
    `${days.at(-1) ? dayLabel(days.at(-1)!.day, true) : '—'}: ${total} events on ${days.filter((d) => d.events > 0).length} ` +
    `of ${days.length} days` +
    (busiest && busiest.events > 0
      ? `; busiest ${dayLabel(busiest.day, true)} with ${busiest.events}.`
      : '.');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `role="img" aria-labelledby="daily-title daily-desc" class="chart-svg">`,
    `<title id="daily-title">Events per day</title>`,
    `<desc id="daily-desc">${escapeHtml(desc)}</desc>`,
    '<g class="axis" aria-hidden="true">',
  ];
  for (let v = 0; v <= top; v += step) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + plotW}" y1="${r(y(v))}" y2="${r(y(v))}" class="grid"/>`,
      `<text x="${M.left - 4}" y="${r(y(v)) + 4}" text-anchor="end">${formatInt(v)}</text>`,
    );
  }
  // About one date label per 70 px.
  const every = Math.max(1, Math.ceil(days.length / Math.max(1, Math.floor(plotW / 70))));
  days.forEach((d, i) => {
    if (i % every !== 0) return;
    parts.push(
      `<text x="${r(M.left + i * slot + slot / 2)}" y="${height - 6}" text-anchor="middle">${escapeHtml(dayLabel(d.day))}</text>`,
    );
  });
  parts.push('</g>', '<g class="bars">');
  days.forEach((d, i) => {
    const x = M.left + i * slot + gap / 2;
    const w = Math.max(1, slot - gap);
    const tip =
      `${dayLabel(d.day, true)}: ${d.events} events, ${d.matches} matches, ${d.goals} goals, ${d.cards} cards, ` +
      `${d.activePlayers} active players`;
    parts.push(`<g data-day="${d.day}"><title>${escapeHtml(tip)}</title>`);
    // An invisible full-height target, so days without events have a tooltip too.
    parts.push(
      `<rect x="${r(x)}" y="${M.top}" width="${r(w)}" height="${r(plotH)}" fill="transparent" stroke="none"/>`,
    );
    if (d.events > 0) {
      parts.push(
        `<rect x="${r(x)}" y="${r(y(d.events))}" width="${r(w)}" height="${r(y(0) - y(d.events))}" fill="${BAR}"/>`,
      );
    }
    if (d.goals > 0) {
      parts.push(
        `<circle cx="${r(x + w / 2)}" cy="${r(y(d.events) - 5)}" r="3" fill="${GOAL}" class="goal-dot"/>`,
      );
    }
    parts.push('</g>');
  });
  parts.push(
    '</g>',
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${r(y(0))}" y2="${r(y(0))}" class="baseline" aria-hidden="true"/>`,
    '</svg>',
  );
  return parts.join('');
}

/** The daily figures as an HTML table (the chart's text alternative). */
export function renderDailyTable(days: DailyStatsDay[]): string {
  const rows = days
    .map(
      (d) =>
        `<tr><th scope="row">${escapeHtml(d.day)}</th><td>${formatInt(d.matches)}</td><td>${formatInt(d.events)}</td>` +
        `<td>${formatInt(d.goals)}</td><td>${formatInt(d.cards)}</td><td>${formatInt(d.activePlayers)}</td></tr>`,
    )
    .join('');
  return (
    '<table class="data-table"><caption>Figures per UTC day</caption><thead><tr><th scope="col">Day</th>' +
    '<th scope="col">Matches</th><th scope="col">Events</th><th scope="col">Goals</th><th scope="col">Cards</th>' +
    `<th scope="col">Active players</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

/** Totals of the range: the sums of the days (active players are distinct per day, so they are not summed). */
export function rangeTotals(days: DailyStatsDay[]) {
  return {
    events: days.reduce((s, d) => s + d.events, 0),
    goals: days.reduce((s, d) => s + d.goals, 0),
    cards: days.reduce((s, d) => s + d.cards, 0),
    activeDays: days.filter((d) => d.events > 0).length,
  };
}

const TYPE_COLOR = new Map<string, string>(GROUPS.flatMap((g) => g.types.map((t) => [t, g.color] as const)));
const TYPE_LABEL: Record<string, string> = {
  yellow_card: 'yellow card',
  red_card: 'red card',
  free_kick: 'free kick',
};
export const typeLabel = (t: string): string => TYPE_LABEL[t] ?? t;

/** The top event types as a list of labelled horizontal bars (the chart's colours), types with events only. */
export function renderTopEvents(items: EventTypeCount[]): string {
  const shown = items.filter((i) => i.events > 0);
  if (shown.length === 0) return '';
  const max = Math.max(...shown.map((i) => i.events));
  return shown
    .map(
      (i) =>
        `<li><span class="te-name">${escapeHtml(typeLabel(i.eventType))}</span>` +
        `<span class="te-bar" aria-hidden="true"><span style="width:${Math.max(1, Math.round((i.events / max) * 100))}%;background:${TYPE_COLOR.get(i.eventType) ?? BAR}"></span></span>` +
        `<span class="te-count">${formatInt(i.events)}</span></li>`,
    )
    .join('');
}
