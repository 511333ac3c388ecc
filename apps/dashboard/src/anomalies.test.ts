import { FEED_RULES, type FeedRule, type MatchAnomalies, type MatchAnomaly } from '@pitchpulse/contract';
import { anomaliesNote, flaggedBadgeText, renderAnomalies, ruleExplanation, ruleLabel } from './anomalies';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

const anomaly = (rule: FeedRule, over: Partial<MatchAnomaly> = {}): MatchAnomaly => ({
  rule,
  events: 2,
  firstSeenAt: '2024-01-15T14:47:09.250Z',
  lastSeenAt: '2024-01-15T14:50:00.000Z',
  exampleEventIds: [A, B],
  ...over,
});

const anomalies: MatchAnomalies = {
  matchId: 'm-1',
  flaggedEvents: 12,
  rules: [
    anomaly('goal-burst', { events: 3, exampleEventIds: [A, B, C] }),
    anomaly('clock-skew', { events: 10 }),
    anomaly('player-both-teams', { events: 1, exampleEventIds: [C] }),
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

describe('renderAnomalies', () => {
  const html = renderAnomalies(anomalies.rules);
  const entries = html.split('</li>').filter(Boolean);

  it('lists every rule that fired, in the API’s order, in plain words with its events', () => {
    expect(entries).toHaveLength(3);
    expect(entries.map((e) => /data-rule="([^"]+)"/.exec(e)![1])).toEqual([
      'goal-burst',
      'clock-skew',
      'player-both-teams',
    ]);
    expect(entries.map((e) => /data-events="(\d+)"/.exec(e)![1])).toEqual(['3', '10', '1']);
    expect(text(entries[0]!)).toBe(
      'Burst of goals 3 events more goals within a short stretch of play than a real match has ' +
        `first seen 14:47:09 UTC · last seen 14:50:00 UTC e.g. ${A} , ${B} , ${C}`,
    );
    expect(text(entries[2]!)).toMatch(/^Player on both teams 1 event the same player was reported/);
  });

  it('says when each rule was first and last seen, and names example eventIds', () => {
    expect(entries[1]).toContain('<time datetime="2024-01-15T14:47:09.250Z">14:47:09 UTC</time>');
    expect(entries[1]).toContain('<time datetime="2024-01-15T14:50:00.000Z">14:50:00 UTC</time>');
    expect(entries[1]).toContain(`<code>${A}</code>, <code>${B}</code>`);
    expect(renderAnomalies([anomaly('match-velocity', { exampleEventIds: [] })])).not.toContain('e.g.');
  });

  it('escapes what the API sent, and shows a rule this page does not know by its name', () => {
    const odd = renderAnomalies([
      { ...anomaly('goal-burst'), rule: 'new-rule<x>' as FeedRule, exampleEventIds: ['<b>"id"</b>'] },
    ]);
    expect(odd).toContain('data-rule="new-rule&lt;x&gt;"');
    expect(odd).toContain('<span class="anom-what">new-rule&lt;x&gt;</span>');
    expect(odd).not.toContain('anom-why');
    expect(odd).toContain('<code>&lt;b&gt;&quot;id&quot;&lt;/b&gt;</code>');
  });

  it('renders nothing without anomalies', () => {
    expect(renderAnomalies([])).toBe('');
  });
});

describe('rule names, badge and note', () => {
  it('names every rule in plain words', () => {
    expect(FEED_RULES.map(ruleLabel)).toEqual([
      'Source sending too fast',
      'Storm of re-sent events',
      'Too many events in a minute',
      'Burst of goals',
      'Clock out of step',
      'Player on both teams',
    ]);
    for (const rule of FEED_RULES) expect(ruleExplanation(rule)).not.toBe('');
    expect(ruleLabel('some-new-rule')).toBe('some-new-rule');
  });

  it('counts flagged events on the badge', () => {
    expect(flaggedBadgeText(12)).toBe('12 flagged events');
    expect(flaggedBadgeText(1)).toBe('1 flagged event');
    expect(flaggedBadgeText(12345)).toBe('12,345 flagged events');
  });

  it('says how many events and rules, that they still count, or that nothing is flagged', () => {
    expect(anomaliesNote(anomalies)).toBe(
      'The feed-integrity rules flagged 12 events of this match as unlike real play (3 rules); they are stored and counted as usual.',
    );
    expect(anomaliesNote({ flaggedEvents: 1, rules: [anomaly('goal-burst', { events: 1 })] })).toBe(
      'The feed-integrity rules flagged 1 event of this match as unlike real play (1 rule); it is stored and counted as usual.',
    );
    expect(anomaliesNote({ flaggedEvents: 0, rules: [] })).toBe('No anomalies flagged.');
  });
});
