import { ByteSink } from './byte-sink.js';
import { BytesError } from './errors.js';
import { PROTOBUF_MAX_FIELD_NUMBER } from './limits.js';
import { WireType } from './protobuf-wire-type.js';
import { utf8Encode } from './utf8.js';

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Writes protobuf fields in exactly the order they are called. libsignal (prost) emits fields in
 * ascending field number, and byte-identical output needs the same, so write them in that
 * order. Nothing is omitted: proto3 leaves out fields equal to their default, so skip those
 * calls where the message definition requires it.
 */
export class ProtoWriter {
  private readonly sink = new ByteSink();

  /** A `uint32` (or enum) field as a varint. */
  uint32(field: number, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new BytesError('OUT_OF_RANGE', `field ${field}: uint32 out of range`);
    }
    this.tag(field, WireType.Varint);
    this.varint(value);
    return this;
  }

  /** A `uint64` field as a varint. */
  uint64(field: number, value: bigint): this {
    if (value < 0n || value > UINT64_MAX) {
      throw new BytesError('OUT_OF_RANGE', `field ${field}: uint64 out of range`);
    }
    this.tag(field, WireType.Varint);
    let rest = value;
    while (rest >= 0x80n) {
      this.sink.byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.sink.byte(Number(rest));
    return this;
  }

  /** A `bool` field (varint 0 or 1). */
  bool(field: number, value: boolean): this {
    return this.uint32(field, value ? 1 : 0);
  }

  /** A `fixed32` field (little-endian). */
  fixed32(field: number, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new BytesError('OUT_OF_RANGE', `field ${field}: fixed32 out of range`);
    }
    this.tag(field, WireType.Fixed32);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value, true);
    this.sink.bytes(out);
    return this;
  }

  /** A `fixed64` field (little-endian). */
  fixed64(field: number, value: bigint): this {
    if (value < 0n || value > UINT64_MAX) {
      throw new BytesError('OUT_OF_RANGE', `field ${field}: fixed64 out of range`);
    }
    this.tag(field, WireType.Fixed64);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value, true);
    this.sink.bytes(out);
    return this;
  }

  /** A `bytes` field (an embedded message already encoded also goes here). */
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.varint(data.length);
    this.sink.bytes(data);
    return this;
  }

  /** A `string` field, UTF-8 encoded (`INVALID_ENCODING` for a lone surrogate). */
  string(field: number, text: string): this {
    return this.bytes(field, utf8Encode(text));
  }

  /** An embedded message field whose content `body` writes. */
  message(field: number, body: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    body(inner);
    const encoded = inner.finish();
    this.bytes(field, encoded);
    encoded.fill(0);
    return this;
  }

  /** Returns the encoding and resets the writer to empty (its working buffer is zeroed). */
  finish(): Uint8Array {
    return this.sink.finish();
  }

  private tag(field: number, wireType: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > PROTOBUF_MAX_FIELD_NUMBER) {
      throw new BytesError('INVALID_FIELD_NUMBER', `field number ${field} out of range`);
    }
    this.varint(field * 8 + wireType);
  }

  private varint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.sink.byte((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    this.sink.byte(rest);
  }
}
