import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedBytes, type BrandedBytes } from '../src/index.js';
import { assertBytesError } from './support.js';

type ChainKey = BrandedBytes<'ChainKey'>;
type MacKey = BrandedBytes<'MacKey'>;
const asChainKey = fixedBytes('ChainKey', 32);

test('fixedBytes brands an array of the right length without copying', () => {
  const raw = new Uint8Array(32);
  const key: ChainKey = asChainKey(raw);
  assert.equal(key, raw);
});

test('fixedBytes rejects any other length with INVALID_LENGTH', () => {
  for (const length of [0, 31, 33]) {
    assertBytesError(() => asChainKey(new Uint8Array(length)), 'INVALID_LENGTH');
  }
});

test('brands are not interchangeable (checked by the compiler)', () => {
  const key = asChainKey(new Uint8Array(32));
  // @ts-expect-error a ChainKey is not a MacKey
  const mac: MacKey = key;
  // @ts-expect-error a plain Uint8Array is not a ChainKey
  const plain: ChainKey = new Uint8Array(32);
  const bytes: Uint8Array = key;
  assert.equal(mac.length + plain.length + bytes.length, 96);
});
