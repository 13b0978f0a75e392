import { BytesError } from './errors.js';

/** Joins byte strings into one new array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Throws `INVALID_LENGTH` unless `bytes` is exactly `length` bytes long. `what` names the value
 * in the error message (for example `'identity key'`).
 */
export function assertLength(bytes: Uint8Array, length: number, what = 'value'): void {
  if (bytes.length !== length) {
    throw new BytesError('INVALID_LENGTH', `${what} must be ${length} bytes, got ${bytes.length}`);
  }
}

/** Throws `INVALID_LENGTH` unless `a` and `b` have the same length. */
export function assertSameLength(a: Uint8Array, b: Uint8Array, what = 'values'): void {
  if (a.length !== b.length) {
    throw new BytesError('INVALID_LENGTH', `${what} differ in length: ${a.length} and ${b.length}`);
  }
}

/**
 * Compares two byte strings without an early exit on content, for MACs, tags and other secrets.
 * Lengths are treated as public: different lengths return `false` at once.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** True when every byte is zero, without an early exit (for secrets such as DH outputs). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/**
 * Overwrites each array with zeros. JavaScript gives no guarantee that no other copy exists (the
 * engine may have moved or copied it), so this limits exposure rather than ending it.
 */
export function zeroize(...buffers: readonly Uint8Array[]): void {
  for (const buffer of buffers) buffer.fill(0);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new BytesError('OUT_OF_RANGE', `${what} out of range`);
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Big-endian encoding of an unsigned 16-bit integer; throws `OUT_OF_RANGE` otherwise. */
export function uint16BE(value: number): Uint8Array {
  checkUint(value, 0xffff, 'uint16');
  return Uint8Array.of(value >>> 8, value & 0xff);
}

/** Big-endian encoding of an unsigned 32-bit integer; throws `OUT_OF_RANGE` otherwise. */
export function uint32BE(value: number): Uint8Array {
  checkUint(value, 0xffff_ffff, 'uint32');
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

/** Big-endian encoding of an unsigned 64-bit integer; throws `OUT_OF_RANGE` otherwise. */
export function uint64BE(value: bigint): Uint8Array {
  if (value < 0n || value > UINT64_MAX) throw new BytesError('OUT_OF_RANGE', 'uint64 out of range');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

function view(bytes: Uint8Array, offset: number, size: number): DataView {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > bytes.length) {
    throw new BytesError('TRUNCATED', `need ${size} bytes at offset ${offset} of ${bytes.length}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset + offset, size);
}

/** Reads a big-endian uint16 at `offset`; throws `TRUNCATED` if the bytes are not there. */
export function readUint16BE(bytes: Uint8Array, offset = 0): number {
  return view(bytes, offset, 2).getUint16(0);
}

/** Reads a big-endian uint32 at `offset`; throws `TRUNCATED` if the bytes are not there. */
export function readUint32BE(bytes: Uint8Array, offset = 0): number {
  return view(bytes, offset, 4).getUint32(0);
}

/** Reads a big-endian uint64 at `offset`; throws `TRUNCATED` if the bytes are not there. */
export function readUint64BE(bytes: Uint8Array, offset = 0): bigint {
  return view(bytes, offset, 8).getBigUint64(0);
}
