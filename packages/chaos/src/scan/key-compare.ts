import path from 'node:path';
import ts from 'typescript';
import { lineOf, resolvedSymbol } from './source-files';

/**
 * Checks how code compares the `x-api-key` header with the configured keys. Where the header is read, its value
 * must go straight into a hash (a function calling `createHash(…)…digest()`), be looked at only through `typeof`
 * and `.length`, and keys must be compared with `crypto.timingSafeEqual` on two digests of that same hash (equal
 * length by construction, so the comparison takes the same time whatever the key). `===`, `includes`, `Set.has`,
 * `timingSafeEqual(Buffer.from(a), Buffer.from(b))` (throws on, and so leaks, a length difference) are reported.
 */
export interface KeyCompareReport {
  file: string;
  /** Where the header is read. */
  reads: number[];
  timingSafeEqualCalls: number;
  problems: string[];
}

const HEADER = 'x-api-key';

export function checkKeyComparison(
  program: ts.Program,
  files: readonly string[],
  root: string,
): KeyCompareReport[] {
  const checker = program.getTypeChecker();
  const reports: KeyCompareReport[] = [];

  const isHashFunction = (callee: ts.Expression): boolean => {
    const symbol = resolvedSymbol(checker, callee);
    for (const declaration of symbol?.declarations ?? []) {
      const body = ts.isFunctionDeclaration(declaration)
        ? declaration.body
        : ts.isVariableDeclaration(declaration) && declaration.initializer
          ? declaration.initializer
          : undefined;
      if (body && /\bcreateHash\(/.test(body.getText()) && /\.digest\(\)/.test(body.getText())) return true;
    }
    return false;
  };

  /** A Buffer that is a digest: hash(x), a const holding hash(x), or an element of a const `xs.map(hash)`. */
  const isDigest = (expression: ts.Expression): boolean => {
    let node = expression;
    while (ts.isNonNullExpression(node) || ts.isParenthesizedExpression(node)) node = node.expression;
    if (ts.isCallExpression(node)) return isHashFunction(node.expression);
    const fromInitializer = (id: ts.Expression, test: (init: ts.Expression) => boolean): boolean => {
      const declaration = resolvedSymbol(checker, id)?.valueDeclaration;
      return (
        !!declaration &&
        ts.isVariableDeclaration(declaration) &&
        !!declaration.initializer &&
        (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0 &&
        test(declaration.initializer)
      );
    };
    if (ts.isIdentifier(node)) {
      return fromInitializer(node, (init) => ts.isCallExpression(init) && isHashFunction(init.expression));
    }
    if (ts.isElementAccessExpression(node)) {
      return fromInitializer(
        node.expression,
        (init) =>
          ts.isCallExpression(init) &&
          ts.isPropertyAccessExpression(init.expression) &&
          init.expression.name.text === 'map' &&
          init.arguments.length === 1 &&
          isHashFunction(init.arguments[0]!),
      );
    }
    return false;
  };

  const isHeaderRead = (node: ts.Node): boolean => {
    const assigned =
      node.parent !== undefined &&
      ts.isBinaryExpression(node.parent) &&
      node.parent.left === node &&
      node.parent.operatorToken.kind === ts.SyntaxKind.EqualsToken;
    if (assigned) return false; // a client setting the header, not a server reading it
    if (ts.isElementAccessExpression(node)) {
      const arg = node.argumentExpression;
      return ts.isStringLiteralLike(arg) && arg.text.toLowerCase() === HEADER;
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const [arg] = node.arguments;
      return (
        ['get', 'header'].includes(node.expression.name.text) &&
        !!arg &&
        ts.isStringLiteralLike(arg) &&
        arg.text.toLowerCase() === HEADER
      );
    }
    return false;
  };

  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const report: KeyCompareReport = {
      file: path.relative(root, file),
      reads: [],
      timingSafeEqualCalls: 0,
      problems: [],
    };
    const keySymbols = new Set<ts.Symbol>();
    const problem = (node: ts.Node, text: string) => report.problems.push(`line ${lineOf(node)}: ${text}`);

    const findReads = (node: ts.Node): void => {
      if (isHeaderRead(node)) {
        report.reads.push(lineOf(node));
        const holder = node.parent;
        if (ts.isVariableDeclaration(holder) && ts.isIdentifier(holder.name)) {
          const symbol = checker.getSymbolAtLocation(holder.name);
          if (symbol) keySymbols.add(symbol);
        } else {
          problem(node, `the key is used where it is read (${holder.getText().slice(0, 60)}); hash it first`);
        }
      }
      if (
        ts.isCallExpression(node) &&
        resolvedSymbol(checker, node.expression)?.getName() === 'timingSafeEqual'
      ) {
        report.timingSafeEqualCalls++;
        for (const arg of node.arguments) {
          if (!isDigest(arg)) {
            problem(arg, `timingSafeEqual on ${arg.getText()}, which is not a digest (lengths may differ)`);
          }
        }
      }
      ts.forEachChild(node, findReads);
    };
    findReads(source);
    if (report.reads.length === 0) continue;

    const findUses = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && !ts.isVariableDeclaration(node.parent)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol && keySymbols.has(symbol)) {
          const parent = node.parent;
          const allowed =
            ts.isTypeOfExpression(parent) ||
            (ts.isPropertyAccessExpression(parent) &&
              parent.expression === node &&
              parent.name.text === 'length') ||
            (ts.isCallExpression(parent) &&
              parent.arguments.includes(node) &&
              isHashFunction(parent.expression));
          if (!allowed) problem(node, `the key is used outside a hash: ${parent.getText().slice(0, 80)}`);
        }
      }
      ts.forEachChild(node, findUses);
    };
    findUses(source);
    if (report.timingSafeEqualCalls === 0) {
      problem(source, 'the key is read but never compared with timingSafeEqual');
    }
    reports.push(report);
  }
  return reports;
}
