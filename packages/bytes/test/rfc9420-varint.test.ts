import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BytesError, fromHex, MLS_VARINT_MAX, TlsReader, TlsWriter, toHex } from '../src/index.js';
import { invalidVarintVectors, varintVectors } from './vectors/rfc9420-varint.js';
import { assertBytesError, SEED } from './support.js';

for (const v of varintVectors) {
  test(`RFC 9420 §2.1.2: 0x${v.hex} is ${v.value}`, () => {
    const reader = new TlsReader(fromHex(v.hex));
    assert.equal(reader.varint(), v.value);
    reader.finish();
    assert.equal(toHex(new TlsWriter().varint(v.value).finish()), v.hex);
  });
}

for (const v of invalidVarintVectors) {
  test(`RFC 9420 §2.1.2: 0x${v.hex} is rejected (${v.code})`, () => {
    assertBytesError(() => new TlsReader(fromHex(v.hex)).varint(), v.code);
  });
}

test('RFC 9420 §2.1.2: boundaries of each length', () => {
  const cases: readonly [number, string][] = [
    [0, '00'],
    [63, '3f'],
    [64, '4040'],
    [16383, '7fff'],
    [16384, '80004000'],
    [MLS_VARINT_MAX, 'bfffffff'],
  ];
  for (const [value, hex] of cases) {
    assert.equal(toHex(new TlsWriter().varint(value).finish()), hex);
    assert.equal(new TlsReader(fromHex(hex)).varint(), value);
  }
  assertBytesError(() => new TlsWriter().varint(MLS_VARINT_MAX + 1), 'OUT_OF_RANGE');
  assertBytesError(() => new TlsWriter().varint(-1), 'OUT_OF_RANGE');
  assertBytesError(() => new TlsReader(fromHex('40')).varint(), 'TRUNCATED');
  assertBytesError(() => new TlsReader(fromHex('800000')).varint(), 'TRUNCATED');
});

test('RFC 9420 §2.1.2: varints round trip in minimal length', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MLS_VARINT_MAX }), (value) => {
      const bytes = new TlsWriter().varint(value).finish();
      assert.equal(bytes.length, value < 0x40 ? 1 : value < 0x4000 ? 2 : 4);
      assert.equal(new TlsReader(bytes).varint(), value);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('RFC 9420 §2.1.2: every accepted encoding is the one the writer produces', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 4 }), (bytes) => {
      const reader = new TlsReader(bytes);
      let value: number;
      try {
        value = reader.varint();
      } catch (error) {
        assert.ok(error instanceof BytesError);
        return;
      }
      const consumed = bytes.subarray(0, bytes.length - reader.remaining);
      assert.deepEqual(new TlsWriter().varint(value).finish(), consumed);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});
