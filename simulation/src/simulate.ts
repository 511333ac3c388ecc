#!/usr/bin/env node
import { simulateMain } from './cli/simulate-command';

simulateMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`simulate: ${err.message}`);
    process.exit(1);
  },
);
