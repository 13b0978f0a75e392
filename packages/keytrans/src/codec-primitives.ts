import { BytesError, TlsReader, TlsWriter } from '@parley/bytes';
import { KeyTransError } from './errors.js';
import {
  MAX_LABEL_BYTES,
  MAX_RESPONSE_BYTES,
  MAX_TIMESTAMP,
  MAX_TREE_SIZE,
  MAX_VALUE_BYTES,
  MAX_VERSION,
} from './limits.js';
import { HASH_LENGTH } from './suite.js';

/**
 * The presentation-language pieces every -05 structure is made of. Vectors are prefixed by
 * their element count in as many bytes as the maximum count needs (the working group's reading
 * of `T items<0..2^8-1>`, stated after -05 and used by the draft author's implementation: a
 * byte-length prefix would cap a binary ladder at three steps); for `opaque` the two coincide.
 */

export type CountPrefix = 'u8' | 'u16' | 'u32';

const COUNT_MAX: Readonly<Record<CountPrefix, number>> = {
  u8: 0xff,
  u16: 0xffff,
  u32: 0xffff_ffff,
};

/** Writes a count-prefixed vector. */
export function writeList<T>(
  writer: TlsWriter,
  prefix: CountPrefix,
  items: readonly T[],
  encode: (writer: TlsWriter, item: T) => void,
): void {
  if (items.length > COUNT_MAX[prefix]) {
    throw new KeyTransError('LIMIT_EXCEEDED', `${items.length} items do not fit a ${prefix} count`);
  }
  writeCount(writer, prefix, items.length);
  for (const item of items) encode(writer, item);
}

function writeCount(writer: TlsWriter, prefix: CountPrefix, count: number): void {
  if (prefix === 'u8') writer.uint8(count);
  else if (prefix === 'u16') writer.uint16(count);
  else writer.uint32(count);
}

/** Reads a count-prefixed vector. Items are read one by one, so a huge count fails on the input's end. */
export function readList<T>(
  reader: TlsReader,
  prefix: CountPrefix,
  decode: (reader: TlsReader) => T,
): T[] {
  const count =
    prefix === 'u8' ? reader.uint8() : prefix === 'u16' ? reader.uint16() : reader.uint32();
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(decode(reader));
  return out;
}

/** Writes a uint64 held as a number. */
export function writeU64(writer: TlsWriter, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new KeyTransError('MISUSE', 'uint64 out of range');
  writer.uint64(BigInt(value));
}

/** Reads a uint64 that must not exceed `max`. */
export function readU64(reader: TlsReader, max: number, what: string): number {
  const value = reader.uint64();
  if (value > BigInt(max)) throw new KeyTransError('LIMIT_EXCEEDED', `${what} is too large`);
  return Number(value);
}

/** A position or tree size. */
export const readPosition = (reader: TlsReader): number =>
  readU64(reader, MAX_TREE_SIZE, 'position');
/** A timestamp in milliseconds. */
export const readTimestamp = (reader: TlsReader): number =>
  readU64(reader, MAX_TIMESTAMP, 'timestamp');

export function readVersion(reader: TlsReader): number {
  const v = reader.uint32();
  if (v > MAX_VERSION) throw new KeyTransError('MALFORMED', 'version out of range');
  return v;
}

export function readHash(reader: TlsReader): Uint8Array {
  return reader.bytes(HASH_LENGTH);
}

export function writeHash(writer: TlsWriter, value: Uint8Array): void {
  if (value.length !== HASH_LENGTH)
    throw new KeyTransError('MISUSE', 'hash value must be 32 bytes');
  writer.bytes(value);
}

export function writeLabel(writer: TlsWriter, label: Uint8Array): void {
  if (label.length > MAX_LABEL_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'label is too long');
  writer.opaque('u8', label);
}

export const readLabel = (reader: TlsReader): Uint8Array => reader.opaque('u8');

export function writeValue(writer: TlsWriter, value: Uint8Array): void {
  if (value.length > MAX_VALUE_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'value is too long');
  writer.opaque('u32', value);
}

export function readValue(reader: TlsReader): Uint8Array {
  const value = reader.opaque('u32');
  if (value.length > MAX_VALUE_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'value is too long');
  return value;
}

/** `optional<T>`: a presence octet other than 0 or 1 is MALFORMED (-05 §2.1). */
export function readOptional<T>(
  reader: TlsReader,
  decode: (reader: TlsReader) => T,
): T | undefined {
  const present = reader.uint8();
  if (present === 0) return undefined;
  if (present !== 1) throw new KeyTransError('MALFORMED', 'presence octet is neither 0 nor 1');
  return decode(reader);
}

export function writeOptional<T>(
  writer: TlsWriter,
  value: T | undefined,
  encode: (writer: TlsWriter, value: T) => void,
): void {
  writer.optional(value, encode);
}

/** Encodes with `body` and returns the bytes. */
export function encode(body: (writer: TlsWriter) => void): Uint8Array {
  const writer = new TlsWriter();
  body(writer);
  return writer.finish();
}

/**
 * Decodes a whole top-level structure: every byte must be consumed, every failure is a
 * {@link KeyTransError} (`MALFORMED` unless a limit was hit).
 */
export function decode<T>(bytes: Uint8Array, body: (reader: TlsReader) => T): T {
  if (bytes.length > MAX_RESPONSE_BYTES)
    throw new KeyTransError('LIMIT_EXCEEDED', 'message is too large');
  try {
    const reader = new TlsReader(bytes, { maxVectorBytes: MAX_RESPONSE_BYTES });
    const value = body(reader);
    reader.finish();
    return value;
  } catch (error) {
    if (error instanceof KeyTransError) throw error;
    if (error instanceof BytesError) {
      throw new KeyTransError('MALFORMED', `malformed message: ${error.code}`);
    }
    throw error;
  }
}
