/**
 * What the processes' configurations share (each parses and validates its own once at start-up): validators for
 * ports and whole numbers, the ClickHouse connection variables, and a reporter that names every bad or missing
 * variable in one error.
 */
import { EnvMissingError, cleanEnv, makeValidator, str, url } from 'envalid';

/** A TCP port 0–65535 (0: any free port). */
export const portOrZero = makeValidator<number>((input) => {
  const n = Number(input);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`must be a port number 0–65535, got "${input}"`);
  return n;
});

/** A whole number min–max written in digits (no sign, fraction or exponent). */
export const whole = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  makeValidator<number>((input) => {
    const n = Number(input);
    if (!/^\s*\d+\s*$/.test(input) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`;
      throw new Error(`must be a whole number ${range}, got "${input}"`);
    }
    return n;
  });

/** A share above 0 and at most 1, written as a decimal (`0.5`, `.25`, `1`). */
export const share = makeValidator<number>((input) => {
  const n = Number(input);
  if (!/^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(input) || !(n > 0 && n <= 1)) {
    throw new Error(`must be a share above 0 and at most 1, got "${input}"`);
  }
  return n;
});

/** Names every bad or missing variable in one error: `invalid <what> configuration:` and a line per variable. */
export const reporter =
  (what: string) =>
  ({ errors }: { errors: Partial<Record<string, Error>> }) => {
    const lines = Object.entries(errors).map(
      ([name, err]) =>
        `  ${name}: ${err instanceof EnvMissingError ? `missing (${err.message})` : err!.message}`,
    );
    if (lines.length > 0) throw new Error(`invalid ${what} configuration:\n${lines.join('\n')}`);
  };

/** A `<remote_servers>` cluster name (a plain identifier), or '' for none. */
const clusterName = makeValidator<string>((input) => {
  const name = input.trim();
  if (name !== '' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(
      `expected a cluster name of letters, digits and _ (as in <remote_servers>), got "${input}"`,
    );
  }
  return name;
});

export const CLICKHOUSE_SPEC = {
  CLICKHOUSE_URL: url({ desc: 'ClickHouse HTTP URL, e.g. http://127.0.0.1:8123' }),
  CLICKHOUSE_DATABASE: str({ default: 'pitchpulse' }),
  CLICKHOUSE_USER: str({ default: 'default' }),
  CLICKHOUSE_PASSWORD: str({ default: '' }),
  CLICKHOUSE_CLUSTER: clusterName({
    default: '',
    desc: 'cluster mode: the <remote_servers> cluster the schema is sharded and replicated over (empty: one server)',
  }),
};

export interface ClickHouseConnection {
  url: string;
  database: string;
  username: string;
  password: string;
  /** cluster mode's cluster; absent for one server */
  cluster?: string;
}

/** The connection from variables parsed with CLICKHOUSE_SPEC. */
export function clickhouseOf(e: ReturnType<typeof cleanEnv<typeof CLICKHOUSE_SPEC>>): ClickHouseConnection {
  return {
    url: e.CLICKHOUSE_URL,
    database: e.CLICKHOUSE_DATABASE,
    username: e.CLICKHOUSE_USER,
    password: e.CLICKHOUSE_PASSWORD,
    ...(e.CLICKHOUSE_CLUSTER ? { cluster: e.CLICKHOUSE_CLUSTER } : {}),
  };
}
