/**
 * The one way values reach SQL. `sql` builds a fragment from a template; `render` turns it into either a
 * query with `{pN:Type}` placeholders plus `query_params` (servers with native binding) or a query with
 * escaped, typed literals (ClickHouse 18.x, which has no query parameters).
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const INTEGER_RANGES = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
} as const;

type IntegerType = keyof typeof INTEGER_RANGES;
type ScalarType = IntegerType | 'Float64' | 'String' | 'DateTime';
/** The value types the helper can bind: scalars and (nested) arrays of them. */
export type SqlType = ScalarType | `Array(${string})`;

/** JS values accepted directly in a template; the ClickHouse type is inferred (see `inferType`). */
export type SqlScalar = string | number | bigint | boolean | Date;
export type SqlValue = SqlScalar | readonly SqlValue[];

/** A value with an explicit ClickHouse type: `param(5, 'UInt16')`, `param([], 'Array(String)')`. */
export class SqlParam {
  constructor(
    readonly value: SqlValue,
    readonly type: SqlType,
  ) {}
}

/** A checked identifier (database, table or column name), optionally qualified: `db.table`. */
export class SqlIdentifier {
  constructor(readonly parts: readonly string[]) {}
}

export type SqlArg = Sql | SqlIdentifier | SqlParam | SqlValue;

/** A SQL fragment: literal template text interleaved with arguments that are rendered safely. */
export class Sql {
  constructor(
    readonly strings: readonly string[],
    readonly args: readonly SqlArg[],
  ) {
    if (strings.length !== args.length + 1) throw new Error('Sql: strings must be one longer than args');
  }
}

export interface RenderedQuery {
  query: string;
  query_params: Record<string, unknown>;
}

export interface RenderMode {
  /** true: `{pN:Type}` placeholders + query_params; false: escaped literals (ClickHouse 18.x). */
  nativeParams: boolean;
}

/** Tagged template: every `${…}` becomes a bound value, an identifier or a nested fragment. Never raw text. */
export function sql(strings: TemplateStringsArray, ...args: SqlArg[]): Sql {
  return new Sql([...strings], args);
}

/** Joins fragments with a fixed separator fragment (default `, `). */
export function joinSql(parts: readonly Sql[], separator: Sql = sql`, `): Sql {
  if (parts.length === 0) return sql``;
  const strings: string[] = [''];
  const args: SqlArg[] = [];
  parts.forEach((part, i) => {
    if (i > 0) {
      strings.push('');
      args.push(separator);
    }
    strings.push('');
    args.push(part);
  });
  return new Sql(strings, args);
}

/** `identifier('db', 'events')` → `` `db`.`events` ``. Each part must match `[A-Za-z_][A-Za-z0-9_]*`. */
export function identifier(...parts: string[]): SqlIdentifier {
  if (parts.length === 0) throw new TypeError('identifier: at least one part is required');
  for (const part of parts) assertIdentifier(part);
  return new SqlIdentifier(parts);
}

export function assertIdentifier(name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > 128) {
    throw new TypeError(
      `invalid identifier ${JSON.stringify(name)}: use 1–128 characters of [A-Za-z0-9_], not starting with a digit`,
    );
  }
  return name;
}

/**
 * `x IN ${inList(values)}` → `x IN (v1, v2, …)`: ClickHouse 18.x does not accept an array on the right of IN,
 * a parenthesised list works on every version. The list must not be empty.
 */
export function inList(values: readonly (SqlScalar | SqlParam)[]): Sql {
  if (values.length === 0) throw new TypeError('inList needs at least one value');
  return sql`(${joinSql(values.map((v) => sql`${v}`))})`;
}

/** A value with an explicit type, checked against it. */
export function param(value: SqlValue, type: SqlType): SqlParam {
  checkValue(value, parseType(type));
  return new SqlParam(value, type);
}

// ---------------------------------------------------------------------------------------------------------
// Types

export type TypeNode = { kind: 'scalar'; name: ScalarType } | { kind: 'array'; of: TypeNode };

