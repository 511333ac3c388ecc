export { parseConfig, type EnricherConfig } from './config';
export { loadEnricher, startEnricher, type RunningEnricher } from './start';
