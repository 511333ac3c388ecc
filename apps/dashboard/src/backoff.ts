/**
 * Reconnect delay after `attempt` failures in a row (0 = first retry): exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (half fixed, half random) so many pages do not reconnect in step.
 */
export function backoffDelay(attempt: number, baseMs = 1000, maxMs = 30_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
