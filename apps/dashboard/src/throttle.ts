/** Runs `task` at most once per `minIntervalMs`: asking again while a run is pending changes nothing. */
export class Throttled {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastRunAt = 0;

  constructor(
    private readonly minIntervalMs: number,
    private readonly task: () => void,
  ) {}

  schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastRunAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastRunAt = Date.now();
      this.task();
    }, wait);
  }

  /** Forgets a pending run and the last one (another match was chosen). */
  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastRunAt = 0;
  }
}
