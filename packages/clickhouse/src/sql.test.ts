import { identifier, inferType, inList, joinSql, param, quoteString, render, sql } from './sql';

const NATIVE = { nativeParams: true };
const LITERAL = { nativeParams: false };

describe('sql helper rendering', () => {
  const matchId = "m'1\\";
  const q = sql`SELECT count() FROM ${identifier('db', 'events')} WHERE match_id = ${matchId} LIMIT ${10}`;

  it('renders native {pN:Type} placeholders and query_params', () => {
    expect(render(q, NATIVE)).toEqual({
      query: 'SELECT count() FROM `db`.`events` WHERE match_id = {p0:String} LIMIT {p1:UInt64}',
      query_params: { p0: matchId, p1: 10 },
    });
  });

  it('renders escaped literals for 18.x', () => {
    expect(render(q, LITERAL)).toEqual({
      query: "SELECT count() FROM `db`.`events` WHERE match_id = 'm\\'1\\\\' LIMIT 10",
      query_params: {},
    });
  });

  it('escapes every control character as \\xHH and leaves unicode as is', () => {
    expect(quoteString('a\0b\nc\r\t\x7f')).toBe("'a\\x00b\\x0ac\\x0d\\x09\\x7f'");
    expect(quoteString("é😀'\\")).toBe("'é😀\\'\\\\'");
  });

  it('replaces lone surrogates the same way on both paths', () => {
    const bad = 'a\uD800b';
    expect(render(sql`${bad}`, LITERAL).query).toBe("'a\uFFFDb'");
    expect(render(sql`${bad}`, NATIVE).query_params).toEqual({ p0: 'a\uFFFDb' });
  });

  it('infers types', () => {
    expect(inferType('x')).toEqual({ kind: 'scalar', name: 'String' });
    expect(inferType(3)).toEqual({ kind: 'scalar', name: 'UInt64' });
    expect(inferType(-3)).toEqual({ kind: 'scalar', name: 'Int64' });
    expect(inferType(1.5)).toEqual({ kind: 'scalar', name: 'Float64' });
    expect(inferType(true)).toEqual({ kind: 'scalar', name: 'UInt8' });
    expect(inferType(new Date(0))).toEqual({ kind: 'scalar', name: 'DateTime' });
    expect(inferType(['a', 'b'])).toEqual({ kind: 'array', of: { kind: 'scalar', name: 'String' } });
    expect(inferType([1, -1])).toEqual({ kind: 'array', of: { kind: 'scalar', name: 'Int64' } });
  });

  it('renders numbers, dates and arrays', () => {
    const f = sql`${-5} ${2.5} ${-2.5} ${3.0} ${new Date('2024-01-15T14:30:00.999Z')} ${['a', "b'"]} ${param([], 'Array(String)')}`;
    expect(render(f, LITERAL).query).toBe(
      "(-5) 2.5 (-2.5) 3 toDateTime(1705329000, 'UTC') ['a', 'b\\''] CAST([] AS Array(String))",
    );
    expect(render(f, NATIVE)).toEqual({
      query:
        "{p0:Int64} {p1:Float64} {p2:Float64} {p3:UInt64} toDateTime({p4:UInt32}, 'UTC') {p5:Array(String)} {p6:Array(String)}",
      query_params: { p0: -5, p1: 2.5, p2: -2.5, p3: 3, p4: 1705329000, p5: ['a', "b'"], p6: [] },
    });
    expect(
      render(sql`${param(2, 'Float64')} ${param(-1, 'Int64')} ${param([1], 'Array(UInt16)')}`, LITERAL).query,
    ).toBe('CAST(2.0 AS Float64) CAST((-1) AS Int64) CAST([1] AS Array(UInt16))');
  });

  it('nests and joins fragments, numbering parameters in order', () => {
    const cond = joinSql([sql`a = ${'x'}`, sql`b = ${'y'}`], sql` AND `);
    expect(render(sql`WHERE ${cond} LIMIT ${1}`, NATIVE)).toEqual({
      query: 'WHERE a = {p0:String} AND b = {p1:String} LIMIT {p2:UInt64}',
      query_params: { p0: 'x', p1: 'y', p2: 1 },
    });
  });

  it('renders IN lists as parenthesised values (18.x rejects arrays after IN)', () => {
    expect(render(sql`x IN ${inList(['a', "b'"])}`, LITERAL).query).toBe("x IN ('a', 'b\\'')");
    expect(render(sql`x IN ${inList(['a', 'b'])}`, NATIVE).query).toBe('x IN ({p0:String}, {p1:String})');
    expect(() => inList([])).toThrow(/at least one/);
  });

  it('rejects identifiers that are not [A-Za-z_][A-Za-z0-9_]*', () => {
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a`b', "x'; DROP TABLE t; --", 'événement', 'a b']) {
      expect(() => identifier(bad)).toThrow(/invalid identifier/);
    }
    expect(() => identifier('ok_name1')).not.toThrow();
  });

  it('rejects values it cannot bind exactly', () => {
    expect(() => render(sql`${NaN}`, NATIVE)).toThrow(/non-finite/);
    expect(() => render(sql`${2 ** 60}`, NATIVE)).toThrow(/not exact/);
    expect(() => render(sql`${[]}`, NATIVE)).toThrow(/empty array/);
    expect(() => render(sql`${new Date('nope')}`, NATIVE)).toThrow(/invalid Date/);
    expect(() => render(sql`${new Date('1960-01-01T00:00:00Z')}`, NATIVE)).toThrow(/DateTime range/);
    expect(() => param(256, 'UInt8')).toThrow(/out of range/);
    expect(() => param('x', 'UInt8')).toThrow(/expected an integer/);
    expect(() => param(1, 'Nullable(String)' as never)).toThrow(/unsupported/);
    expect(() => render(sql`${null as never}`, NATIVE)).toThrow(/null/);
    expect(() => render(sql`${['a', 1] as never}`, NATIVE)).toThrow(/different types/);
  });

  it('keeps template text as written and never interpolates values into it', () => {
    const hostile = "'; DROP TABLE events; --";
    const { query } = render(sql`SELECT ${hostile}`, LITERAL);
    expect(query).toBe("SELECT '\\'; DROP TABLE events; --'");
  });
});
