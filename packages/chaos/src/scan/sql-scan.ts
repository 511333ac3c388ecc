import path from 'node:path';
import ts from 'typescript';
import { lineOf, resolvedSymbol } from './source-files';

/**
 * Finds SQL sent to ClickHouse that the query helper did not build. Every call of `query`, `command`, `exec` or
 * `insert` on a `@clickhouse/client` client (by its type, so a RegExp's `exec` or commander's `command` never
 * counts) must pass SQL (`query`, or `table` for inserts) that is either a constant (a string literal, or a
 * template/concatenation of constants) or the output of the helper's `render` (`render(…).query`, or a
 * `query` destructured from `render(…)`). Anything else — a template literal with a value in it, a `+`
 * concatenation, a parameter, a mutable variable — is reported.
 */
export interface SqlFinding {
  file: string;
  line: number;
  call: string;
  reason: string;
}

export interface SqlScanResult {
  /** ClickHouse client calls inspected. */
  calls: number;
  /** Of those, how many pass SQL built by the helper, and how many a constant. */
  viaHelper: number;
  constant: number;
  findings: SqlFinding[];
  /** Files excused (the helper itself) and how many calls they hold. */
  allowlisted: Array<{ file: string; calls: number }>;
}

export interface SqlScanOptions {
  /** Is this declaration file the query helper's module (`render` lives there)? */
  isHelperModule(fileName: string): boolean;
  /** Files excused from the rule (only the helper itself). */
  allowlist: readonly string[];
  /** Paths in findings are relative to this folder. */
  root: string;
}

const METHODS = new Set(['query', 'command', 'exec', 'insert']);
const CLIENT_DECLARATION = /[\\/]@clickhouse[\\/]/;

type Verdict = { ok: true; how: 'helper' | 'constant' } | { ok: false; reason: string };

