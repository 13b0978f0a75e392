/** Unsigned LEB128 varints as SPQR frames its messages (not protobuf, though the same bits). */

/** Bytes of a varint for a value below 2^53. */
export function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/**
 * Reads a varint at `offset` whose value must not exceed `max` (at most 2^32 − 1); returns
 * undefined for a truncated, overlong or too-large one.
 */
export function decodeVarint(
  bytes: Uint8Array,
  offset: number,
  max: number,
): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 5; i++) {
    const b = bytes[i] ?? 0;
    value += (b & 0x7f) * scale;
    if (value > max) return undefined;
    if (b < 0x80) return { value, next: i + 1 };
    scale *= 0x80;
  }
  return undefined;
}
