import { BytesError, TlsReader, TlsWriter } from '@parley/bytes';
import { MlsError } from './errors.js';

/**
 * Helpers shared by the MLS structure codecs: every MLS vector has a varint length (RFC 9420
 * §2.1.2), and decoding failures from `@parley/bytes` become `INVALID_ENCODING`.
 */

/** A value written by `write` into a fresh writer. */
export function encodeWith<T>(value: T, write: (w: TlsWriter, value: T) => void): Uint8Array {
  const w = new TlsWriter();
  write(w, value);
  return w.finish();
}

/**
 * Decodes all of `bytes` with `read`. Any decoding failure (truncation, trailing bytes, a bad
 * varint) is reported as `MlsError('INVALID_ENCODING')` naming `what`.
 */
export function decodeWith<T>(bytes: Uint8Array, what: string, read: (r: TlsReader) => T): T {
  try {
    const r = new TlsReader(bytes);
    const value = read(r);
    r.finish();
    return value;
  } catch (error) {
    if (error instanceof BytesError) {
      throw new MlsError('INVALID_ENCODING', `${what}: ${error.message}`);
    }
    throw error;
  }
}

/** Throws `INVALID_ENCODING` for an enum value outside `allowed`. */
export function checkEnum<T extends number>(value: number, allowed: readonly T[], what: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new MlsError('INVALID_ENCODING', `unknown ${what} ${value}`);
  return found;
}

/** Writes `opaque data<V>`. */
export function writeOpaque(w: TlsWriter, data: Uint8Array): void {
  w.opaque('varint', data);
}

/** Reads `opaque data<V>`. */
export function readOpaque(r: TlsReader): Uint8Array {
  return r.opaque('varint');
}

/** Writes a `uint16 items<V>` list. */
export function writeUint16List(w: TlsWriter, items: readonly number[]): void {
  w.vector('varint', items, (iw, item) => iw.uint16(item));
}

/** Reads a `uint16 items<V>` list. */
export function readUint16List(r: TlsReader): number[] {
  return r.vector('varint', (ir) => ir.uint16());
}
