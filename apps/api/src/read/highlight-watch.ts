import type { Highlight, StreamEventName } from '@pitchpulse/contract';

export interface HighlightWatchOptions {
  /** the live streams: which matches have some, and a way to send them an event */
  streams: { readonly matches: string[]; push(matchId: string, name: StreamEventName, data: string): void };
  /** highlights of `matchIds` READY after `sinceMs`, oldest first */
  load(matchIds: readonly string[], sinceMs: number): Promise<Highlight[]>;
  intervalMs: number;
  /** looked at again after a later look: an enricher's insert can land after rows it stamped later. Default 10 s */
  marginMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * Sends a `highlight` event to a match's live streams when one of its highlights becomes READY: every
 * `intervalMs` while streams are open, one query for the streamed matches' highlights READY since the last look
 * (less a margin), each sent once per match while it has streams. The enricher changes highlights without
 * moving the match's marker, so the metrics' change poll cannot see this.
 */
export class HighlightWatch {
  private readonly sent = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private sinceMs: number;
  private running = false;
  private readonly now: () => number;

  constructor(private readonly o: HighlightWatchOptions) {
    this.now = o.now ?? Date.now;
    this.sinceMs = this.now();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look (exported for tests); overlapping looks are skipped. */
  async tick(): Promise<void> {
    if (this.running) return;
    const matches = this.o.streams.matches;
    for (const id of this.sent.keys()) if (!matches.includes(id)) this.sent.delete(id);
    if (matches.length === 0) return;
    this.running = true;
    const lookedAt = this.now();
    try {
      for (const h of await this.o.load(matches, this.sinceMs - (this.o.marginMs ?? 10_000))) {
        const sent = this.sent.get(h.matchId) ?? new Set<string>();
        this.sent.set(h.matchId, sent);
        if (sent.has(h.highlightId)) continue;
        sent.add(h.highlightId);
        this.o.streams.push(h.matchId, 'highlight', JSON.stringify(h));
      }
      this.sinceMs = lookedAt;
    } catch (err) {
      this.o.onError?.(err);
    } finally {
      this.running = false;
    }
  }
}
