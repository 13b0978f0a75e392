import { BytesError } from './errors.js';
import { PROTOBUF_MAX_VARINT32_BYTES, PROTOBUF_MAX_VARINT_BYTES } from './limits.js';
import { WireType } from './protobuf-wire-type.js';
import { utf8Decode } from './utf8.js';

const WIRE_NAMES: Readonly<Record<WireType, string>> = {
  0: 'varint',
  1: 'fixed64',
  2: 'length-delimited',
  5: 'fixed32',
};

/**
 * One field as read from the wire. The reader has already checked its framing; the typed
 * getters check that the wire type matches (`INVALID_WIRE_TYPE`) and that the value fits.
 */
export interface ProtoField {
  /** The field number, 1 to 2^29 − 1. */
  readonly fieldNumber: number;
  /** How the value was encoded on the wire. */
  readonly wireType: WireType;
  /** A `uint32` (or enum) value. Varints longer than 5 bytes or above 2^32 − 1 are rejected. */
  uint32(): number;
  /** A `uint64` value. */
  uint64(): bigint;
  /** A `bool`; only the values 0 and 1 are accepted. */
  bool(): boolean;
  /** A `fixed32` value (little-endian). */
  fixed32(): number;
  /** A `fixed64` value (little-endian). */
  fixed64(): bigint;
  /** A `bytes` value, as a copy. */
  bytes(): Uint8Array;
  /** A `string` value, decoded as strict UTF-8 (`INVALID_ENCODING` otherwise). */
  string(): string;
  /** An embedded message, as a reader over its bytes (a view of the input, not a copy). */
  message(): ProtoReader;
}

/** A field whose `value` holds the varint bytes, the 8 or 4 fixed bytes, or the payload. */
class WireField implements ProtoField {
  constructor(
    readonly fieldNumber: number,
    readonly wireType: WireType,
    private readonly value: Uint8Array,
  ) {}

  uint32(): number {
    this.expect(WireType.Varint);
    if (this.value.length > PROTOBUF_MAX_VARINT32_BYTES) {
      throw new BytesError(
        'INVALID_VARINT',
        `field ${this.fieldNumber}: varint too long for uint32`,
      );
    }
    let result = 0;
    for (let i = 0; i < this.value.length; i++) result += ((this.value[i] ?? 0) & 0x7f) * 128 ** i;
    if (result > 0xffff_ffff) {
      throw new BytesError('OUT_OF_RANGE', `field ${this.fieldNumber}: value exceeds uint32`);
    }
    return result;
  }

  uint64(): bigint {
    this.expect(WireType.Varint);
    let result = 0n;
    for (let i = this.value.length - 1; i >= 0; i--) {
      result = (result << 7n) | BigInt((this.value[i] ?? 0) & 0x7f);
    }
    return result;
  }

  bool(): boolean {
    const value = this.uint64();
    if (value > 1n) throw new BytesError('OUT_OF_RANGE', `field ${this.fieldNumber}: not a bool`);
    return value === 1n;
  }

  fixed32(): number {
    this.expect(WireType.Fixed32);
    return new DataView(this.value.buffer, this.value.byteOffset, 4).getUint32(0, true);
  }

  fixed64(): bigint {
    this.expect(WireType.Fixed64);
    return new DataView(this.value.buffer, this.value.byteOffset, 8).getBigUint64(0, true);
  }

  bytes(): Uint8Array {
    this.expect(WireType.LengthDelimited);
    return this.value.slice();
  }

  string(): string {
    this.expect(WireType.LengthDelimited);
    return utf8Decode(this.value);
  }

  message(): ProtoReader {
    this.expect(WireType.LengthDelimited);
    return new ProtoReader(this.value);
  }

  private expect(wireType: WireType): void {
    if (this.wireType !== wireType) {
      const expected = WIRE_NAMES[wireType];
      const got = WIRE_NAMES[this.wireType];
      throw new BytesError(
        'INVALID_WIRE_TYPE',
        `field ${this.fieldNumber}: ${got}, not ${expected}`,
      );
    }
  }
}

