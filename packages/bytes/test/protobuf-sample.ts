import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BytesError, ProtoReader, ProtoWriter, WireType, fromHex, toHex } from '../src/index.js';
import type { ProtoVectorField } from './vectors/protobuf-encoding.js';

/** Writes fields described as vector data. */
export function writeFields(writer: ProtoWriter, fields: readonly ProtoVectorField[]): ProtoWriter {
  for (const f of fields) {
    switch (f.type) {
      case 'uint32':
        writer.uint32(f.field, f.value);
        break;
      case 'uint64':
        writer.uint64(f.field, f.value);
        break;
      case 'bool':
        writer.bool(f.field, f.value);
        break;
      case 'fixed32':
        writer.fixed32(f.field, f.value);
        break;
      case 'fixed64':
        writer.fixed64(f.field, f.value);
        break;
      case 'string':
        writer.string(f.field, f.value);
        break;
      case 'bytes':
        writer.bytes(f.field, fromHex(f.hex));
        break;
      case 'message':
        writer.message(f.field, (inner) => writeFields(inner, f.fields));
        break;
    }
  }
  return writer;
}

/** Reads a message and checks it holds exactly `expected`, in order. */
export function assertFields(reader: ProtoReader, expected: readonly ProtoVectorField[]): void {
  const fields = [...reader];
  assert.equal(fields.length, expected.length);
  expected.forEach((e, i) => {
    const f = fields[i];
    assert.ok(f !== undefined);
    assert.equal(f.fieldNumber, e.field);
    switch (e.type) {
      case 'uint32':
        assert.equal(f.uint32(), e.value);
        break;
      case 'uint64':
        assert.equal(f.uint64(), e.value);
        break;
      case 'bool':
        assert.equal(f.bool(), e.value);
        break;
      case 'fixed32':
        assert.equal(f.fixed32(), e.value);
        break;
      case 'fixed64':
        assert.equal(f.fixed64(), e.value);
        break;
      case 'string':
        assert.equal(f.string(), e.value);
        break;
      case 'bytes':
        assert.equal(toHex(f.bytes()), e.hex);
        break;
      case 'message':
        assertFields(f.message(), e.fields);
        break;
    }
  });
}

/**
 * Reads every field of a message with every getter that matches its wire type, descending into
 * length-delimited fields that parse as messages, up to `depth` levels. Throws only BytesError
 * for bad input.
 */
export function walkMessage(reader: ProtoReader, depth: number): void {
  for (const field of reader) {
    const attempt = (fn: () => unknown): void => {
      try {
        fn();
      } catch (error) {
        if (!(error instanceof BytesError)) throw error;
      }
    };
    switch (field.wireType) {
      case WireType.Varint:
        attempt(() => field.uint32());
        attempt(() => field.bool());
        field.uint64();
        break;
      case WireType.Fixed64:
        field.fixed64();
        break;
      case WireType.Fixed32:
        field.fixed32();
        break;
      case WireType.LengthDelimited:
        field.bytes();
        attempt(() => field.string());
        if (depth > 0) attempt(() => walkMessage(field.message(), depth - 1));
        break;
    }
  }
}

const fieldNumber = fc.oneof(
  fc.integer({ min: 1, max: 20 }),
  fc.integer({ min: 1, max: 0x1fffffff }),
);

const leaf: fc.Arbitrary<ProtoVectorField> = fc.oneof(
  fc.record({
    field: fieldNumber,
    type: fc.constant('uint32'),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({
    field: fieldNumber,
    type: fc.constant('uint64'),
    value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
  fc.record({ field: fieldNumber, type: fc.constant('bool'), value: fc.boolean() }),
  fc.record({
    field: fieldNumber,
    type: fc.constant('fixed32'),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({
    field: fieldNumber,
    type: fc.constant('fixed64'),
    value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  }),
  fc.record({
    field: fieldNumber,
    type: fc.constant('string'),
    value: fc.string({ unit: 'binary', maxLength: 20 }),
  }),
  fc.record({
    field: fieldNumber,
    type: fc.constant('bytes'),
    hex: fc.uint8Array({ maxLength: 200 }).map((b) => toHex(b)),
  }),
);

/** Arbitrary messages of up to three levels. */
export const messageFields: fc.Arbitrary<ProtoVectorField[]> = fc.letrec<{
  fields: ProtoVectorField[];
  field: ProtoVectorField;
}>((tie) => ({
  fields: fc.array(tie('field'), { maxLength: 6 }),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ field: fieldNumber, type: fc.constant('message'), fields: tie('fields') }),
  ),
})).fields;
