import type { Highlight, MatchRetraction, MatchRetractions } from '@pitchpulse/contract';
import {
  correctionsNote,
  eventTypeLabel,
  indexRetractions,
  isRetracted,
  renderCorrections,
  renderHighlight,
  retractedHighlights,
} from './highlights';

const GOAL = '11111111-1111-4111-8111-111111111111';
const DISALLOWED = '22222222-2222-4222-8222-222222222222';
const RED = '33333333-3333-4333-8333-333333333333';
const NOT_YET = '44444444-4444-4444-8444-444444444444';
const PASS = '55555555-5555-4555-8555-555555555555';

function highlight(eventId: string, over: Partial<Highlight> = {}): Highlight {
  return {
    highlightId: eventId,
    matchId: 'm-1',
    eventId,
    eventType: 'goal',
    teamId: 1,
    playerId: 'smith',
    minute: 45,
    timestamp: '2024-01-15T14:45:00.000Z',
    metadata: {},
    status: 'READY',
    title: "GOAL — Team 1 1–0, smith (45')",
    summary: 'Smith curls it in.',
    error: null,
    attempts: 0,
    createdAt: '2024-01-15T14:45:01.000Z',
    updatedAt: '2024-01-15T14:45:02.000Z',
    ...over,
  };
}

const retraction = (eventId: string, over: Partial<MatchRetraction> = {}): MatchRetraction => ({
  eventId,
  reason: 'VAR: offside in the build-up',
  retractedAt: '2024-01-15T14:47:09.250Z',
  found: true,
  eventType: 'goal',
  ...over,
});

const retractions: MatchRetractions = {
  matchId: 'm-1',
  total: 3,
  notFound: 1,
  items: [
    retraction(DISALLOWED, { reason: 'VAR: offside <in> the "build-up"' }),
    retraction(PASS, { eventType: 'pass', reason: 'wrong match', retractedAt: '2024-01-15T14:50:00.000Z' }),
    retraction(NOT_YET, { found: false, eventType: null, reason: 'VAR: handball' }),
  ],
};