/**
 * Reads protobuf fields (proto2 and proto3 share the wire format) in wire order, unknown ones
 * included; callers ignore the field numbers they do not know. Truncated input, varints over 10
 * bytes or 64 bits, tags over 5 bytes, field number 0, groups and unknown wire types throw a
 * {@link BytesError}. Repeated fields are reported once per occurrence; what a duplicate of a
 * singular field means (protobuf says the last wins) is the caller's decision. Packed repeated
 * scalars are not decoded. After a throw, discard the reader.
 *
 * @example
 * for (const field of new ProtoReader(bytes)) {
 *   if (field.fieldNumber === 1) key = field.bytes();
 *   else if (field.fieldNumber === 2) counter = field.uint32();
 * }
 */
export class ProtoReader implements Iterable<ProtoField> {
  private offset = 0;

  /** Reads from `input`, which must not change while the reader or its fields are in use. */
  constructor(private readonly input: Uint8Array) {}

  /** The next field, or `undefined` once the input is used up exactly. */
  next(): ProtoField | undefined {
    if (this.offset === this.input.length) return undefined;
    const tagAt = this.offset;
    const tag = this.varint32('tag');
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (fieldNumber === 0) {
      throw new BytesError('INVALID_FIELD_NUMBER', `field number 0 at ${tagAt}`);
    }
    switch (wireType) {
      case WireType.Varint: {
        const start = this.offset;
        this.skipVarint();
        return new WireField(fieldNumber, WireType.Varint, this.input.subarray(start, this.offset));
      }
      case WireType.Fixed64:
        return new WireField(fieldNumber, WireType.Fixed64, this.take(8));
      case WireType.LengthDelimited: {
        const length = this.varint32('length');
        return new WireField(fieldNumber, WireType.LengthDelimited, this.take(length));
      }
      case WireType.Fixed32:
        return new WireField(fieldNumber, WireType.Fixed32, this.take(4));
      default:
        throw new BytesError('INVALID_WIRE_TYPE', `field ${fieldNumber}: wire type ${wireType}`);
    }
  }

  /** Iterates over the remaining fields. */
  *[Symbol.iterator](): Iterator<ProtoField> {
    for (let field = this.next(); field !== undefined; field = this.next()) yield field;
  }

  private byte(): number {
    const b = this.input[this.offset];
    if (b === undefined) {
      throw new BytesError('TRUNCATED', `input ends inside a varint at ${this.offset}`);
    }
    this.offset++;
    return b;
  }

  private skipVarint(): void {
    const start = this.offset;
    for (let i = 0; i < PROTOBUF_MAX_VARINT_BYTES; i++) {
      const b = this.byte();
      if (b < 0x80) {
        if (i === PROTOBUF_MAX_VARINT_BYTES - 1 && b > 1) {
          throw new BytesError('INVALID_VARINT', `varint exceeds 64 bits at ${start}`);
        }
        return;
      }
    }
    throw new BytesError('INVALID_VARINT', `varint longer than 10 bytes at ${start}`);
  }

  private varint32(what: string): number {
    const start = this.offset;
    let result = 0;
    for (let i = 0; i < PROTOBUF_MAX_VARINT32_BYTES; i++) {
      const b = this.byte();
      result += (b & 0x7f) * 128 ** i;
      if (b < 0x80) {
        if (result > 0xffff_ffff) {
          throw new BytesError('OUT_OF_RANGE', `${what} exceeds 32 bits at ${start}`);
        }
        return result;
      }
    }
    throw new BytesError('INVALID_VARINT', `${what} varint longer than 5 bytes at ${start}`);
  }

  private take(length: number): Uint8Array {
    const remaining = this.input.length - this.offset;
    if (length > remaining) {
      throw new BytesError(
        'TRUNCATED',
        `need ${length} bytes at ${this.offset}, ${remaining} remain`,
      );
    }
    const start = this.offset;
    this.offset += length;
    return this.input.subarray(start, this.offset);
  }
}
