import { BytesError } from './errors.js';
import { TLS_MAX_VECTOR_BYTES, TLS_MAX_VECTOR_ITEMS } from './limits.js';
import type { LengthPrefix } from './tls-length-prefix.js';

/** Limits for a {@link TlsReader}; both default to the constants in `limits.ts`. */
export interface TlsReaderOptions {
  /** Largest `opaque<V>` or vector body accepted, in bytes (default `TLS_MAX_VECTOR_BYTES`). */
  readonly maxVectorBytes?: number;
  /** Largest number of items accepted in one vector (default `TLS_MAX_VECTOR_ITEMS`). */
  readonly maxVectorItems?: number;
}

/**
 * Parses the TLS presentation language with the MLS additions, strictly: reading past the end,
 * a length prefix beyond the remaining bytes or the limits, a non-minimal or reserved varint and
 * leftover bytes in a length-prefixed body all throw a {@link BytesError}. Call `finish()` at the
 * end of a top-level structure. Returned byte strings are copies, never views of the input.
 */
export class TlsReader {
  private offset = 0;
  private base = 0;
  private readonly maxVectorBytes: number;
  private readonly maxVectorItems: number;

  /** Reads from `input`, which must not change while the reader is in use. */
  constructor(
    private readonly input: Uint8Array,
    options: TlsReaderOptions = {},
  ) {
    this.maxVectorBytes = options.maxVectorBytes ?? TLS_MAX_VECTOR_BYTES;
    this.maxVectorItems = options.maxVectorItems ?? TLS_MAX_VECTOR_ITEMS;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.input.length - this.offset;
  }

  /** Reads a `uint8`. */
  uint8(): number {
    return this.take(1)[0] ?? 0;
  }

  /** Reads a big-endian `uint16`. */
  uint16(): number {
    const b = this.take(2);
    return ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  }

  /** Reads a big-endian `uint32`. */
  uint32(): number {
    const b = this.take(4);
    return (b[0] ?? 0) * 0x100_0000 + (((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0));
  }

  /** Reads a big-endian `uint64`. */
  uint64(): bigint {
    const high = this.uint32();
    return (BigInt(high) << 32n) | BigInt(this.uint32());
  }

  /**
   * Reads an MLS variable-length integer (RFC 9420 §2.1.2). Throws `INVALID_VARINT` for the
   * reserved `0b11` prefix and `NON_MINIMAL_VARINT` unless the shortest encoding was used.
   */
  varint(): number {
    const at = this.base + this.offset;
    const first = this.uint8();
    const prefix = first >> 6;
    if (prefix === 3) throw new BytesError('INVALID_VARINT', `reserved varint prefix at ${at}`);
    let value = first & 0x3f;
    const extra = (1 << prefix) - 1;
    for (const b of this.take(extra)) value = value * 256 + b;
    const minimum = prefix === 0 ? 0 : prefix === 1 ? 0x40 : 0x4000;
    if (value < minimum) throw new BytesError('NON_MINIMAL_VARINT', `non-minimal varint at ${at}`);
    return value;
  }

  /** Reads a fixed-length `opaque[N]` of `length` bytes. */
  bytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0) {
      throw new BytesError('MISUSE', 'fixed length must be a non-negative integer');
    }
    return this.take(length).slice();
  }

  /** Reads a variable-length `opaque<V>` whose length is under `prefix`. */
  opaque(prefix: LengthPrefix): Uint8Array {
    return this.take(this.length(prefix)).slice();
  }

  /**
   * Reads a length-prefixed body with `decode`, which must consume it exactly (otherwise
   * `TRAILING_BYTES`), and returns what `decode` returns.
   */
  lengthPrefixed<T>(prefix: LengthPrefix, decode: (reader: TlsReader) => T): T {
    const length = this.length(prefix);
    const start = this.base + this.offset;
    const sub = new TlsReader(this.take(length), {
      maxVectorBytes: this.maxVectorBytes,
      maxVectorItems: this.maxVectorItems,
    });
    sub.base = start;
    const value = decode(sub);
    sub.finish();
    return value;
  }

  /**
   * Reads a vector `T items<V>`, calling `decodeItem` until its body is used up. Throws
   * `LENGTH_LIMIT` past `maxVectorItems` items, and `MISUSE` if `decodeItem` reads nothing.
   */
  vector<T>(prefix: LengthPrefix, decodeItem: (reader: TlsReader) => T): T[] {
    return this.lengthPrefixed(prefix, (sub) => {
      const items: T[] = [];
      while (sub.remaining > 0) {
        if (items.length >= this.maxVectorItems) {
          throw new BytesError('LENGTH_LIMIT', `vector has more than ${this.maxVectorItems} items`);
        }
        const before = sub.offset;
        items.push(decodeItem(sub));
        if (sub.offset === before) {
          throw new BytesError('MISUSE', 'vector item decoder read nothing');
        }
      }
      return items;
    });
  }

  /** Reads an MLS `optional<T>`: a presence byte that must be 0 or 1, then the value if 1. */
  optional<T>(decode: (reader: TlsReader) => T): T | undefined {
    const at = this.base + this.offset;
    const present = this.uint8();
    if (present === 0) return undefined;
    if (present !== 1) throw new BytesError('INVALID_ENCODING', `invalid optional flag at ${at}`);
    return decode(this);
  }

  /**
   * Runs `decode` and also returns the exact bytes it consumed (a copy), for signatures and MACs
   * that must be checked over the bytes as received rather than over a re-encoding.
   */
  capture<T>(decode: (reader: TlsReader) => T): { readonly value: T; readonly bytes: Uint8Array } {
    const start = this.offset;
    const value = decode(this);
    return { value, bytes: this.input.slice(start, this.offset) };
  }

  /** Throws `TRAILING_BYTES` if any input is left unread. */
  finish(): void {
    if (this.remaining !== 0) {
      throw new BytesError(
        'TRAILING_BYTES',
        `${this.remaining} unread bytes at ${this.base + this.offset}`,
      );
    }
  }

  private fixedUint(prefix: 'u8' | 'u16' | 'u32'): number {
    if (prefix === 'u8') return this.uint8();
    return prefix === 'u16' ? this.uint16() : this.uint32();
  }

  private take(length: number): Uint8Array {
    if (length > this.remaining) {
      throw new BytesError(
        'TRUNCATED',
        `need ${length} bytes at ${this.base + this.offset}, ${this.remaining} remain`,
      );
    }
    const start = this.offset;
    this.offset += length;
    return this.input.subarray(start, this.offset);
  }

  private length(prefix: LengthPrefix): number {
    const length = prefix === 'varint' ? this.varint() : this.fixedUint(prefix);
    if (length > this.maxVectorBytes) {
      throw new BytesError(
        'LENGTH_LIMIT',
        `vector of ${length} bytes exceeds ${this.maxVectorBytes}`,
      );
    }
    return length;
  }
}
