import type { EnrichmentInput, Enrichment, HighlightEnricher } from './enricher';

const LABELS: Record<string, string> = { goal: 'GOAL', red_card: 'RED CARD', yellow_card: 'YELLOW CARD' };

const label = (eventType: string): string => LABELS[eventType] ?? eventType.replace(/_/g, ' ').toUpperCase();

const ordinal = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th');
  return `${n}${suffix}`;
};

/**
 * The title of a highlight not enriched yet, from its event alone: `GOAL — Team 1, player-456 (45')`; without
 * a player: `RED CARD — Team 2 (67')`.
 */
export function plainTitle(h: {
  eventType: string;
  teamId: number;
  playerId: string | null;
  minute: number;
}): string {
  const who = h.playerId ? `Team ${h.teamId}, ${h.playerId}` : `Team ${h.teamId}`;
  return `${label(h.eventType)} — ${who} (${h.minute}')`;
}

/**
 * The default enricher: deterministic, from what the feed sent. A goal: `GOAL — Team 1 2–1, Smith (45')` and
 * "Smith scores for Team 1 in the 45th minute: 2–1."; a red card: `RED CARD — Team 2, Jones (67')` and "Jones of
 * Team 2 is sent off in the 67th minute, with the score at 1–1."; any other type alike ("Yellow card for …").
 */
export function describe(input: EnrichmentInput): Enrichment {
  const score = `${input.score['1']}–${input.score['2']}`;
  const who = input.player ?? 'an unnamed player';
  const minute = `${ordinal(input.minute)} minute`;
  const team = `Team ${input.teamId}`;
  const at = input.player ? `, ${input.player}` : '';
  if (input.eventType === 'goal') {
    return {
      title: `GOAL — ${team} ${score}${at} (${input.minute}')`,
      summary: `${input.player ?? team} scores for ${team} in the ${minute}: ${score}.`,
    };
  }
  const what = label(input.eventType).toLowerCase();
  const summary =
    input.eventType === 'red_card'
      ? `${who} of ${team} is sent off in the ${minute}, with the score at ${score}.`
      : `${what.charAt(0).toUpperCase()}${what.slice(1)} for ${who} of ${team} in the ${minute}, with the score at ${score}.`;
  return { title: `${label(input.eventType)} — ${team}${at} (${input.minute}')`, summary };
}

export const defaultEnricher: HighlightEnricher = {
  name: 'default',
  enrich: (input) => Promise.resolve(describe(input)),
};
