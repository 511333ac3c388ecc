/**
 * A 30-bit number standing for an eventId (a UUID, validated by the contract): the XOR of its first and last 8 hex
 * digits, so every UUID version varies in it (v1 in its time field, v4 and v7 in their random bits). A small
 * integer keeps the rules' sets compact and fast (no strings held, no allocation). Two ids can share one: a set of
 * n fingerprints takes a new id for a known one with probability n / 2^30 (2·10⁻⁴ at 200,000), which can only make
 * a rule count one event fewer, never flag one.
 */
export function eventFingerprint(eventId: string): number {
  return (parseInt(eventId.slice(0, 8), 16) ^ parseInt(eventId.slice(-8), 16)) & 0x3fffffff;
}
