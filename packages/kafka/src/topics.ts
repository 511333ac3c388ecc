/** The pipeline's three topics; names are configurable (tests use unique ones). */
export interface Topics {
  events: string;
  retry: string;
  dlq: string;
}
