import { ByteSink } from './byte-sink.js';
import { BytesError } from './errors.js';
import { MLS_VARINT_MAX } from './limits.js';
import { LENGTH_PREFIX_MAX, type LengthPrefix } from './tls-length-prefix.js';

const UINT64_MAX = (1n << 64n) - 1n;

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new BytesError('OUT_OF_RANGE', `${what} out of range`);
  }
}

/**
 * Serializes structures in the TLS presentation language (RFC 8446 §3) with the MLS additions
 * (RFC 9420 §2.1). Methods append in call order and return the writer, so calls chain.
 * Out-of-range integers throw `OUT_OF_RANGE`; a body too long for its prefix throws `LENGTH_LIMIT`.
 */
export class TlsWriter {
  private readonly sink = new ByteSink();

  /** Appends a `uint8`. */
  uint8(value: number): this {
    checkUint(value, 0xff, 'uint8');
    this.sink.byte(value);
    return this;
  }

  /** Appends a big-endian `uint16`. */
  uint16(value: number): this {
    checkUint(value, 0xffff, 'uint16');
    this.sink.byte(value >>> 8);
    this.sink.byte(value & 0xff);
    return this;
  }

  /** Appends a big-endian `uint32`. */
  uint32(value: number): this {
    checkUint(value, 0xffff_ffff, 'uint32');
    this.sink.byte(value >>> 24);
    this.sink.byte((value >>> 16) & 0xff);
    this.sink.byte((value >>> 8) & 0xff);
    this.sink.byte(value & 0xff);
    return this;
  }

  /** Appends a big-endian `uint64`. */
  uint64(value: bigint): this {
    if (value < 0n || value > UINT64_MAX) {
      throw new BytesError('OUT_OF_RANGE', 'uint64 out of range');
    }
    this.uint32(Number(value >> 32n));
    return this.uint32(Number(value & 0xffff_ffffn));
  }

  /** Appends an MLS variable-length integer (RFC 9420 §2.1.2) in its shortest form. */
  varint(value: number): this {
    checkUint(value, MLS_VARINT_MAX, 'MLS varint');
    if (value < 0x40) {
      this.sink.byte(value);
    } else if (value < 0x4000) {
      this.sink.byte(0x40 | (value >>> 8));
      this.sink.byte(value & 0xff);
    } else {
      this.sink.byte(0x80 | (value >>> 24));
      this.sink.byte((value >>> 16) & 0xff);
      this.sink.byte((value >>> 8) & 0xff);
      this.sink.byte(value & 0xff);
    }
    return this;
  }

  /** Appends a fixed-length `opaque[N]`: the bytes alone, no prefix. */
  bytes(data: Uint8Array): this {
    this.sink.bytes(data);
    return this;
  }

  /** Appends a variable-length `opaque<V>`: its length under `prefix`, then the bytes. */
  opaque(prefix: LengthPrefix, data: Uint8Array): this {
    this.length(prefix, data.length);
    return this.bytes(data);
  }

  /** Appends whatever `body` writes, preceded by its byte length under `prefix`. */
  lengthPrefixed(prefix: LengthPrefix, body: (writer: TlsWriter) => void): this {
    const inner = new TlsWriter();
    body(inner);
    const encoded = inner.finish();
    this.opaque(prefix, encoded);
    encoded.fill(0);
    return this;
  }

  /** Appends a vector `T items<V>`: the byte length under `prefix`, then each item in order. */
  vector<T>(
    prefix: LengthPrefix,
    items: Iterable<T>,
    encodeItem: (writer: TlsWriter, item: T) => void,
  ): this {
    return this.lengthPrefixed(prefix, (inner) => {
      for (const item of items) encodeItem(inner, item);
    });
  }

  /** Appends an MLS `optional<T>` (RFC 9420 §2.1.3): `0`, or `1` followed by the value. */
  optional<T>(value: T | undefined, encode: (writer: TlsWriter, value: T) => void): this {
    if (value === undefined) return this.uint8(0);
    this.uint8(1);
    encode(this, value);
    return this;
  }

  /** Returns the encoding and resets the writer to empty (its working buffer is zeroed). */
  finish(): Uint8Array {
    return this.sink.finish();
  }

  private length(prefix: LengthPrefix, length: number): void {
    if (length > LENGTH_PREFIX_MAX[prefix]) {
      throw new BytesError('LENGTH_LIMIT', `${length} bytes do not fit a ${prefix} length prefix`);
    }
    if (prefix === 'u8') this.uint8(length);
    else if (prefix === 'u16') this.uint16(length);
    else if (prefix === 'u32') this.uint32(length);
    else this.varint(length);
  }
}