function parseType(type: string): TypeNode {
  const m = /^Array\((.+)\)$/.exec(type);
  if (m) return { kind: 'array', of: parseType(m[1]!) };
  if (type in INTEGER_RANGES || type === 'Float64' || type === 'String' || type === 'DateTime') {
    return { kind: 'scalar', name: type as ScalarType };
  }
  throw new TypeError(`unsupported SQL parameter type ${JSON.stringify(type)}`);
}

function typeText(node: TypeNode): string {
  return node.kind === 'array' ? `Array(${typeText(node.of)})` : node.name;
}

/** string → String, safe integer ≥ 0 → UInt64, < 0 → Int64, other finite number → Float64, bigint → UInt64/Int64,
 *  boolean → UInt8, Date → DateTime (whole seconds, UTC), array → Array(type of its elements). */
export function inferType(value: SqlValue): TypeNode {
  if (typeof value === 'string') return { kind: 'scalar', name: 'String' };
  if (typeof value === 'boolean') return { kind: 'scalar', name: 'UInt8' };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot bind non-finite number ${value}`);
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) throw new TypeError(`integer ${value} is not exact; pass a bigint`);
      return { kind: 'scalar', name: value < 0 ? 'Int64' : 'UInt64' };
    }
    return { kind: 'scalar', name: 'Float64' };
  }
  if (typeof value === 'bigint') return { kind: 'scalar', name: value < 0n ? 'Int64' : 'UInt64' };
  if (value instanceof Date) return { kind: 'scalar', name: 'DateTime' };
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw new TypeError('cannot infer the type of an empty array; use param([], "Array(T)")');
    const types = value.map((v) => typeText(inferType(v)));
    // Mixed signs of integers widen to Int64; anything else must agree.
    const distinct = [...new Set(types)];
    let element = distinct[0]!;
    if (distinct.length > 1) {
      if (distinct.every((t) => t === 'UInt64' || t === 'Int64')) element = 'Int64';
      else if (distinct.every((t) => t === 'UInt64' || t === 'Int64' || t === 'Float64')) element = 'Float64';
      else throw new TypeError(`array elements have different types: ${distinct.join(', ')}`);
    }
    return { kind: 'array', of: parseType(element) };
  }
  if (value === null || value === undefined) {
    throw new TypeError('cannot bind null/undefined: choose a value (NULL has no place in this schema)');
  }
  throw new TypeError(`cannot bind a value of type ${typeof value}`);
}

const MAX_DATETIME_SECONDS = 4_294_967_295;

function dateSeconds(value: Date): number {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new TypeError('cannot bind an invalid Date');
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0 || seconds > MAX_DATETIME_SECONDS) {
    throw new RangeError(`date ${value.toISOString()} is outside the DateTime range (1970 – 2106)`);
  }
  return seconds;
}

function checkValue(value: SqlValue, type: TypeNode): void {
  if (type.kind === 'array') {
    if (!Array.isArray(value)) throw new TypeError(`expected an array for ${typeText(type)}`);
    for (const v of value as readonly SqlValue[]) checkValue(v, type.of);
    return;
  }
  switch (type.name) {
    case 'String':
      if (typeof value !== 'string') throw new TypeError(`expected a string for String, got ${typeof value}`);
      return;
    case 'DateTime':
      if (!(value instanceof Date)) throw new TypeError('expected a Date for DateTime');
      dateSeconds(value);
      return;
    case 'Float64':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError('expected a finite number for Float64');
      }
      return;
    default: {
      let n: bigint;
      if (typeof value === 'bigint') n = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
      else if (typeof value === 'boolean') n = value ? 1n : 0n;
      else throw new TypeError(`expected an integer for ${type.name}, got ${String(value)}`);
      const [min, max] = INTEGER_RANGES[type.name];
      if (n < min || n > max) throw new RangeError(`${n} is out of range for ${type.name}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Strings are sent as well-formed UTF-16 (lone surrogates become U+FFFD) so both paths store the same bytes. */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** ClickHouse string literal: backslash escapes for `\` and `'`, `\xHH` for every control character. */
export function quoteString(value: string): string {
  let out = "'";
  for (const ch of wellFormed(value)) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

function literal(value: SqlValue, type: TypeNode): string {
  if (type.kind === 'array') {
    const items = (value as readonly SqlValue[]).map((v) => literal(v, type.of));
    // An empty array literal has no element type: cast it so both engines agree on the type.
    return items.length === 0 ? `CAST([] AS ${typeText(type)})` : `[${items.join(', ')}]`;
  }
  switch (type.name) {
    case 'String':
      return quoteString(value as string);
    case 'DateTime':
      return `toDateTime(${dateSeconds(value as Date)}, 'UTC')`;
    case 'Float64': {
      const n = value as number;
      // Plain decimal/exponent form; negative values in parentheses so `- -1` never appears.
      const text = Number.isInteger(n) ? `${n}.0` : String(n);
      return n < 0 ? `(${text})` : text;
    }
    default: {
      const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      const text = String(n);
      return text.startsWith('-') ? `(${text})` : text;
    }
  }
}

function nativeValue(value: SqlValue, type: TypeNode): unknown {
  if (type.kind === 'array') return (value as readonly SqlValue[]).map((v) => nativeValue(v, type.of));
  switch (type.name) {
    case 'String':
      return wellFormed(value as string);
    case 'DateTime':
      return dateSeconds(value as Date);
    case 'Float64':
      return value;
    default:
      return typeof value === 'boolean'
        ? value
          ? 1
          : 0
        : typeof value === 'bigint'
          ? value.toString()
          : value;
  }
}

/** DateTime travels as UInt32 epoch seconds so no server or session time zone can shift it. */
function nativeType(type: TypeNode): string {
  if (type.kind === 'array') return `Array(${nativeType(type.of)})`;
  return type.name === 'DateTime' ? 'UInt32' : type.name;
}

function containsDateTime(type: TypeNode): boolean {
  return type.kind === 'array' ? containsDateTime(type.of) : type.name === 'DateTime';
}

function renderIdentifier(id: SqlIdentifier): string {
  return id.parts.map((p) => `\`${assertIdentifier(p)}\``).join('.');
}

/** Renders a fragment for one engine. */
export function render(fragment: Sql, mode: RenderMode): RenderedQuery {
  const params: Record<string, unknown> = {};
  let counter = 0;
  const walk = (f: Sql): string => {
    let out = f.strings[0]!;
    f.args.forEach((arg, i) => {
      out += renderArg(arg) + f.strings[i + 1]!;
    });
    return out;
  };
  const renderArg = (arg: SqlArg): string => {
    if (arg instanceof Sql) return walk(arg);
    if (arg instanceof SqlIdentifier) return renderIdentifier(arg);
    let value: SqlValue;
    let type: TypeNode;
    if (arg instanceof SqlParam) {
      value = arg.value;
      type = parseType(arg.type);
    } else {
      value = arg;
      type = inferType(arg);
    }
    checkValue(value, type);
    if (!mode.nativeParams) {
      const text = literal(value, type);
      // An explicit type is kept exactly (a bare literal takes the narrowest type: -42 is Int8). Inferred
      // numbers stay bare literals, which is what 18.x accepts in LIMIT/OFFSET.
      const exact =
        arg instanceof SqlParam &&
        !(type.kind === 'scalar' && (type.name === 'String' || type.name === 'DateTime'));
      return exact && !text.startsWith('CAST(') ? `CAST(${text} AS ${typeText(type)})` : text;
    }
    if (type.kind === 'array' && containsDateTime(type)) {
      // Arrays of DateTime are rare; literals are exact for them and equally safe.
      return literal(value, type);
    }
    const name = `p${counter++}`;
    params[name] = nativeValue(value, type);
    const placeholder = `{${name}:${nativeType(type)}}`;
    return type.kind === 'scalar' && type.name === 'DateTime'
      ? `toDateTime(${placeholder}, 'UTC')`
      : placeholder;
  };
  return { query: walk(fragment), query_params: params };
}
