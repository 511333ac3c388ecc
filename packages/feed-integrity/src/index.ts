export {
  SourceMonitor,
  DEFAULT_SOURCE_RULES,
  type SourceRuleOptions,
  type SourceVerdict,
} from './source-rules';
export { MatchMonitor, DEFAULT_MATCH_RULES, type MatchRuleOptions, type MatchVerdict } from './match-rules';
export { AnomalyReporter, createAnomalyReporter, type AnomalySink, type AnomalyPlace } from './reporter';
export { sourceRulesFromEnv, matchRulesFromEnv } from './config';
export { flagEvent } from './flag-records';
