// `pnpm test:scale-out`: three consumers on one group with a rebalance mid-run, and the first replica of each shard
// down mid-run, on the embedded cluster (apps/runner/src/scale-out.cluster.test.ts). Not part of `npm test` yet: on
// CI the librdkafka mock's group coordinator once failed to settle three members within two minutes (it passed in
// the two runs before), so it runs on its own until that is understood.
const cluster = require('./cluster.config.js');

module.exports = {
  ...cluster,
  testMatch: ['<rootDir>/apps/runner/src/scale-out.cluster.test.ts'],
};
