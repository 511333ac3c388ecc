import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** What `<file>.import-state.json` records: every record up to `lastAckedLine` is done (imported or reported). */
export interface ImportState {
  version: 1;
  file: string;
  /** Size of the file when the checkpoint was written; a shorter file now means it was replaced. */
  size: number;
  lastAckedLine: number;
  imported: number;
  rejected: number;
  updatedAt: string;
}

export const stateFileFor = (file: string): string => `${file}.import-state.json`;

export function readState(path: string): ImportState | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `cannot read the checkpoint ${path}: ${(err as Error).message} (delete it or pass --restart)`,
    );
  }
  const state = parsed as Partial<ImportState>;
  if (state.version !== 1 || typeof state.lastAckedLine !== 'number' || typeof state.size !== 'number') {
    throw new Error(`${path} is not an import checkpoint of this version (delete it or pass --restart)`);
  }
  return state as ImportState;
}

/** Writes the checkpoint atomically (temp file + rename), so a crash never leaves half a file. */
export function writeState(path: string, state: ImportState): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temp, path);
}

export function removeState(path: string): void {
  rmSync(path, { force: true });
}
