import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fromBase64,
  fromBase64Url,
  fromHex,
  toBase64,
  toBase64Url,
  toHex,
  utf8Encode,
} from '../src/index.js';
import { alphabetVectors, rfc4648Vectors } from './vectors/rfc4648.js';

for (const v of rfc4648Vectors) {
  test(`RFC 4648 §10: "${v.ascii}"`, () => {
    const bytes = utf8Encode(v.ascii);
    assert.equal(toHex(bytes), v.base16.toLowerCase());
    assert.deepEqual(fromHex(v.base16), bytes);
    assert.deepEqual(fromHex(v.base16.toLowerCase()), bytes);
    assert.equal(toBase64(bytes), v.base64);
    assert.deepEqual(fromBase64(v.base64), bytes);
    assert.equal(toBase64Url(bytes), v.base64url);
    assert.deepEqual(fromBase64Url(v.base64url), bytes);
  });
}

for (const v of alphabetVectors) {
  test(`RFC 4648 Tables 1 and 2: ${v.hex}`, () => {
    const bytes = fromHex(v.hex);
    assert.equal(toBase64(bytes), v.base64);
    assert.deepEqual(fromBase64(v.base64), bytes);
    assert.equal(toBase64Url(bytes), v.base64url);
    assert.deepEqual(fromBase64Url(v.base64url), bytes);
  });
}
