import { backoffDelay } from './backoff';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface LiveStreamOptions<T> {
  onData: (data: T) => void;
  onState: (state: LiveState, retryInMs?: number) => void;
  /** Names of the SSE events carrying data (unnamed `message` events always do). */
  events?: string[];
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * An EventSource that reconnects with exponential backoff and jitter. The browser's own retry uses a fixed
 * delay and gives up for good after an HTTP error; this one closes the source on any error and opens a new
 * one later, for as long as it is not stopped. The backoff resets once a connection delivers data.
 */
export class LiveStream<T> {
  private source: EventSource | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly options: LiveStreamOptions<T>,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = undefined;
    this.options.onState('closed');
  }

  private open(): void {
    if (this.stopped) return;
    this.options.onState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const source = new EventSource(this.url);
    this.source = source;
    const onMessage = (e: MessageEvent<string>) => {
      if (this.source !== source) return;
      let data: T;
      try {
        data = JSON.parse(e.data) as T;
      } catch {
        return; // not JSON: nothing for us
      }
      this.attempt = 0;
      this.options.onData(data);
    };
    source.onopen = () => {
      if (this.source === source) this.options.onState('live');
    };
    source.onmessage = onMessage;
    for (const name of this.options.events ?? []) source.addEventListener(name, onMessage as EventListener);
    source.onerror = () => {
      if (this.source !== source) return;
      source.close();
      this.source = undefined;
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, this.options.baseDelayMs, this.options.maxDelayMs);
      this.options.onState('reconnecting', delay);
      this.timer = setTimeout(() => this.open(), delay);
    };
  }
}
