/** The pipeline's three topics; names are configurable (tests use unique ones). */
export interface Topics {
  events: string;
  retry: string;
  dlq: string;
}

export const DEFAULT_TOPICS: Readonly<Topics> = Object.freeze({
  events: 'match-events',
  retry: 'match-events.retry',
  dlq: 'match-events.dlq',
});
