import path from 'node:path';

/** The repository root (this file lives in infra/checks/src or infra/checks/dist). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');

export const repoPath = (...parts: string[]): string => path.join(ROOT, ...parts);
