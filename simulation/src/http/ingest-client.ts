import type { FieldError } from '@pitchpulse/contract';
import { Pool } from 'undici';
import { DEFAULT_RETRY, RETRYABLE_STATUSES, parseRetryAfter, retryDelay, type RetryPolicy } from './retry';

/** What became of one event (or retraction) after every attempt. */
export type EventOutcome =
  /** The API acknowledged it with 2xx: it is durable. */
  | { kind: 'accepted' }
  /** The API refused it (4xx): it was not stored. */
  | { kind: 'rejected'; status: number; errors?: FieldError[]; detail?: string }
  /** Certainly not stored: still rate limited after the last attempt, or the connection was refused. */
  | { kind: 'not-delivered'; status: number | 'network'; reason: string }
  /** May or may not be stored: 5xx after the last attempt, a timeout or a broken connection. */
  | { kind: 'unknown'; status: number | 'network'; reason: string };

/** Called for every HTTP exchange (retries included) with its status and latency. */
export type ResponseObserver = (status: number | 'network', latencyMs: number) => void;

export interface ClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  url: string;
  apiKey?: string;
  /** Sockets kept open to the API. */
  connections: number;
  /** Local address to bind the sockets to: a separate source (e.g. 127.0.0.2); default: the system's choice. */
  localAddress?: string;
  /** Per-attempt limit for the response headers and for the body. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  observe?: ResponseObserver;
  /** Injected in tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

interface Exchange {
  status: number | 'network';
  body: unknown;
  retryAfterMs?: number;
  error?: NodeJS.ErrnoException;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors that prove the request never reached the server (EADDRNOTAVAIL: the local address cannot be bound). */
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function problemErrors(body: unknown): FieldError[] | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.filter(
    (e): e is FieldError => typeof e === 'object' && e !== null && typeof (e as FieldError).path === 'string',
  );
}

function problemDetail(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300);
  const b = body as { detail?: unknown; title?: unknown } | null;
  const text = b?.detail ?? b?.title;
  return typeof text === 'string' ? text : undefined;
}

/** Final outcome of a whole request (single event, or a batch that failed as a whole). */
function failureOutcome(exchange: Exchange & { ambiguous?: boolean }): EventOutcome {
  const { status } = exchange;
  if (exchange.ambiguous && (status === 429 || status === 'network')) {
    const last = status === 429 ? '429' : (exchange.error?.code ?? 'network error');
    return {
      kind: 'unknown',
      status,
      reason: `an earlier attempt failed ambiguously (5xx or timeout), the last with ${last}`,
    };
  }
  if (status === 'network') {
    const code = exchange.error?.code ?? '';
    const reason = `${code || 'network error'}: ${exchange.error?.message ?? ''}`.trim();
    return NEVER_SENT.has(code)
      ? { kind: 'not-delivered', status, reason }
      : { kind: 'unknown', status, reason };
  }
  if (status === 429)
    return { kind: 'not-delivered', status, reason: 'still rate limited after the last attempt' };
  if (status >= 500)
    return { kind: 'unknown', status, reason: problemDetail(exchange.body) ?? `HTTP ${status}` };
  return {
    kind: 'rejected',
    status,
    errors: problemErrors(exchange.body),
    detail: problemDetail(exchange.body),
  };
}

/** The array a batch body carries its items in: `{events: [...]}` or `{retractions: [...]}`. */
export type BatchField = 'events' | 'retractions';

/**
 * Per-index outcomes of a `202` batch answer. The API lists refused items by index (`rejected`, `invalid` or
 * `errors`: `[{index, errors}]`); every other item of a 2xx batch is durable. If the body lists accepted items
 * explicitly, an index in neither list is reported as unknown.
 */
export function interpretBatchAnswer(
  body: unknown,
  size: number,
  field: BatchField = 'events',
): EventOutcome[] {
  const itemPrefix = new RegExp(`^/${field}/\\d+`);
  const outcomes: EventOutcome[] = new Array<EventOutcome>(size);
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const refusedLists = ['rejected', 'invalid', 'errors']
    .map((k) => b[k])
    .filter(Array.isArray) as unknown[][];
  for (const list of refusedLists) {
    for (const item of list) {
      const index = (item as { index?: unknown } | null)?.index;
      if (typeof index !== 'number' || !(index >= 0 && index < size)) continue;
      const errors = problemErrors(item);
      outcomes[index] = {
        kind: 'rejected',
        status: 400,
        errors: errors?.map((e) => ({ ...e, path: e.path.replace(itemPrefix, '') || '/' })),
      };
    }
  }
  const acceptedList = Array.isArray(b.accepted) ? (b.accepted as unknown[]) : undefined;
  const acceptedIndexes = new Set<number>();
  if (acceptedList) {
    for (const item of acceptedList) {
      const index = typeof item === 'number' ? item : (item as { index?: unknown } | null)?.index;
      if (typeof index === 'number') acceptedIndexes.add(index);
    }
  }
  const listsAccepted = acceptedList !== undefined && acceptedList.length > 0 && acceptedIndexes.size > 0;
  for (let i = 0; i < size; i++) {
    if (outcomes[i]) continue;
    outcomes[i] =
      !listsAccepted || acceptedIndexes.has(i)
        ? { kind: 'accepted' }
        : { kind: 'unknown', status: 202, reason: 'neither accepted nor rejected in the batch answer' };
  }
  return outcomes;
}

