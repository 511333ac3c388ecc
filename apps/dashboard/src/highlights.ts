/**
 * The match's highlights feed and its corrections (retractions, issue 17) as markup: pure functions of what the
 * API answered, so they are tested without a browser. A highlight whose event the feed took back is shown as
 * disallowed, never as the goal (or card) it was.
 */
import type {
  Highlight,
  HighlightPage,
  HighlightType,
  MatchRetraction,
  MatchRetractions,
} from '@pitchpulse/contract';
import { escapeHtml, minuteLabel, utcTimeLabel } from './format';

/** The event types that become highlights (the API's default HIGHLIGHT_TYPES): the page counts them as goals + red cards. */
const HIGHLIGHT_EVENT_TYPES: readonly string[] = ['goal', 'red_card'] satisfies HighlightType[];

/** The match's retractions the page read last, by eventId. */
export type RetractionIndex = ReadonlyMap<string, MatchRetraction>;

export function indexRetractions(r: MatchRetractions | null): Map<string, MatchRetraction> {
  return new Map((r?.items ?? []).map((item) => [item.eventId, item]));
}

/**
 * Whether the highlight shows a retracted event: RETRACTED, or named by a retraction the page read. The two reads
 * answer on their own, so either may be a moment ahead of the other; both mean the event no longer counts.
 */
export function isRetracted(h: Highlight, retractions: RetractionIndex): boolean {
  return h.status === 'RETRACTED' || retractions.has(h.eventId);
}

/**
 * How many of the page's `total` highlights are retracted: a highlight page still lists (and counts) them, the
 * metrics' goals and red cards do not. The retracted goals and red cards whose event is stored, and any RETRACTED
 * highlight on the page the retractions read did not have yet.
 */
export function retractedHighlights(
  page: Pick<HighlightPage, 'items'>,
  retractions: RetractionIndex,
): number {
  const ids = new Set<string>();
  for (const r of retractions.values()) {
    if (r.found && r.eventType !== null && HIGHLIGHT_EVENT_TYPES.includes(r.eventType)) ids.add(r.eventId);
  }
  for (const h of page.items) if (h.status === 'RETRACTED') ids.add(h.eventId);
  return ids.size;
}

/** "Goal", "Red card", "Free kick"; a retraction whose event has not arrived names no type: "Event". */
export function eventTypeLabel(type: string | null): string {
  if (!type) return 'Event';
  const words = type.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** What a retracted event is called: a goal is disallowed, a card rescinded, anything else retracted. */
export function retractedLabel(type: string | null): string {
  if (type === 'goal') return 'Disallowed';
  if (type === 'red_card' || type === 'yellow_card') return 'Rescinded';
  return 'Retracted';
}

/** One entry of the highlights feed (`isNew`: arrived since the last render, briefly marked). */
export function renderHighlight(
  h: Highlight,
  retraction: MatchRetraction | undefined,
  isNew: boolean,
): string {
  const id = escapeHtml(h.eventId);
  const fresh = isNew ? ' new' : '';
  if (h.status === 'RETRACTED' || retraction) {
    const label = retractedLabel(h.eventType);
    const reason = retraction?.reason
      ? ` <span class="hl-reason">${escapeHtml(retraction.reason)}</span>`
      : '';
    // The struck title is not announced as struck by screen readers: the badge says it in words.
    return (
      `<li class="hl retracted${fresh}" data-event-id="${id}" data-status="RETRACTED">` +
      `<span class="hl-title"><s>${escapeHtml(h.title)}</s></span>` +
      `<span class="hl-retraction"><span class="badge small retracted-badge">${label}</span>${reason}</span></li>`
    );
  }
  const kind = h.eventType === 'goal' ? 'goal' : h.eventType === 'red_card' ? 'red' : 'other';
  const detail =
    h.status === 'READY' && h.summary
      ? `<span class="hl-summary">${escapeHtml(h.summary)}</span>`
      : h.status === 'PENDING'
        ? '<span class="hl-status">Writing the summary…</span>'
        : h.status === 'FAILED'
          ? '<span class="hl-status">No summary: the enricher failed</span>'
          : '';
  return (
    `<li class="hl ${kind}${fresh}" data-event-id="${id}" data-status="${escapeHtml(h.status)}">` +
    `<span class="hl-title">${escapeHtml(h.title)}</span>${detail}</li>`
  );
}

/**
 * The corrections list: one entry per retracted event, oldest first (as the API lists them), with the minute of
 * play when the event is among the highlights on the page.
 */
export function renderCorrections(
  items: readonly MatchRetraction[],
  highlights: readonly Highlight[],
): string {
  const minutes = new Map(highlights.map((h) => [h.eventId, h.minute]));
  return items
    .map((r) => {
      const minute = minutes.get(r.eventId);
      const what = `${eventTypeLabel(r.eventType)}${minute === undefined ? '' : ` (${minuteLabel(minute)})`}`;
      const status = r.found
        ? retractedLabel(r.eventType).toLowerCase()
        : '<span class="corr-pending">event not received yet</span>';
      return (
        `<li class="corr" data-event-id="${escapeHtml(r.eventId)}" data-found="${r.found}">` +
        `<span class="corr-what">${escapeHtml(what)}</span>` +
        (r.reason ? `<span class="corr-reason">${escapeHtml(r.reason)}</span>` : '') +
        `<span class="corr-meta">${status} · taken back at ` +
        `<time datetime="${escapeHtml(r.retractedAt)}">${escapeHtml(utcTimeLabel(r.retractedAt))}</time></span></li>`
      );
    })
    .join('');
}

/** The line under the corrections' heading. */
export function correctionsNote(r: Pick<MatchRetractions, 'total' | 'notFound'>): string {
  const events = r.total === 1 ? '1 event' : `${r.total} events`;
  const pending =
    r.notFound === 0
      ? ''
      : ` ${r.notFound === 1 ? '1 of them has' : `${r.notFound} of them have`} not been received yet and will not count when ${r.notFound === 1 ? 'it arrives' : 'they arrive'}.`;
  return `The feed took back ${events}: no figure on this page counts ${r.total === 1 ? 'it' : 'them'}.${pending}`;
}
