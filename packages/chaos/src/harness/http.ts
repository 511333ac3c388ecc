import net from 'node:net';
import { Pool } from 'undici';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
  ms: number;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** An HTTP client that sends exactly the bytes and headers it is given (undici keep-alive pool). */
export class RawClient {
  private readonly pool: Pool;

  constructor(
    readonly url: string,
    connections = 16,
    options: { timeoutMs?: number; localAddress?: string } = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.pool = new Pool(url, {
      connections,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
  }

  async send(request: RawRequest): Promise<Answer> {
    const started = performance.now();
    const res = await this.pool.request({
      method: (request.method ?? 'POST') as 'POST',
      path: request.path,
      headers: request.headers,
      body: request.body,
    });
    const text = await res.body.text();
    const ms = performance.now() - started;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    let json: unknown;
    if (/json/.test(headers['content-type'] ?? '')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.statusCode, headers, text, json, ms };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface SlowResult {
  /** Bytes the client managed to send before the server answered or closed. */
  bytesSent: number;
  /** First line of what the server answered, if anything. */
  statusLine: string | undefined;
  /** When the server answered or closed the connection, ms after the first byte; undefined if it never did. */
  endedAfterMs: number | undefined;
}

/**
 * A slow-loris client: sends `head` (request line and some headers or a whole head plus a partial body), then one
 * byte of `drip` every `intervalMs`, for at most `maxMs`; reports when (if) the server gave up on it.
 */
export function slowLoris(
  url: string,
  head: string,
  drip: string,
  options: { intervalMs: number; maxMs: number },
): Promise<SlowResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    let bytesSent = 0;
    let statusLine: string | undefined;
    let ended: number | undefined;
    const socket = net.connect(Number(port), hostname);
    const finish = () => {
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ bytesSent, statusLine, endedAfterMs: ended });
    };
    socket.on('connect', () => {
      socket.write(head);
      bytesSent += Buffer.byteLength(head);
    });
    let i = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(drip[i++ % drip.length]!);
      bytesSent++;
    }, options.intervalMs);
    socket.on('data', (data: Buffer) => {
      statusLine ??= data.toString('latin1').split('\r\n')[0];
      ended ??= Date.now() - started;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      ended ??= Date.now() - started;
      finish();
    });
    const limit = setTimeout(finish, options.maxMs);
  });
}

/** Percentile (nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
