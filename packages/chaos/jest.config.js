// The chaos suite (`pnpm test:chaos`): the root jest settings, but only `*.chaos.test.ts`, one file at a time
// (run with --runInBand: the scenarios measure latency and throughput, so they must not share the CPU), no shared
// stack (each file starts its own) and long timeouts.
const path = require('node:path');
const root = require('../../package.json').jest;

module.exports = {
  ...root,
  rootDir: path.join(__dirname, '..', '..'),
  globalSetup: undefined,
  globalTeardown: undefined,
  testMatch: ['<rootDir>/packages/chaos/src/**/*.chaos.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@pitchpulse/simulation$': '<rootDir>/simulation/src/index.ts',
    ...root.moduleNameMapper,
  },
  testTimeout: 600000,
};
