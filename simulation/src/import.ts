#!/usr/bin/env node
import { importMain } from './cli/import-command';

importMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`import: ${err.message}`);
    process.exit(1);
  },
);
