import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Folders whose TypeScript is the product (tests, fixtures and build output are not). */
export const SOURCE_ROOTS = ['apps', 'packages', 'simulation', 'infra'];

const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', '.local', 'test-support', 'fixtures']);
const TEST_FILE = /\.test\.ts$|(^|\/)testing\.ts$/;

/** Production TypeScript files under `roots` (absolute paths): no tests, test helpers or declarations. */
export function productionSources(repo: string, roots: readonly string[] = SOURCE_ROOTS): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) walk(path.join(dir, entry.name));
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !TEST_FILE.test(entry.name)) {
        out.push(path.join(dir, entry.name));
      }
    }
  };
  for (const root of roots) if (fs.existsSync(path.join(repo, root))) walk(path.join(repo, root));
  return out.sort();
}

/** A program over `files` with the repo's compiler settings (no emit; types resolved lazily when asked). */
export function createProgram(files: readonly string[], options: ts.CompilerOptions = {}): ts.Program {
  return ts.createProgram({
    rootNames: [...files],
    options: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      ...options,
    },
  });
}

/** 1-based line of a node. */
export function lineOf(node: ts.Node): number {
  const file = node.getSourceFile();
  return file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
}

/** The symbol a name refers to, through import aliases. */
export function resolvedSymbol(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  const symbol = checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(symbol);
  return symbol;
}
