/**
 * A 30-bit number standing for an eventId (a UUID, validated by the contract): the XOR of its first and last 8 hex
 * digits, so every UUID version varies in it (v1 in its time field, v4 and v7 in their random bits). A small
 * integer keeps the rules' sets compact and fast (no strings held, no allocation). Two ids can share one: a set of
 * n fingerprints takes a new id for a known one with probability n / 2^30 (2·10⁻⁴ at 200,000), which can only make
 * a rule count one event fewer, never flag one.
 */
export function eventFingerprint(eventId: string): number {
  return (hex8(eventId, 0) ^ hex8(eventId, eventId.length - 8)) & 0x3fffffff;
}

/** The 8 hex digits of `text` from `at` as an unsigned 32-bit number, without allocating a substring. */
function hex8(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) value = ((value << 4) | HEX[text.charCodeAt(i) & 0x7f]!) >>> 0;
  return value;
}

/** Character code → hex digit value (anything else counts as 0: the contract validated the UUID). */
const HEX = new Uint8Array(128);
for (let d = 0; d < 10; d++) HEX[48 + d] = d;
for (let d = 0; d < 6; d++) HEX[65 + d] = HEX[97 + d] = 10 + d;
