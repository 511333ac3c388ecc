import { IngestClient, type ClientOptions } from './ingest-client';

/**
 * The API's per-source feed-integrity rules tell sources apart by API key and client address, so the simulator
 * sends as a separate source from a loopback address of its own: Linux routes all of 127.0.0.0/8 to the loopback
 * interface, and a socket bound to 127.0.0.2 reaches an API on 127.0.0.1. The regular source keeps the address the
 * system picks (127.0.0.1 towards any loopback address).
 */

/** A loopback host: 127.x.x.x, localhost or [::1]. */
const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|localhost|\[::1\])$/i;

/** Whether the API at `url` runs on this machine, where a separate source can be a separate client address. */
export function isLoopbackUrl(url: string): boolean {
  return LOOPBACK_HOST.test(new URL(url).hostname);
}

/** The client address of separate source `n` (1-based): 127.0.0.2 … 127.0.0.254, then 127.0.1.1, … */
export function sourceAddress(n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`source ${n}: must be a whole number from 1`);
  // Position n among the host addresses x.x.x.1–254 from 127.0.0.1 on (position 0, the regular source).
  const block = Math.floor(n / 254);
  return `127.${Math.floor(block / 256) % 256}.${block % 256}.${1 + (n % 254)}`;
}

/** The URL a separate source sends to: a bound IPv4 loopback socket cannot reach `localhost` as ::1, so 127.0.0.1. */
export function separateSourceUrl(url: string): string {
  const parsed = new URL(url);
  if (!/^127\./.test(parsed.hostname)) parsed.hostname = '127.0.0.1';
  return parsed.toString().replace(/\/$/, '');
}

/** One ingest client per source, made when first used: source 0 is the regular one, n ≥ 1 sends from sourceAddress(n). */
export class SourceClients {
  private readonly clients = new Map<number, IngestClient>();

  constructor(private readonly options: ClientOptions) {}

  of(source = 0): IngestClient {
    let client = this.clients.get(source);
    if (!client) {
      client = new IngestClient(
        source === 0
          ? this.options
          : {
              ...this.options,
              url: separateSourceUrl(this.options.url),
              localAddress: sourceAddress(source),
            },
      );
      this.clients.set(source, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
  }
}
