// `pnpm test:scale-out`: the two scale-out cases of `pnpm test:cluster` on their own, for running them again and
// again (apps/runner/src/scale-out-*.cluster.test.ts): three consumers on one group with one killed and another
// started, and the first replica of each shard stopped and started again, each while 50 matches play.
const cluster = require('./cluster.config.js');

module.exports = {
  ...cluster,
  testMatch: [
    '<rootDir>/apps/runner/src/scale-out-consumers.cluster.test.ts',
    '<rootDir>/apps/runner/src/scale-out-replicas.cluster.test.ts',
  ],
};