/** The markup as a document would hold it: tags gone, entities decoded, spaces collapsed. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

describe('renderHighlight', () => {
  it('shows a READY goal with its summary', () => {
    const html = renderHighlight(highlight(GOAL), undefined, false);
    expect(html).toMatch(/^<li class="hl goal" data-event-id="1{8}-[^"]+" data-status="READY">/);
    expect(html).toContain('<span class="hl-summary">Smith curls it in.</span>');
    expect(html).not.toContain('<s>');
    expect(html).not.toContain('Disallowed');
    expect(renderHighlight(highlight(GOAL), undefined, true)).toContain('class="hl goal new"');
    expect(
      renderHighlight(highlight(RED, { eventType: 'red_card', status: 'PENDING' }), undefined, false),
    ).toContain('class="hl red"');
  });

  it('shows a RETRACTED goal as disallowed, struck through, with the reason; never as a goal', () => {
    const h = highlight(DISALLOWED, { status: 'RETRACTED', title: "GOAL — Team 2 1–1, o'neil (52')" });
    const html = renderHighlight(
      h,
      retraction(DISALLOWED, { reason: 'VAR: offside <in> the "build-up"' }),
      false,
    );
    expect(html).toMatch(/^<li class="hl retracted" data-event-id="2{8}-[^"]+" data-status="RETRACTED">/);
    expect(html).not.toMatch(/class="hl goal/); // not styled (nor counted by a selector) as a goal
    expect(html).toContain('<s>GOAL — Team 2 1–1, o&#39;neil (52&#39;)</s>');
    expect(html).toContain('<span class="badge small retracted-badge">Disallowed</span>');
    expect(html).toContain('VAR: offside &lt;in&gt; the &quot;build-up&quot;'); // escaped
    expect(html).not.toContain('hl-summary'); // the enricher's summary of a goal that did not count
    expect(text(html)).toBe(`GOAL — Team 2 1–1, o'neil (52') Disallowed VAR: offside <in> the "build-up"`);
  });

  it('shows a RETRACTED highlight without its reason until the retractions are read', () => {
    const html = renderHighlight(highlight(DISALLOWED, { status: 'RETRACTED' }), undefined, false);
    expect(html).toContain('data-status="RETRACTED"');
    expect(html).toContain('>Disallowed</span></span></li>');
    expect(html).not.toContain('hl-reason');
  });

  it('shows a highlight as disallowed once a retraction names it, whatever status its read said', () => {
    const h = highlight(DISALLOWED, { status: 'READY' });
    expect(isRetracted(h, indexRetractions(retractions))).toBe(true);
    expect(isRetracted(highlight(GOAL), indexRetractions(retractions))).toBe(false);
    expect(isRetracted(highlight(GOAL, { status: 'RETRACTED' }), new Map())).toBe(true);
    const html = renderHighlight(h, indexRetractions(retractions).get(DISALLOWED), false);
    expect(html).toContain('data-status="RETRACTED"');
    expect(html).toContain('Disallowed');
  });

  it('calls a retracted red card rescinded', () => {
    const html = renderHighlight(
      highlight(RED, { eventType: 'red_card', status: 'RETRACTED' }),
      undefined,
      false,
    );
    expect(html).toContain('>Rescinded</span>');
    expect(html).not.toContain('class="hl red');
  });
});

describe('retractedHighlights', () => {
  it('counts the retracted goals and red cards whose event is stored, not other types nor events not received', () => {
    const page = { items: [highlight(GOAL), highlight(DISALLOWED)] };
    expect(retractedHighlights(page, indexRetractions(retractions))).toBe(1);
    expect(retractedHighlights(page, new Map())).toBe(0);
  });

  it('counts a RETRACTED highlight the retractions read did not have yet, once', () => {
    const page = {
      items: [highlight(GOAL, { status: 'RETRACTED' }), highlight(DISALLOWED, { status: 'RETRACTED' })],
    };
    expect(retractedHighlights(page, indexRetractions(retractions))).toBe(2);
    expect(retractedHighlights(page, new Map())).toBe(2);
    expect(retractedHighlights({ items: [] }, indexRetractions(null))).toBe(0);
  });
});

describe('renderCorrections', () => {
  const html = renderCorrections(retractions.items, [highlight(DISALLOWED, { minute: 52 }), highlight(GOAL)]);
  const entries = html.split('</li>').filter(Boolean);

  it('lists every retraction, oldest first, with its type, reason and time', () => {
    expect(entries).toHaveLength(3);
    expect(entries.map((e) => /data-event-id="([^"]+)"/.exec(e)![1])).toEqual([DISALLOWED, PASS, NOT_YET]);
    expect(text(entries[0]!)).toBe(
      `Goal (52') VAR: offside <in> the "build-up" disallowed · taken back at 14:47:09 UTC`,
    );
    expect(entries[0]).toContain('<time datetime="2024-01-15T14:47:09.250Z">14:47:09 UTC</time>');
    expect(entries[0]).toContain('data-found="true"');
    expect(text(entries[1]!)).toBe('Pass wrong match retracted · taken back at 14:50:00 UTC');
  });

  it('says when the retracted event has not been received yet', () => {
    expect(entries[2]).toContain('data-found="false"');
    expect(text(entries[2]!)).toBe('Event VAR: handball event not received yet · taken back at 14:47:09 UTC');
    expect(entries.filter((e) => e.includes('event not received yet'))).toHaveLength(1);
  });

  it('renders nothing without retractions, and a note that counts them', () => {
    expect(renderCorrections([], [])).toBe('');
    expect(correctionsNote(retractions)).toBe(
      'The feed took back 3 events: no figure on this page counts them. 1 of them has not been received yet and will not count when it arrives.',
    );
    expect(correctionsNote({ total: 1, notFound: 0 })).toBe(
      'The feed took back 1 event: no figure on this page counts it.',
    );
  });

  it('names event types for people', () => {
    expect(eventTypeLabel('red_card')).toBe('Red card');
    expect(eventTypeLabel('free_kick')).toBe('Free kick');
    expect(eventTypeLabel(null)).toBe('Event');
  });
});
