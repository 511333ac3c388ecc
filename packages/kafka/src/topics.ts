import { DEFAULT_TOPICS as CONTRACT_TOPICS } from '@pitchpulse/contract';
/** The pipeline's three topics; names are configurable (tests use unique ones). */
export interface Topics {
  events: string;
  retry: string;
  dlq: string;
}

export const DEFAULT_TOPICS: Readonly<Topics> = CONTRACT_TOPICS;
