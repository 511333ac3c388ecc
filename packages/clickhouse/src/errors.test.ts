import { ClickHouseError } from '@clickhouse/client';
import { EventRowError, classifyClickHouseError, clickHouseErrorCode } from './errors';

/** Messages as ClickHouse 18.16 sends them (captured from the server); @clickhouse/client leaves `code` unset. */
const v18 = (text: string): Error => new Error(text);
/** Current ClickHouse / chdb: @clickhouse/client parses them into ClickHouseError with a numeric string code. */
const current = (message: string, code: string, type: string): Error =>
  new ClickHouseError({ message, code, type });
const withErrno = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('classifyClickHouseError', () => {
  it.each([
    [
      '18.x cannot parse input',
      v18(
        'Code: 27, e.displayText() = DB::Exception: Cannot parse input: expected " before: abc", e.what() = DB::Exception',
      ),
      'data',
    ],
    [
      '18.x unknown JSONEachRow field',
      v18(
        'Code: 117, e.displayText() = DB::Exception: Unknown field found while parsing JSONEachRow format: bogus: (at row 1)\n, e.what() = DB::Exception\n',
      ),
      'data',
    ],
    [
      '18.x broken JSON',
      v18(
        'Code: 26, e.displayText() = DB::Exception: Cannot parse JSON string: expected opening quote: (at row 1)\n, e.what() = DB::Exception\n',
      ),
      'data',
    ],
    [
      'current bad DateTime',
      current('Cannot read DateTime: unexpected word', '41', 'CANNOT_PARSE_DATETIME'),
      'data',
    ],
    [
      'too many partitions in one insert',
      current('Too many partitions for single INSERT block (more than 100).', '252', 'TOO_MANY_PARTS'),
      'data',
    ],
    ['row mapper rejection', new EventRowError('timestamp out of range', 'e1'), 'data'],
    [
      '18.x memory limit',
      v18(
        'Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded: would use 2.00 MiB, e.what() = DB::Exception',
      ),
      'transient',
    ],
    [
      '18.x timeout exceeded',
      v18(
        'Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.000000034 seconds, maximum: 1, e.what() = DB::Exception',
      ),
      'transient',
    ],
    [
      'too many parts (merges behind)',
      current(
        'Too many parts (300). Merges are processing significantly slower than inserts',
        '252',
        'TOO_MANY_PARTS',
      ),
      'transient',
    ],
    [
      'too many simultaneous queries',
      current('Too many simultaneous queries. Maximum: 100', '202', 'TOO_MANY_SIMULTANEOUS_QUERIES'),
      'transient',
    ],
    [
      'unknown server error code',
      v18('Code: 1001, e.displayText() = std::exception, e.what() = std::exception'),
      'transient',
    ],
    [
      '18.x missing table',
      v18(
        "Code: 60, e.displayText() = DB::Exception: Table t1.nope doesn't exist., e.what() = DB::Exception\n",
      ),
      'unavailable',
    ],
    [
      'missing database',
      current("Database pitchpulse doesn't exist", '81', 'UNKNOWN_DATABASE'),
      'unavailable',
    ],
    ['connection refused', withErrno('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), 'unavailable'],
    ['socket reset', withErrno('socket hang up', 'ECONNRESET'), 'unavailable'],
    ['request timeout', new Error('Timeout error.'), 'unavailable'],
    [
      'nested cause',
      new Error('request failed', { cause: withErrno('read ECONNRESET', 'ECONNRESET') }),
      'unavailable',
    ],
    ['not an Error', 'boom', 'transient'],
  ])('%s → %s', (_name, err, kind) => {
    expect(classifyClickHouseError(err)).toBe(kind);
  });

  it('reads the code from both message formats', () => {
    expect(clickHouseErrorCode(v18('Code: 62, e.displayText() = DB::Exception: Syntax error'))).toBe(62);
    expect(clickHouseErrorCode(current('Syntax error', '62', 'SYNTAX_ERROR'))).toBe(62);
    expect(clickHouseErrorCode(new Error('no code here'))).toBeUndefined();
    expect(clickHouseErrorCode(withErrno('x', 'ECONNRESET'))).toBeUndefined();
  });
});
