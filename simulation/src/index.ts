export {
  simulateMatch,
  withKickoff,
  type MatchOptions,
  type SimEvent,
  type SimulatedMatch,
} from './model/match';
export { buildSquad, type Player, type Position, type Squad, type TeamId } from './model/squad';
export { deriveEventId, simulatedMatchId } from './model/ids';
export { Rng } from './model/rng';
export { BREAKAGES, breakEvent, type Breakage } from './model/invalid';
export { planRun, RETRACTION_REASON, type Outgoing, type PlanOptions, type RunPlan } from './run/plan';
export { planInjections, type AnomalyOptions, type Injection } from './run/anomalies';
export { runSimulation, type Progress, type SimulationOptions, type SimulationResult } from './run/simulator';
export { GroundTruth, type ExpectedRetraction, type MatchExpectation } from './truth/ground-truth';
export { computeMetrics, minuteOf, type ExpectedMetrics } from './truth/metrics';
export { compareMetrics, type Comparison, type MetricsFigures } from './verify/compare';
export {
  verifyAgainstApi,
  formatVerifyTable,
  checkAnomalies,
  type VerifyOptions,
  type VerifyResult,
} from './verify/verify';
export {
  IngestClient,
  interpretBatchAnswer,
  type ClientOptions,
  type EventOutcome,
} from './http/ingest-client';
export { parseRetryAfter, retryDelay, type RetryPolicy } from './http/retry';
export { LatencyRecorder, type LatencySummary } from './stats/latency';
export {
  formatSimulationReport,
  percent,
  perSecond,
  statusTable,
  type SimulationReport,
  type StatusRow,
} from './stats/report';
export {
  importFile,
  type ImportTarget,
  type ImportOptions,
  type ImportResult,
  type RejectedRow,
} from './importer/importer';
export { readRows, formatOf, type ImportFormat } from './importer/read';
export { ImportFileError, type Row } from './importer/rows';
