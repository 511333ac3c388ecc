import fs from 'node:fs';
import { stopStack } from '../src/stack';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.PITCHPULSE_TEST_STACK_DIR;
  if (!dir || !process.env.PITCHPULSE_STACK_FILE) return;
  await stopStack(process.env.PITCHPULSE_STACK_FILE);
  fs.rmSync(dir, { recursive: true, force: true });
}
