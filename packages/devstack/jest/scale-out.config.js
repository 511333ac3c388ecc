// `pnpm test:scale-out`: the first replica of each shard stopped and started again while 50 matches play, on the
// embedded cluster (apps/runner/src/scale-out-replicas.cluster.test.ts). Not part of `npm test` yet: it failed 2 of 9
// runs here (some matches short of events when verified; the failure prints each node's replication state and each
// consumer's lag), so it runs on its own until that is understood. The three-consumer case is in test:cluster.
const cluster = require('./cluster.config.js');

module.exports = {
  ...cluster,
  testMatch: ['<rootDir>/apps/runner/src/scale-out-replicas.cluster.test.ts'],
};
