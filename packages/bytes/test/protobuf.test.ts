import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, ProtoReader, ProtoWriter, WireType } from '../src/index.js';
import { assertFields, messageFields, writeFields } from './protobuf-sample.js';
import { assertBytesError, SEED } from './support.js';

function firstField(hex: string): ReturnType<ProtoReader['next']> {
  return new ProtoReader(fromHex(hex)).next();
}

function readAll(hex: string): void {
  const reader = new ProtoReader(fromHex(hex));
  while (reader.next() !== undefined) {
    // read to the end; only the throw matters
  }
}

test('protobuf reader: empty input has no fields', () => {
  assert.equal(new ProtoReader(new Uint8Array(0)).next(), undefined);
});

test('protobuf reader: truncated input throws TRUNCATED', () => {
  for (const hex of ['08', '0896', '0a', '0a05010203', '09010203', '0d0102', '80']) {
    assertBytesError(() => readAll(hex), 'TRUNCATED');
  }
});

test('protobuf reader: varints over 10 bytes or 64 bits throw INVALID_VARINT', () => {
  assertBytesError(() => readAll(`08${'ff'.repeat(10)}01`), 'INVALID_VARINT');
  assertBytesError(() => readAll(`08${'ff'.repeat(9)}02`), 'INVALID_VARINT');
  assertBytesError(() => readAll(`08${'80'.repeat(10)}00`), 'INVALID_VARINT');
});

test('protobuf reader: uint32 rejects more than 5 bytes or values above 2^32 − 1', () => {
  assertBytesError(() => firstField('08808080808000')?.uint32(), 'INVALID_VARINT');
  assertBytesError(() => firstField('088080808010')?.uint32(), 'OUT_OF_RANGE');
  assert.equal(firstField('088080808010')?.uint64(), 1n << 32n);
  assert.equal(firstField('08ffffffff0f')?.uint32(), 0xffffffff);
  assert.equal(firstField('088100')?.uint32(), 1);
});

test('protobuf reader: field number 0 throws INVALID_FIELD_NUMBER', () => {
  for (const hex of ['0001', '0200', '0500000000']) {
    assertBytesError(() => readAll(hex), 'INVALID_FIELD_NUMBER');
  }
});

test('protobuf reader: groups and unknown wire types throw INVALID_WIRE_TYPE', () => {
  for (const hex of ['0b', '0c', '0e', '0f', '1b0c']) {
    assertBytesError(() => readAll(hex), 'INVALID_WIRE_TYPE');
  }
});

test('protobuf reader: tags over 5 bytes or 32 bits are rejected', () => {
  assertBytesError(() => readAll('888080808000'), 'INVALID_VARINT');
  assertBytesError(() => readAll('f8ffffff1f00'), 'OUT_OF_RANGE');
});

test('protobuf reader: length prefixes over 5 bytes or 32 bits are rejected', () => {
  assertBytesError(() => readAll('0a808080808000'), 'INVALID_VARINT');
  assertBytesError(() => readAll('0a8080808010'), 'OUT_OF_RANGE');
});

test('protobuf reader: a getter of the wrong wire type throws INVALID_WIRE_TYPE', () => {
  const varint = firstField('0801');
  assertBytesError(() => varint?.bytes(), 'INVALID_WIRE_TYPE');
  assertBytesError(() => varint?.fixed32(), 'INVALID_WIRE_TYPE');
  const bytes = firstField('0a0101');
  assertBytesError(() => bytes?.uint32(), 'INVALID_WIRE_TYPE');
  assertBytesError(() => bytes?.fixed64(), 'INVALID_WIRE_TYPE');
  assertBytesError(() => firstField('0d01000000')?.string(), 'INVALID_WIRE_TYPE');
});

test('protobuf reader: bool accepts only 0 and 1; string must be UTF-8', () => {
  assertBytesError(() => firstField('0802')?.bool(), 'OUT_OF_RANGE');
  assertBytesError(() => firstField('0a02c328')?.string(), 'INVALID_ENCODING');
});

test('protobuf reader: unknown fields of every wire type are skipped', () => {
  const bytes = fromHex(
    '0801' + 'f8060a' + 'f9060102030405060708' + 'fa0603aabbcc' + 'fd0601020304' + '1002',
  );
  const known: number[] = [];
  for (const field of new ProtoReader(bytes)) {
    if (field.fieldNumber === 1 || field.fieldNumber === 2) known.push(field.uint32());
  }
  assert.deepEqual(known, [1, 2]);
});

test('protobuf reader: repeated fields are reported once per occurrence', () => {
  const fields = [...new ProtoReader(fromHex('080108020803'))].map((f) => f.uint32());
  assert.deepEqual(fields, [1, 2, 3]);
});

test('protobuf reader: bytes() is a copy and message() reads the payload', () => {
  const input = fromHex('0a03089601');
  const field = new ProtoReader(input).next();
  const copy = field?.bytes();
  assert.ok(copy);
  copy[0] = 0;
  assert.equal(input[2], 0x08);
  assert.equal(field?.message().next()?.uint32(), 150);
});

test('protobuf writer: invalid field numbers and values throw', () => {
  const w = new ProtoWriter();
  for (const field of [0, -1, 1.5, 2 ** 29]) {
    assertBytesError(() => w.uint32(field, 1), 'INVALID_FIELD_NUMBER');
  }
  assertBytesError(() => w.uint32(1, -1), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint32(1, 2 ** 32), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint64(1, -1n), 'OUT_OF_RANGE');
  assertBytesError(() => w.fixed32(1, 2 ** 32), 'OUT_OF_RANGE');
  assertBytesError(() => w.fixed64(1, 1n << 64n), 'OUT_OF_RANGE');
  assertBytesError(() => w.string(1, '\ud800'), 'INVALID_ENCODING');
  assert.equal(w.finish().length, 0);
});

test('protobuf writer: fields come out in call order', () => {
  const bytes = new ProtoWriter().uint32(2, 1).uint32(1, 1).finish();
  assert.deepEqual(bytes, fromHex('10010801'));
});

test('protobuf round trip of random messages, nested, in any field order', () => {
  fc.assert(
    fc.property(messageFields, (fields) => {
      const bytes = writeFields(new ProtoWriter(), fields).finish();
      assertFields(new ProtoReader(bytes), fields);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test('protobuf reader reports wire types as written', () => {
  const bytes = new ProtoWriter()
    .uint32(1, 0)
    .fixed64(2, 0n)
    .bytes(3, new Uint8Array(0))
    .fixed32(4, 0)
    .finish();
  assert.deepEqual(
    [...new ProtoReader(bytes)].map((f) => f.wireType),
    [WireType.Varint, WireType.Fixed64, WireType.LengthDelimited, WireType.Fixed32],
  );
});
