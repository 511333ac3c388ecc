/**
 * What a failed ClickHouse call means for the caller:
 * - `unavailable`: the server cannot be reached or cannot take writes at all (connection refused/reset,
 *   timeouts, shutting down, schema or credentials missing). Nothing is wrong with the data: pause and retry later.
 * - `transient`: the server is up but overloaded or briefly unable (too many parts, memory limit, too many
 *   queries). Retry the same request with backoff.
 * - `data`: the request's data is at fault (a value ClickHouse cannot parse or store). Retrying the same rows
 *   fails again: split the batch to find the bad rows.
 */
export type ClickHouseErrorKind = 'unavailable' | 'transient' | 'data';

/** Thrown by the row mapper for an event that cannot be stored (e.g. a timestamp outside DateTime's range). */
export class EventRowError extends Error {
  override readonly name = 'EventRowError';
  constructor(
    message: string,
    readonly eventId: string | undefined,
  ) {
    super(message);
  }
}

const UNAVAILABLE_CODES = new Set([
  60, // UNKNOWN_TABLE: schema not migrated yet
  81, // UNKNOWN_DATABASE
  164, // READONLY
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  242, // TABLE_IS_READ_ONLY
  394, // QUERY_WAS_CANCELLED (server shutting down)
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
]);

const TRANSIENT_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE (truncated request)
  159, // TIMEOUT_EXCEEDED
  173, // CANNOT_ALLOCATE_MEMORY
  201, // QUOTA_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  225, // NO_ZOOKEEPER
  241, // MEMORY_LIMIT_EXCEEDED
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  999, // KEEPER_EXCEPTION
]);

const DATA_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  8, // THERE_IS_NO_COLUMN
  16, // NO_SUCH_COLUMN_IN_TABLE
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  43, // ILLEGAL_TYPE_OF_ARGUMENT
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA (e.g. unknown JSONEachRow field)
  130, // CANNOT_READ_ARRAY_FROM_TEXT
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
]);

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const NETWORK_MESSAGE =
  /socket hang up|timeout error|ECONNREFUSED|ECONNRESET|EPIPE|aborted a request|client is closed/i;

interface ErrorLike {
  message: string;
  name?: unknown;
  code?: unknown;
  cause?: unknown;
}

/** Duck-typed: errors from Node's core (sockets) are not `instanceof Error` inside jest's VM sandbox. */
function isErrorLike(e: unknown): e is ErrorLike {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

/** The numeric ClickHouse error code: `.code` of a ClickHouseError (current servers, chdb), or parsed from the
 *  message of 18.x answers (`Code: 27, e.displayText() = …`), which @clickhouse/client does not parse. */
export function clickHouseErrorCode(err: unknown): number | undefined {
  if (!isErrorLike(err)) return undefined;
  const code = err.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  if (typeof code === 'number') return code;
  const m = /(?:^|\s)Code: (\d+)[.,]/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

function errno(err: ErrorLike): string | undefined {
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string' && NETWORK_ERRNOS.has(e.code)) return e.code;
  }
  return undefined;
}

export function classifyClickHouseError(err: unknown): ClickHouseErrorKind {
  if (err instanceof EventRowError) return 'data';
  if (!isErrorLike(err)) return 'transient';
  const code = clickHouseErrorCode(err);
  if (code !== undefined) {
    // One insert touching more than max_partitions_per_insert_block months: smaller batches will pass.
    if (code === 252 && /partitions for single INSERT block/i.test(err.message)) return 'data';
    if (DATA_CODES.has(code)) return 'data';
    if (TRANSIENT_CODES.has(code)) return 'transient';
    if (UNAVAILABLE_CODES.has(code)) return 'unavailable';
    return 'transient';
  }
  if (errno(err) || NETWORK_MESSAGE.test(err.message) || err.name === 'AbortError') return 'unavailable';
  return 'transient';
}
