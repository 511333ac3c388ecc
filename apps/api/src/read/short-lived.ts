/**
 * Answers shared for a short time: one load per key however many readers ask within `maxAgeMs` (a failed load is
 * forgotten at once), at most `maxEntries` keys (the oldest dropped first). For reads whose freshness is a time
 * bound rather than a change marker: the match list's pages, the highlight pages.
 */
export class ShortLived<T> {
  private readonly entries = new Map<string, { at: number; promise: Promise<T> }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at <= this.maxAgeMs) return cached.promise;
    const promise = load();
    this.entries.delete(key);
    this.entries.set(key, { at: now, promise });
    promise.catch(() => {
      if (this.entries.get(key)?.promise === promise) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return promise;
  }

  /** Drops the answers whose key passes `test`: the next reader loads them again. */
  forget(test: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (test(key)) this.entries.delete(key);
  }
}
