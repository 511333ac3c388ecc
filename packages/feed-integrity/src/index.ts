export { SourceMonitor, type SourceRuleOptions } from './source-rules';
export { MatchMonitor, type MatchRuleOptions } from './match-rules';
export { AnomalyReporter, createAnomalyReporter } from './reporter';
export { sourceRulesFromEnv, matchRulesFromEnv } from './config';
