import type { StreamEventName } from '@pitchpulse/contract';
import type { Request, Response } from 'express';
import type { Logger } from '@pitchpulse/observability';
import type { MarkerPoller } from './markers';

/** What a stream sends: the current body of a match's live resource and the rows it holds. */
export interface StreamSnapshot {
  /** what changed is judged on this (e.g. the metrics without the ever-moving response times) */
  key: string;
  /** the SSE `data:` payload (one line of JSON) */
  data: string;
  storedRows: number;
}

export interface StreamHubOptions {
  markers: MarkerPoller;
  /** Called with each stream's response once it is open (the API stops counting it as a request in flight). */
  opened?: (res: Response) => void;
  /** The match's current snapshot (null: the match has no events). */
  load: (matchId: string) => Promise<StreamSnapshot | null>;
  logger: Logger;
  /** SSE event name of the pushes. Default `metrics`. */
  event?: StreamEventName;
  /** A comment line is sent this often so proxies keep the connection. Default 15 s. */
  heartbeatMs?: number;
  /** `retry:` hint: how long a disconnected client waits before reconnecting. Default 3 s. */
  retryMs?: number;
  /** Re-check a match this often while its answer lags its marker (a view not filled yet). Default 250 ms. */
  recheckMs?: number;
  /** A client with more than this many bytes unsent is dropped (it reconnects). Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Streams open at once at most; `subscribe` refuses more. Default 10,000. */
  maxClients?: number;
}

interface Channel {
  clients: Set<Response>;
  unwatch: () => void;
  lastKey: string | undefined;
  refreshing: boolean;
  again: boolean;
  rechecks: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Server-Sent Events for live matches. Clients of one match share a channel: the shared marker poll reports a
 * change once, the channel loads the new snapshot once and writes it to every client. A snapshot whose rows
 * lag the marker is loaded again shortly after, until it holds them. Heartbeat comments keep idle connections
 * open through proxies; `close()` ends every stream cleanly.
 */
export class StreamHub {
  private readonly channels = new Map<string, Channel>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private readonly event: StreamEventName;
  private readonly retryMs: number;
  private readonly recheckMs: number;
  private readonly maxBuffered: number;

  constructor(private readonly o: StreamHubOptions) {
    this.event = o.event ?? 'metrics';
    this.retryMs = o.retryMs ?? 3000;
    this.recheckMs = o.recheckMs ?? 250;
    this.maxBuffered = o.maxBufferedBytes ?? 1024 * 1024;
    this.heartbeat = setInterval(() => this.broadcastAll(': heartbeat\n\n'), o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** Open streams now. */
  get clients(): number {
    let n = 0;
    for (const c of this.channels.values()) n += c.clients.size;
    return n;
  }

  /** Whether another stream may open now (not closed, under `maxClients`). */
  get accepting(): boolean {
    return !this.closed && this.clients < (this.o.maxClients ?? 10_000);
  }

  /** Starts an event stream on `res` with the match's current snapshot; it lasts until the client leaves. */
  subscribe(matchId: string, first: StreamSnapshot, req: Request, res: Response): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx (and proxies that follow it) would otherwise buffer the stream
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.o.opened?.(res);
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    let channel = this.channels.get(matchId);
    if (!channel) {
      channel = {
        clients: new Set(),
        unwatch: this.o.markers.watch(matchId),
        lastKey: first.key,
        refreshing: false,
        again: false,
        rechecks: 0,
        timer: undefined,
      };
      this.channels.set(matchId, channel);
    }
    channel.clients.add(res);
    res.write(`retry: ${this.retryMs}\n${this.frame(first)}`);
    const leave = () => this.leave(matchId, res);
    req.once('close', leave);
    res.once('close', leave);
    // A snapshot taken before the channel existed may already lag the marker.
    void this.refresh(matchId);
  }

  /** The matches with open streams. */
  get matches(): string[] {
    return [...this.channels.keys()];
  }

  /** Sends one event (`name`, one line of JSON) to every stream of the match. */
  push(matchId: string, name: StreamEventName, data: string): void {
    const channel = this.channels.get(matchId);
    if (channel) this.broadcast(channel, `event: ${name}\ndata: ${data}\n\n`);
  }

  /** The shared poll saw the match change. */
  changed(matchId: string): void {
    const channel = this.channels.get(matchId);
    if (!channel) return;
    channel.rechecks = 0;
    void this.refresh(matchId);
  }

  /** Ends every stream (clients reconnect after `retry`, e.g. to another replica). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const [matchId, channel] of this.channels) {
      for (const res of channel.clients) res.end();
      this.drop(matchId, channel);
    }
  }

  private frame(s: StreamSnapshot): string {
    return `id: ${s.storedRows}\nevent: ${this.event}\ndata: ${s.data}\n\n`;
  }

  private async refresh(matchId: string): Promise<void> {
    const channel = this.channels.get(matchId);
    if (!channel) return;
    if (channel.refreshing) {
      channel.again = true;
      return;
    }
    channel.refreshing = true;
    try {
      do {
        channel.again = false;
        const [snapshot, marker] = await Promise.all([this.o.load(matchId), this.o.markers.marker(matchId)]);
        if (this.channels.get(matchId) !== channel) return;
        if (snapshot && snapshot.key !== channel.lastKey) {
          channel.lastKey = snapshot.key;
          this.broadcast(channel, this.frame(snapshot));
        }
        if (snapshot && snapshot.storedRows !== marker.storedRows && channel.rechecks < 40) {
          channel.rechecks++;
          clearTimeout(channel.timer);
          channel.timer = setTimeout(() => void this.refresh(matchId), this.recheckMs);
          channel.timer.unref();
        }
      } while (channel.again);
    } catch (err) {
      this.o.logger.warn({ err, matchId }, 'live update failed; retrying on the next change');
    } finally {
      channel.refreshing = false;
    }
  }

  private broadcast(channel: Channel, text: string): void {
    for (const res of channel.clients) {
      if (res.writableLength > this.maxBuffered) {
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  private broadcastAll(text: string): void {
    for (const channel of this.channels.values()) this.broadcast(channel, text);
  }

  private leave(matchId: string, res: Response): void {
    const channel = this.channels.get(matchId);
    if (!channel || !channel.clients.delete(res)) return;
    if (channel.clients.size === 0) this.drop(matchId, channel);
  }

  private drop(matchId: string, channel: Channel): void {
    clearTimeout(channel.timer);
    channel.unwatch();
    this.channels.delete(matchId);
  }
}
