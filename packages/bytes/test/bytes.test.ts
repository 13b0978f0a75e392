import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  assertLength,
  assertSameLength,
  concatBytes,
  constantTimeEqual,
  fromHex,
  readUint16BE,
  readUint32BE,
  readUint64BE,
  uint16BE,
  uint32BE,
  uint64BE,
  zeroize,
} from '../src/index.js';
import { assertBytesError, SEED } from './support.js';

const runs = { seed: SEED, numRuns: 500 };

test('concatBytes joins in order into a new array', () => {
  const a = Uint8Array.of(1, 2);
  const joined = concatBytes(a, new Uint8Array(0), Uint8Array.of(3));
  assert.deepEqual(joined, Uint8Array.of(1, 2, 3));
  joined[0] = 9;
  assert.equal(a[0], 1);
  assert.deepEqual(concatBytes(), new Uint8Array(0));
});

test('constantTimeEqual agrees with element-wise equality', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
      const naive = a.length === b.length && a.every((x, i) => x === b[i]);
      assert.equal(constantTimeEqual(a, b), naive);
      assert.equal(constantTimeEqual(a, a.slice()), true);
    }),
    runs,
  );
});

test('constantTimeEqual: a difference anywhere, or in length, is unequal', () => {
  const a = fromHex('00112233445566778899');
  for (let i = 0; i < a.length; i++) {
    const b = a.slice();
    b[i] = (b[i] ?? 0) ^ 0x80;
    assert.equal(constantTimeEqual(a, b), false);
  }
  assert.equal(constantTimeEqual(a, a.subarray(0, 9)), false);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

test('zeroize clears every array it is given, including views', () => {
  const a = Uint8Array.of(1, 2, 3);
  const backing = Uint8Array.of(4, 5, 6, 7);
  zeroize(a, backing.subarray(1, 3));
  assert.deepEqual(a, new Uint8Array(3));
  assert.deepEqual(backing, Uint8Array.of(4, 0, 0, 7));
});

test('assertLength and assertSameLength throw INVALID_LENGTH', () => {
  assertLength(new Uint8Array(32), 32);
  assertBytesError(() => assertLength(new Uint8Array(31), 32, 'chain key'), 'INVALID_LENGTH');
  assertSameLength(new Uint8Array(2), new Uint8Array(2));
  assertBytesError(() => assertSameLength(new Uint8Array(2), new Uint8Array(3)), 'INVALID_LENGTH');
});

test('big-endian integers: known answers', () => {
  assert.deepEqual(uint16BE(0x0102), fromHex('0102'));
  assert.deepEqual(uint32BE(0xdeadbeef), fromHex('deadbeef'));
  assert.deepEqual(uint64BE(0x0102030405060708n), fromHex('0102030405060708'));
  assert.equal(readUint16BE(fromHex('ff0102'), 1), 0x0102);
  assert.equal(readUint32BE(fromHex('deadbeef')), 0xdeadbeef);
  assert.equal(readUint64BE(fromHex('ffffffffffffffff')), 0xffff_ffff_ffff_ffffn);
});

test('big-endian integers: out of range and truncated', () => {
  for (const bad of [-1, 0x10000, 1.5, Number.NaN]) {
    assertBytesError(() => uint16BE(bad), 'OUT_OF_RANGE');
  }
  for (const bad of [-1, 2 ** 32, 0.5]) assertBytesError(() => uint32BE(bad), 'OUT_OF_RANGE');
  assertBytesError(() => uint64BE(-1n), 'OUT_OF_RANGE');
  assertBytesError(() => uint64BE(1n << 64n), 'OUT_OF_RANGE');
  assertBytesError(() => readUint16BE(new Uint8Array(1)), 'TRUNCATED');
  assertBytesError(() => readUint32BE(new Uint8Array(4), 1), 'TRUNCATED');
  assertBytesError(() => readUint64BE(new Uint8Array(8), -1), 'TRUNCATED');
});

test('big-endian integers round trip, also inside a larger buffer', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (a, b, c) => {
        const buf = concatBytes(Uint8Array.of(7), uint16BE(a), uint32BE(b), uint64BE(c));
        const view = buf.subarray(1);
        assert.equal(readUint16BE(view), a);
        assert.equal(readUint32BE(view, 2), b);
        assert.equal(readUint64BE(view, 6), c);
      },
    ),
    runs,
  );
});
