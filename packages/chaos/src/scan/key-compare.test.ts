import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkKeyComparison } from './key-compare';
import { createProgram } from './source-files';

const PRELUDE = `import { createHash, timingSafeEqual } from 'node:crypto';
declare const req: { headers: Record<string, string | undefined> };
declare const keys: string[];
const digest = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest();
`;

const CASES: Record<string, string> = {
  good: `
    const digests = keys.map(digest);
    export function ok(): number {
      const given = req.headers['x-api-key'];
      if (typeof given !== 'string' || given.length === 0) return -1;
      const givenDigest = digest(given);
      let match = -1;
      for (let i = 0; i < digests.length; i++) if (timingSafeEqual(givenDigest, digests[i]!) && match === -1) match = i;
      return match;
    }`,
  '===': `const given = req.headers['x-api-key']; export const ok = keys.some((k) => k === given);`,
  includes: `const given = req.headers['x-api-key']; export const ok = keys.includes(given!);`,
  'inline use': `export const ok = keys.includes(req.headers['x-api-key']!);`,
  'raw buffers': `const given = req.headers['x-api-key']!; export const ok = timingSafeEqual(Buffer.from(given), Buffer.from(keys[0]!));`,
  'no timingSafeEqual': `const given = req.headers['x-api-key']; export const d = digest(given!);`,
  'a client setting it': `export function set(h: Record<string, string>, k: string) { h['x-api-key'] = k; }`,
};

/** One program over every case (one file each): creating programs is the slow part. */
function checkAll() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'key-compare-'));
  const files = Object.keys(CASES).map((name, i) => {
    const file = path.join(dir, `case${i}.ts`);
    fs.writeFileSync(file, PRELUDE + CASES[name]);
    return file;
  });
  const repo = path.join(__dirname, '..', '..', '..', '..');
  // @types/node from the repo, so `timingSafeEqual` resolves to node:crypto
  const program = createProgram(files, { typeRoots: [path.join(repo, 'node_modules', '@types')] });
  const reports = checkKeyComparison(program, files, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return new Map(Object.keys(CASES).map((name, i) => [name, reports.find((r) => r.file === `case${i}.ts`)]));
}

describe('checkKeyComparison', () => {
  const reports = checkAll();

  it('accepts digests compared with timingSafeEqual against every key', () => {
    expect(reports.get('good')).toMatchObject({ reads: [8], timingSafeEqualCalls: 1, problems: [] });
  });

  it('ignores code that sets the header rather than reading it', () => {
    expect(reports.get('a client setting it')).toBeUndefined();
  });

  it.each([
    ['===', 'outside a hash'],
    ['includes', 'outside a hash'],
    ['inline use', 'where it is read'],
    ['raw buffers', 'not a digest'],
    ['no timingSafeEqual', 'never compared'],
  ])('reports %s', (name, problem) => {
    expect(reports.get(name)?.problems.join('\n')).toContain(problem);
  });
});
