/**
 * `@pitchpulse/clickhouse/testing`: what tests of the schema and its queries share — both engines with a fresh
 * database, a seeded fixture of matches with redeliveries, and reference answers computed from the events alone.
 */
export {
  chdbPath,
  clickhouseCluster,
  clickhouseUrl,
  closeEngines,
  clusterNodes,
  openEngines,
  optimizeFinal,
  testClickHouseClient,
  uniqueDatabase,
  type Engine,
} from './engines';
export { expectReadsMatch } from './reads';
export { matchOnFirstShard, withLaggingFirstReplica } from './lagging-replica';
export { MATCHES, buildDeliveries, buildEvents, prng, type Delivery, type MatchSpec } from './fixture';
export {
  countBy,
  distinctEvents,
  firstEventMs,
  latencies,
  minuteOf,
  quantileExact,
  refHighlights,
  refListMatches,
  refMetrics,
  refTimeline,
  refTopPlayers,
  type RefEvent,
} from './reference';
