/** Statuses worth another attempt: rate limited, or the pipeline could not take the write right now. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * `Retry-After` as milliseconds to wait: delay-seconds (`"2"`, `"0.5"`) or an HTTP-date. Undefined when absent or
 * unreadable; never negative.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined; // an HTTP-date starts with the day name
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** Wait when the server names none: base · 2^(attempt-1), capped. */
  baseDelayMs: number;
  /** Upper bound on any single wait, including what `Retry-After` asks for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 };

/**
 * How long to wait before attempt `attempt + 1`: what the server asked for (plus up to 10% jitter so that
 * many clients do not return in the same millisecond), else exponential backoff with full jitter.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random = Math.random,
): number {
  if (retryAfterMs !== undefined)
    return Math.min(policy.maxDelayMs, Math.round(retryAfterMs * (1 + 0.1 * random())));
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
