/**
 * The match's feed-integrity flags (`GET /api/matches/{matchId}/anomalies`, and the metrics' flaggedEvents) as
 * markup: pure functions of what the API answered, so they are tested without a browser. A flagged event is
 * stored and counted as usual: the page says so, it does not take it out of any figure.
 */
import type { FeedRule, MatchAnomalies, MatchAnomaly } from '@pitchpulse/contract';
import { escapeHtml, formatInt, utcTimeLabel } from './format';

/** Each rule in plain words: what it is called, and what it saw. */
const RULES: Record<FeedRule, { label: string; explanation: string }> = {
  'source-velocity': {
    label: 'Source sending too fast',
    explanation: 'one feed sent far more events than its usual rate',
  },
  'duplicate-storm': {
    label: 'Storm of re-sent events',
    explanation: 'one feed kept sending events it had already delivered',
  },
  'match-velocity': {
    label: 'Too many events in a minute',
    explanation: 'more events in one minute of the match than real play produces',
  },
  'goal-burst': {
    label: 'Burst of goals',
    explanation: 'more goals within a short stretch of play than a real match has',
  },
  'clock-skew': {
    label: 'Clock out of step',
    explanation: 'the event’s time was far from when the API received it',
  },
  'player-both-teams': {
    label: 'Player on both teams',
    explanation: 'the same player was reported for both teams',
  },
};

/** "Burst of goals"; a rule this page does not know yet is shown by its name. */
export function ruleLabel(rule: string): string {
  return RULES[rule as FeedRule]?.label ?? rule;
}

/** What the rule saw, in a few words ("" for a rule this page does not know yet). */
export function ruleExplanation(rule: string): string {
  return RULES[rule as FeedRule]?.explanation ?? '';
}

const events = (n: number) => `${formatInt(n)} ${n === 1 ? 'event' : 'events'}`;

/** The badge's words: "12 flagged events" (the ⚑ beside it is decoration). */
export function flaggedBadgeText(flaggedEvents: number): string {
  return `${formatInt(flaggedEvents)} flagged ${flaggedEvents === 1 ? 'event' : 'events'}`;
}

/**
 * The feed-integrity list: one entry per rule that fired (in the API's order), with its events, when it was
 * first and last seen and a few of the eventIds it flagged.
 */
export function renderAnomalies(rules: readonly MatchAnomaly[]): string {
  return rules
    .map((r) => {
      const explanation = ruleExplanation(r.rule);
      const examples =
        r.exampleEventIds.length === 0
          ? ''
          : `<span class="anom-examples">e.g. ${r.exampleEventIds
              .map((id) => `<code>${escapeHtml(id)}</code>`)
              .join(', ')}</span>`;
      return (
        `<li class="anom" data-rule="${escapeHtml(r.rule)}" data-events="${r.events}">` +
        `<span class="anom-what">${escapeHtml(ruleLabel(r.rule))}</span>` +
        `<span class="anom-count">${events(r.events)}</span>` +
        (explanation ? `<span class="anom-why">${escapeHtml(explanation)}</span>` : '') +
        `<span class="anom-meta">first seen ` +
        `<time datetime="${escapeHtml(r.firstSeenAt)}">${escapeHtml(utcTimeLabel(r.firstSeenAt))}</time>` +
        ` · last seen ` +
        `<time datetime="${escapeHtml(r.lastSeenAt)}">${escapeHtml(utcTimeLabel(r.lastSeenAt))}</time></span>` +
        examples +
        `</li>`
      );
    })
    .join('');
}

/** The line under the feed-integrity heading. */
export function anomaliesNote(a: Pick<MatchAnomalies, 'flaggedEvents' | 'rules'>): string {
  if (a.flaggedEvents === 0 && a.rules.length === 0) return 'No anomalies flagged.';
  const rules = a.rules.length === 1 ? '1 rule' : `${a.rules.length} rules`;
  const them = a.flaggedEvents === 1 ? 'it is' : 'they are';
  return (
    `The feed-integrity rules flagged ${events(a.flaggedEvents)} of this match as unlike real play (${rules}); ` +
    `${them} stored and counted as usual.`
  );
}
