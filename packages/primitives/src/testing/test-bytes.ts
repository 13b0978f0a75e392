/**
 * Byte helpers for the conformance suite. Kept here rather than borrowed from `@parley/bytes` so
 * the suite depends on nothing but the interface it checks.
 */

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes hexadecimal, either case; throws on odd length or a non-hex character. */
export function hex(text: string): Uint8Array {
  if (!HEX_PATTERN.test(text)) throw new Error('test vector is not valid hex');
  return Uint8Array.from({ length: text.length / 2 }, (_, i) =>
    Number.parseInt(text.slice(2 * i, 2 * i + 2), 16),
  );
}

/** Lowercase hexadecimal. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** The bytes of a string of printable ASCII (the only text the vectors use). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e) throw new Error('ascii() takes ASCII only');
    out[i] = code;
  }
  return out;
}

/** `length` copies of `byte`. */
export function repeat(byte: number, length: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

/** The bytes start, start + 1, … (mod 256): the counting inputs RFC 5869 uses. */
export function counting(start: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/** Concatenation. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte-wise equality. Not constant time: test data only. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Index of the first differing byte, or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** A copy of `bytes` with bit `bit` (0 = least significant bit of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const index = bit >> 3;
  out[index] = (out[index] ?? 0) ^ (1 << (bit & 7));
  return out;
}

/** True when every byte is zero. */
export function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}
