import { parse as parseUuid, v5 as uuidv5 } from 'uuid';

/** Namespace of every id the simulator derives (a fixed, random v4 UUID). */
export const SIMULATOR_NAMESPACE = '3b9d2f0e-6c1a-4f57-9a8e-2d4c7b1e5f60';
const NAMESPACE_BYTES = parseUuid(SIMULATOR_NAMESPACE);

/**
 * A name-based (v5) UUID: the same seed, match and sequence number give the same eventId on every run, so a
 * re-run is deduplicated by the pipeline instead of double-counted.
 */
export function deriveEventId(seed: number, matchIndex: number, key: string | number): string {
  return uuidv5(`${seed}:${matchIndex}:${key}`, NAMESPACE_BYTES);
}

/** `sim-<seed>-m<index>`: valid under the contract's matchId pattern. */
export function simulatedMatchId(seed: number, matchIndex: number): string {
  return `sim-${seed}-m${matchIndex}`;
}
