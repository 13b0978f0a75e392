import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, TlsReader, TlsWriter, toHex } from '../src/index.js';
import { decodeSample, encodeSample, sampleArbitrary } from './tls-sample.js';
import { assertBytesError, SEED } from './support.js';

test('TLS writer: known encoding of every operation (RFC 8446 §3, RFC 9420 §2.1)', () => {
  const hex = toHex(
    new TlsWriter()
      .uint8(1)
      .uint16(0x0203)
      .uint32(0x04050607)
      .uint64(0x08090a0b0c0d0e0fn)
      .bytes(fromHex('aabb'))
      .opaque('u8', fromHex('cc'))
      .opaque('u16', fromHex('dd'))
      .opaque('u32', fromHex('ee'))
      .opaque('varint', new Uint8Array(64))
      .vector('varint', [1, 2], (w, n) => w.uint16(n))
      .optional(undefined, (w, n: number) => w.uint8(n))
      .optional(5, (w, n) => w.uint8(n))
      .finish(),
  );
  const expected =
    '01' +
    '0203' +
    '04050607' +
    '08090a0b0c0d0e0f' +
    'aabb' +
    '01cc' +
    '0001dd' +
    '00000001ee' +
    '4040' +
    '00'.repeat(64) +
    '0400010002' +
    '00' +
    '0105';
  assert.equal(hex, expected);
});

test('TLS round trip of a structure using every operation', () => {
  fc.assert(
    fc.property(sampleArbitrary, (sample) => {
      assert.deepEqual(decodeSample(encodeSample(sample)), sample);
    }),
    { seed: SEED, numRuns: 500 },
  );
});

test('TLS reader: reading past the end throws TRUNCATED', () => {
  assertBytesError(() => new TlsReader(new Uint8Array(0)).uint8(), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('01')).uint16(), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('010203')).uint32(), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('01020304050607')).uint64(), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('0102')).bytes(3), 'TRUNCATED');
});

test('TLS reader: a length prefix beyond the remaining bytes throws TRUNCATED', () => {
  assertBytesError(() => new TlsReader(fromHex('03aabb')).opaque('u8'), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('0003aabb')).opaque('u16'), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('ffffffff')).opaque('u32'), 'LENGTH_LIMIT');
  assertBytesError(() => new TlsReader(fromHex('0000ffff')).opaque('u32'), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('4040aa')).opaque('varint'), 'TRUNCATED');
});

test('TLS reader: finish() throws TRAILING_BYTES when bytes remain', () => {
  const reader = new TlsReader(fromHex('0102'));
  reader.uint8();
  assertBytesError(() => reader.finish(), 'TRAILING_BYTES');
  reader.uint8();
  reader.finish();
});

test('TLS reader: a length-prefixed body must be consumed exactly', () => {
  const input = fromHex('03010203');
  assertBytesError(
    () => new TlsReader(input).lengthPrefixed('u8', (r) => r.uint16()),
    'TRAILING_BYTES',
  );
  assertBytesError(() => new TlsReader(input).lengthPrefixed('u8', (r) => r.uint32()), 'TRUNCATED');
  const reader = new TlsReader(fromHex('0201020f'));
  assert.equal(
    reader.lengthPrefixed('u8', (r) => r.uint16()),
    0x0102,
  );
  assert.equal(reader.uint8(), 0x0f);
  reader.finish();
});

test('TLS reader: vectors stop at their own end, even mid-item', () => {
  assertBytesError(
    () => new TlsReader(fromHex('030001020304')).vector('u8', (r) => r.uint16()),
    'TRUNCATED',
  );
  assert.deepEqual(
    new TlsReader(fromHex('00')).vector('varint', (r) => r.uint8()),
    [],
  );
});

test('TLS reader: limits on vector bytes and items', () => {
  const options = { maxVectorBytes: 4, maxVectorItems: 2 };
  assert.deepEqual(new TlsReader(fromHex('04aabbccdd'), options).opaque('u8'), fromHex('aabbccdd'));
  assertBytesError(
    () => new TlsReader(fromHex('05aabbccddee'), options).opaque('u8'),
    'LENGTH_LIMIT',
  );
  assertBytesError(
    () => new TlsReader(fromHex('03010203'), options).vector('u8', (r) => r.uint8()),
    'LENGTH_LIMIT',
  );
  assertBytesError(
    () => new TlsReader(fromHex('03010203'), options).lengthPrefixed('u8', (r) => r.opaque('u8')),
    'TRAILING_BYTES',
  );
});

test('TLS reader: a vector item decoder that reads nothing is MISUSE, not a hang', () => {
  assertBytesError(() => new TlsReader(fromHex('0101')).vector('u8', () => 0), 'MISUSE');
});

test('TLS reader: optional<T> presence must be 0 or 1', () => {
  assert.equal(
    new TlsReader(fromHex('00')).optional((r) => r.uint8()),
    undefined,
  );
  assert.equal(
    new TlsReader(fromHex('0107')).optional((r) => r.uint8()),
    7,
  );
  assertBytesError(
    () => new TlsReader(fromHex('0207')).optional((r) => r.uint8()),
    'INVALID_ENCODING',
  );
});

test('TLS reader: capture returns the exact bytes consumed, as a copy', () => {
  const input = fromHex('0102aabb03');
  const reader = new TlsReader(input);
  reader.uint8();
  const { value, bytes } = reader.capture((r) => r.opaque('u8'));
  assert.deepEqual(value, fromHex('aabb'));
  assert.deepEqual(bytes, fromHex('02aabb'));
  bytes[0] = 0;
  value[0] = 0;
  assert.equal(input[1], 2);
  assert.equal(input[2], 0xaa);
});

test('TLS writer: out-of-range integers and oversized bodies throw', () => {
  const w = new TlsWriter();
  assertBytesError(() => w.uint8(256), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint16(-1), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint32(2 ** 32), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint32(1.5), 'OUT_OF_RANGE');
  assertBytesError(() => w.uint64(1n << 64n), 'OUT_OF_RANGE');
  assertBytesError(() => w.opaque('u8', new Uint8Array(256)), 'LENGTH_LIMIT');
  assertBytesError(() => w.opaque('u16', new Uint8Array(0x10000)), 'LENGTH_LIMIT');
  assertBytesError(() => new TlsReader(new Uint8Array(1)).bytes(-1), 'MISUSE');
});

test('TLS writer: finish() resets the writer', () => {
  const w = new TlsWriter().uint8(1);
  assert.deepEqual(w.finish(), fromHex('01'));
  assert.deepEqual(w.uint8(2).finish(), fromHex('02'));
  const large = new Uint8Array(1000).fill(7);
  assert.deepEqual(w.bytes(large).finish(), large);
});