export function scanSql(
  program: ts.Program,
  files: readonly string[],
  options: SqlScanOptions,
): SqlScanResult {
  const checker = program.getTypeChecker();
  const result: SqlScanResult = { calls: 0, viaHelper: 0, constant: 0, findings: [], allowlisted: [] };
  const allow = new Set(options.allowlist.map((f) => path.resolve(options.root, f)));

  const isClickHouseClient = (receiver: ts.Expression): boolean => {
    const type = checker.getTypeAtLocation(receiver);
    const candidates = type.isUnion() ? type.types : [type];
    return candidates.some((t) => {
      const symbol = t.getSymbol() ?? t.aliasSymbol;
      return (symbol?.declarations ?? []).some((d) => CLIENT_DECLARATION.test(d.getSourceFile().fileName));
    });
  };

  const isRenderCall = (node: ts.Expression): boolean => {
    const call = skipParens(node);
    if (!ts.isCallExpression(call)) return false;
    const symbol = resolvedSymbol(checker, call.expression);
    return (
      symbol?.getName() === 'render' &&
      (symbol.declarations ?? []).some((d) => options.isHelperModule(d.getSourceFile().fileName))
    );
  };

  const judge = (expression: ts.Expression, seen: Set<ts.Node>): Verdict => {
    const node = skipParens(expression);
    if (seen.has(node)) return { ok: false, reason: 'circular definition' };
    seen.add(node);
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      return { ok: true, how: 'constant' };
    if (ts.isTemplateExpression(node)) {
      for (const span of node.templateSpans) {
        const inner = judge(span.expression, seen);
        if (!inner.ok || inner.how !== 'constant') {
          return {
            ok: false,
            reason: `template literal with a value in it: \${${span.expression.getText()}}`,
          };
        }
      }
      return { ok: true, how: 'constant' };
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = judge(node.left, seen);
      const right = judge(node.right, seen);
      if (left.ok && right.ok && left.how === 'constant' && right.how === 'constant') return left;
      return { ok: false, reason: `string concatenation: ${truncate(node.getText())}` };
    }
    if (isRenderCall(node)) return { ok: true, how: 'helper' };
    // render(…).query, or x.query where x = render(…)
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'query') {
      if (isRenderCall(node.expression)) return { ok: true, how: 'helper' };
      if (ts.isIdentifier(node.expression)) {
        const init = constInitializer(node.expression);
        if (init && isRenderCall(init)) return { ok: true, how: 'helper' };
      }
    }
    if (ts.isIdentifier(node)) {
      // `{ query }`: the name stands for the variable, not for the property
      const symbol = ts.isShorthandPropertyAssignment(node.parent)
        ? checker.getShorthandAssignmentValueSymbol(node.parent)
        : resolvedSymbol(checker, node);
      const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
      if (!declaration) return { ok: false, reason: `${node.text}: cannot tell where it comes from` };
      if (ts.isParameter(declaration)) {
        return { ok: false, reason: `${node.text} is a parameter: not provably built by the sql helper` };
      }
      // const { query } = render(…)
      if (ts.isBindingElement(declaration)) {
        const pattern = declaration.parent;
        const holder = pattern.parent;
        if (
          ts.isVariableDeclaration(holder) &&
          holder.initializer &&
          isConst(holder) &&
          isRenderCall(holder.initializer)
        ) {
          return { ok: true, how: 'helper' };
        }
        return { ok: false, reason: `${node.text} is destructured from something other than render(…)` };
      }
      if (ts.isVariableDeclaration(declaration)) {
        if (!isConst(declaration)) return { ok: false, reason: `${node.text} is a mutable variable` };
        if (!declaration.initializer) return { ok: false, reason: `${node.text} has no initializer` };
        return judge(declaration.initializer, seen);
      }
      return { ok: false, reason: `${node.text}: not a constant or a render(…) result` };
    }
    return { ok: false, reason: `not a constant or the sql helper's output: ${truncate(node.getText())}` };
  };

  const constInitializer = (id: ts.Identifier): ts.Expression | undefined => {
    const declaration = resolvedSymbol(checker, id)?.valueDeclaration;
    return declaration && ts.isVariableDeclaration(declaration) && isConst(declaration)
      ? declaration.initializer
      : undefined;
  };

  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const allowlisted = allow.has(path.resolve(file));
    let callsHere = 0;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        METHODS.has(node.expression.name.text) &&
        isClickHouseClient(node.expression.expression)
      ) {
        callsHere++;
        const method = node.expression.name.text;
        const call = `${truncate(node.expression.getText(), 40)}(…)`;
        const finding = (reason: string) =>
          result.findings.push({ file: path.relative(options.root, file), line: lineOf(node), call, reason });
        if (allowlisted) {
          // excused: counted only
        } else {
          const sqlArgument = sqlOf(node, method);
          if (!sqlArgument)
            finding(`no ${method === 'insert' ? 'table' : 'query'} given as a literal property`);
          else {
            const verdict = judge(sqlArgument, new Set());
            if (!verdict.ok) finding(verdict.reason);
            else if (verdict.how === 'helper') result.viaHelper++;
            else result.constant++;
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    result.calls += callsHere;
    if (allowlisted) result.allowlisted.push({ file: path.relative(options.root, file), calls: callsHere });
  }
  return result;
}

/** The SQL-carrying argument: `{ query }` (or `{ table }` for insert), or a bare first argument. */
function sqlOf(call: ts.CallExpression, method: string): ts.Expression | undefined {
  const [first] = call.arguments;
  if (!first) return undefined;
  const arg = skipParens(first);
  if (!ts.isObjectLiteralExpression(arg)) return arg;
  const key = method === 'insert' ? 'table' : 'query';
  for (const property of arg.properties) {
    if (ts.isSpreadAssignment(property)) return undefined;
    const name =
      property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
        ? property.name.text
        : undefined;
    if (name !== key) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
  }
  return undefined;
}

function isConst(declaration: ts.VariableDeclaration): boolean {
  return (ts.getCombinedNodeFlags(declaration) & ts.NodeFlags.Const) !== 0;
}

function skipParens(node: ts.Expression): ts.Expression {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isNonNullExpression(current) ||
    ts.isSatisfiesExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

const truncate = (text: string, max = 80): string => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};