/** Per-index outcomes of a `400` batch answer: every item refused, with its own errors where the body names them. */
function interpretBatchRefusal(exchange: Exchange, size: number, field: BatchField): EventOutcome[] {
  const all = problemErrors(exchange.body) ?? [];
  const detail = problemDetail(exchange.body);
  return Array.from({ length: size }, (_, index) => {
    const prefix = `/${field}/${index}`;
    const own = all.filter((e) => e.path === prefix || e.path.startsWith(`${prefix}/`));
    return {
      kind: 'rejected' as const,
      status: exchange.status as number,
      errors: (own.length > 0 ? own : all).map((e) => ({
        ...e,
        path: e.path.startsWith(prefix) ? e.path.slice(prefix.length) || '/' : e.path,
      })),
      detail,
    };
  });
}

/**
 * HTTP client for the ingest API (undici keep-alive pool): events and retractions, one at a time or in batches.
 * Retries 429/502/503/504 and network errors after `Retry-After` (or exponential backoff), at most
 * `retry.maxAttempts` attempts, then reports each item's fate.
 */
export class IngestClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`--url must be http(s): ${options.url}`);
    this.prefix = url.pathname.replace(/\/+$/, '');
    const timeout = options.timeoutMs ?? 30_000;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 4_000,
      ...(options.localAddress && { localAddress: options.localAddress }),
    });
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? realSleep;
  }

  sendEvent(event: unknown): Promise<EventOutcome> {
    return this.sendOne('/api/events', event);
  }

  sendBatch(events: readonly unknown[]): Promise<EventOutcome[]> {
    return this.sendMany('/api/events/batch', 'events', events);
  }

  sendRetraction(retraction: unknown): Promise<EventOutcome> {
    return this.sendOne('/api/retractions', retraction);
  }

  sendRetractionBatch(retractions: readonly unknown[]): Promise<EventOutcome[]> {
    return this.sendMany('/api/retractions/batch', 'retractions', retractions);
  }

  /** GET a JSON resource under the API; `null` body on 404. Throws on anything but 200/404. */
  async getJson<T>(path: string): Promise<T | null> {
    const exchange = await this.exchange('GET', path, undefined);
    if (exchange.status === 404) return null;
    if (exchange.status !== 200) {
      const why =
        exchange.status === 'network'
          ? exchange.error?.message
          : `HTTP ${exchange.status} ${problemDetail(exchange.body) ?? ''}`;
      throw new Error(`GET ${path}: ${why}`);
    }
    return exchange.body as T;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async sendOne(path: string, body: unknown): Promise<EventOutcome> {
    const exchange = await this.withRetries(path, body);
    if (typeof exchange.status === 'number' && exchange.status >= 200 && exchange.status < 300)
      return { kind: 'accepted' };
    return failureOutcome(exchange);
  }

  private async sendMany(
    path: string,
    field: BatchField,
    items: readonly unknown[],
  ): Promise<EventOutcome[]> {
    const exchange = await this.withRetries(path, { [field]: items });
    const { status } = exchange;
    if (typeof status === 'number' && status >= 200 && status < 300)
      return interpretBatchAnswer(exchange.body, items.length, field);
    if (status === 400) return interpretBatchRefusal(exchange, items.length, field);
    const outcome = failureOutcome(exchange);
    return items.map(() => outcome);
  }

  /**
   * Sends until the answer is final or the attempts run out. If any attempt failed ambiguously (5xx, timeout,
   * broken connection) the events may have landed, so a later 429 or refused connection still leaves them
   * "unknown", never "not delivered".
   */
  private async withRetries(path: string, body: unknown): Promise<Exchange & { ambiguous: boolean }> {
    const payload = JSON.stringify(body);
    let ambiguous = false;
    for (let attempt = 1; ; attempt++) {
      const exchange = await this.exchange('POST', path, payload);
      const retryable = exchange.status === 'network' || RETRYABLE_STATUSES.has(exchange.status);
      if (!retryable || attempt >= this.retry.maxAttempts) return { ...exchange, ambiguous };
      if (
        exchange.status === 'network' ? !NEVER_SENT.has(exchange.error?.code ?? '') : exchange.status >= 500
      )
        ambiguous = true;
      await this.sleep(retryDelay(this.retry, attempt, exchange.retryAfterMs));
    }
  }

  private async exchange(
    method: 'GET' | 'POST',
    path: string,
    payload: string | undefined,
  ): Promise<Exchange> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    const started = performance.now();
    try {
      const res = await this.pool.request({ method, path: this.prefix + path, headers, body: payload });
      const text = await res.body.text();
      let body: unknown = text;
      const type = String(res.headers['content-type'] ?? '');
      if (type.includes('json') && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      this.options.observe?.(res.statusCode, performance.now() - started);
      return { status: res.statusCode, body, retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
    } catch (err) {
      this.options.observe?.('network', performance.now() - started);
      return { status: 'network', body: undefined, error: err as NodeJS.ErrnoException };
    }
  }
}
