export type { Enrichment, EnrichmentInput, HighlightEnricher } from './enricher';
export { defaultEnricher, describe, plainTitle } from './titles';
export {
  enrichDue,
  enrichmentInput,
  retryDelay,
  type EnrichDeps,
  type EnrichPolicy,
  type PassResult,
} from './enrich';
