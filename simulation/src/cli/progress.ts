import { Presets, SingleBar } from 'cli-progress';

export interface ProgressBar {
  update(value: number, total: number, payload: Record<string, string | number>): void;
  stop(): void;
}

const NOOP: ProgressBar = { update: () => undefined, stop: () => undefined };

/**
 * A cli-progress bar on stderr. On a terminal it redraws in place; otherwise (CI, `| tee`) it prints a line every
 * five seconds. `enabled: false` gives a bar that draws nothing.
 */
export function progressBar(format: string, enabled: boolean): ProgressBar {
  if (!enabled) return NOOP;
  const bar = new SingleBar(
    {
      format,
      stream: process.stderr,
      hideCursor: true,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      fps: 8,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(value, total, payload) {
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
