// `pnpm test:cluster`: the pipeline's integration tests against ClickHouse as a cluster (2 shards × 2 replicas on
// ZooKeeper, the embedded stack's `--cluster` mode) instead of one server. The root jest settings, the same global
// setup (which starts the cluster when PITCHPULSE_TEST_CLUSTER is set and exports CLICKHOUSE_CLUSTER, so every test
// below builds the cluster schema and reads and writes through it), and this list of suites.
const path = require('node:path');
const root = require('../../../package.json').jest;

process.env.PITCHPULSE_TEST_CLUSTER = '1';

module.exports = {
  ...root,
  rootDir: path.join(__dirname, '..', '..', '..'),
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@pitchpulse/simulation$': '<rootDir>/simulation/src/index.ts',
    ...root.moduleNameMapper,
  },
  testMatch: [
    // what the migrations build on every node, recorded once; where each match's rows go
    '<rootDir>/packages/clickhouse/src/cluster.cluster.test.ts',
    // every query of the schema and the seals, against reference answers
    '<rootDir>/packages/clickhouse/src/compat.int.test.ts',
    // a highlight's title written from no lagging replica
    '<rootDir>/packages/highlights/src/enrich.cluster.test.ts',
    // retention: expired months sealed, retired and dropped on every shard
    '<rootDir>/packages/clickhouse/src/retention.int.test.ts',
    // Kafka → consumer → ClickHouse: batching, redeliveries counted once, restarts
    '<rootDir>/apps/consumer/src/consumer.int.test.ts',
    // the retry topic and the DLQ (the Kafka side of failed inserts)
    '<rootDir>/apps/consumer/src/retry-flow.int.test.ts',
    // the read API over HTTP
    '<rootDir>/apps/api/src/read/matches.int.test.ts',
    // api → Kafka → consumer → ClickHouse → api, as processes; and one POST's trace through all of it
    '<rootDir>/apps/runner/src/feed-integrity.int.test.ts',
    '<rootDir>/apps/runner/src/tracing.int.test.ts',
    // three consumer processes on one group, one killed and another started while 50 matches play
    '<rootDir>/apps/runner/src/scale-out-consumers.cluster.test.ts',
    // the first replica of each shard stopped and started again while 50 matches play
    '<rootDir>/apps/runner/src/scale-out-replicas.cluster.test.ts',
  ],
};
