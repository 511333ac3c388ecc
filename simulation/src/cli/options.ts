import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander';

/** commander argument parsers that refuse nonsense with a message naming the rule. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number above 0');
  return n;
}

/** A share from 0 (or, `aboveZero`, above 0) to `max`. */
export function shareUpTo(max: number, { aboveZero = false } = {}): (value: string) => number {
  const range = aboveZero ? `above 0 and at most ${max}` : `from 0 to ${max}`;
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (aboveZero && n === 0) || n > max) {
      throw new InvalidArgumentError(`must be a share ${range}, e.g. 0.01 for 1 %`);
    }
    return n;
  };
}

/** A comma-separated list of names out of `allowed` (or `all` of them), deduplicated, in the order of `allowed`. */
export function listOf<T extends string>(allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const names = value.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => name !== 'all' && !allowed.includes(name as T));
    if (names.some((name) => name === '') || unknown.length > 0) {
      throw new InvalidArgumentError(`must be a comma-separated list of ${allowed.join(', ')}, or all`);
    }
    return names.includes('all') ? [...allowed] : allowed.filter((name) => names.includes(name));
  };
}

export function isoDate(value: string): Date {
  if (value === 'now') return new Date();
  const at = new Date(value);
  if (Number.isNaN(at.getTime()))
    throw new InvalidArgumentError('must be an ISO 8601 time, e.g. 2024-05-18T15:00:00Z');
  return at;
}

export function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL, e.g. http://127.0.0.1:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be an http(s) URL');
  return value;
}

/** The options every command that talks to the API shares: where it is, the key, retries and timeouts. */
export function apiOptions(unit: 'request' | 'batch', attempts: number): Option[] {
  return [
    new Option('--url <url>', 'base URL of the PitchPulse API')
      .default('http://127.0.0.1:8080')
      .argParser(httpUrl),
    new Option('--api-key <key>', 'value of the x-api-key header').env('PITCHPULSE_API_KEY'),
    new Option('--max-attempts <n>', `attempts per ${unit} on 429/503/network errors, after Retry-After`)
      .default(attempts)
      .argParser(integer(1, 100)),
    new Option('--timeout <ms>', 'per-attempt request timeout')
      .default(30_000)
      .argParser(integer(100, 600_000)),
  ];
}

/** Parses argv into `program`; returns an exit status when the run is over already (0 after --help, 2 on misuse). */
export function parseCommandLine(program: Command, argv: readonly string[]): number | undefined {
  program.exitOverride();
  try {
    program.parse(argv as string[], { from: 'user' });
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError)
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    throw err;
  }
}
