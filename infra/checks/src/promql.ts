import { EditorState } from '@codemirror/state';
import { LRLanguage, ensureSyntaxTree, syntaxTree } from '@codemirror/language';
import type { LRParser } from '@lezer/lr';
// The Prometheus UI's own PromQL checker (a port of promql/parser's checkAST: argument types, operand types,
// range vs instant vectors). Not exported from the package root, which pulls in the browser editor.
import { Parser } from '@prometheus-io/codemirror-promql/dist/cjs/parser';

// The package's types are ESM-only (its CommonJS build has none): load the CommonJS build with its type.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql') as { parser: LRParser };
const promql = LRLanguage.define({ parser });

/** One `metric{label="..."}` the expression reads. */
export interface SelectorUse {
  metric: string;
  /** Label names used in matchers, `by`/`without` and `on`/`ignoring` clauses around it are not included. */
  matchers: { label: string; op: string; value: string }[];
}

export interface PromQLCheck {
  errors: string[];
  selectors: SelectorUse[];
  /** Label names used in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_left/right (...)`. */
  groupingLabels: string[];
}

const unquote = (s: string): string => {
  const q = s[0];
  if ((q === '"' || q === "'") && s.endsWith(q))
    return JSON.parse(`"${s.slice(1, -1).replace(/\\'/g, "'")}"`);
  if (q === '`') return s.slice(1, -1);
  return s;
};

/**
 * Parses and type-checks one PromQL expression: syntax errors anywhere (lezer error nodes) and the semantic
 * diagnostics Prometheus' UI reports. Also lists the metrics and labels the expression names.
 */
export function checkPromQL(expr: string): PromQLCheck {
  const errors: string[] = [];
  if (expr.trim() === '') return { errors: ['empty expression'], selectors: [], groupingLabels: [] };
  const state = EditorState.create({ doc: expr, extensions: [promql] });
  const tree = ensureSyntaxTree(state, state.doc.length, 10_000);
  if (!tree) return { errors: ['parser timed out'], selectors: [], groupingLabels: [] };

  const selectors: SelectorUse[] = [];
  const groupingLabels: string[] = [];
  const cursor = tree.cursor();
  do {
    const node = cursor.node;
    if (node.type.isError) {
      errors.push(`syntax error at ${node.from}: "${expr.slice(Math.max(0, node.from - 15), node.to + 15)}"`);
    } else if (node.name === 'VectorSelector') {
      const ident = node.getChild('Identifier');
      const matchers: SelectorUse['matchers'] = [];
      const list = node.getChild('LabelMatchers');
      for (let m = list?.firstChild; m; m = m.nextSibling) {
        const label = m.getChild('LabelName');
        const op = m.getChild('MatchOp');
        const value = m.getChild('StringLiteral');
        if (label && op && value) {
          matchers.push({
            label: expr.slice(label.from, label.to),
            op: expr.slice(op.from, op.to),
            value: unquote(expr.slice(value.from, value.to)),
          });
        }
      }
      const nameMatcher = matchers.find((m) => m.label === '__name__' && m.op === '=');
      const metric = ident ? expr.slice(ident.from, ident.to) : nameMatcher?.value;
      if (metric) selectors.push({ metric, matchers: matchers.filter((m) => m.label !== '__name__') });
    } else if (node.name === 'GroupingLabels') {
      for (let l = node.firstChild; l; l = l.nextSibling) {
        if (l.name === 'LabelName') groupingLabels.push(expr.slice(l.from, l.to));
      }
    }
  } while (cursor.next());

  // A new state's tree is whatever its first, time-boxed parse reached (partial on a busy machine);
  // ensureSyntaxTree finished the parse, and a transaction hands the finished tree to the state the checker reads.
  const parsed = state.update({}).state;
  if (syntaxTree(parsed).length < expr.length) errors.push('parse did not finish');
  const semantic = new Parser(parsed);
  semantic.analyze();
  for (const d of semantic.getDiagnostics()) {
    if (d.severity === 'error') errors.push(`${d.message} at "${expr.slice(d.from, d.to)}"`);
  }
  return { errors: [...new Set(errors)], selectors, groupingLabels: [...new Set(groupingLabels)] };
}

/** Grafana's built-in interval variables, replaced by a plain duration so the query parses as PromQL. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{__(rate_interval|interval|range)\}/g, '5m')
    .replace(/\$__range_s\b/g, '300');
}
