#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { renderContractDoc } from './docs';
import { buildOpenApi } from './openapi';

/** The generated files under docs/, by path relative to the repository root. */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/contract.md': renderContractDoc(),
    'docs/openapi.json': `${JSON.stringify(buildOpenApi({ apiKeys: true }), null, 2)}\n`,
  };
}

if (require.main === module) {
  const arg = process.argv[2];
  if (arg === '--help' || arg === '-h') {
    console.log(
      'Usage: pnpm contract:docs   writes docs/contract.md and docs/openapi.json from packages/contract',
    );
    process.exit(0);
  }
  const root = path.resolve(__dirname, '../../..');
  for (const [file, text] of Object.entries(generatedDocs())) {
    fs.writeFileSync(path.join(root, file), text);
    console.log(`wrote ${file}`);
  }
}
