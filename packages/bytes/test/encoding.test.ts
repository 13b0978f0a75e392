import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  BytesError,
  fromBase64,
  fromBase64Url,
  fromHex,
  toBase64,
  toBase64Url,
  toHex,
} from '../src/index.js';
import { assertBytesError, SEED } from './support.js';

const runs = { seed: SEED, numRuns: 500 };

test('hex rejects odd length, non-hex characters, whitespace and 0x', () => {
  for (const bad of ['0', 'abc', '0g', 'zz', ' 00', '00 ', '0x00', 'é0', '０0']) {
    assertBytesError(() => fromHex(bad), 'INVALID_ENCODING');
  }
});

test('base64 rejects bad length, characters, padding and non-zero unused bits', () => {
  const bad = [
    'Z',
    'Zg',
    'Zg=',
    'Zg===',
    '====',
    '=Zg=',
    'Z=g=',
    'Zm9v=',
    'Zm9vYg',
    'Zm 9v',
    'Zm9v\n',
    'Zm9-',
    'Zm9_',
    'Zh==',
    'Zm9=',
    'Zm8=Zm8=',
    'Zé==',
  ];
  for (const text of bad) assertBytesError(() => fromBase64(text), 'INVALID_ENCODING');
});

test('base64url rejects padding, the standard alphabet and non-zero unused bits', () => {
  for (const text of ['Zg==', 'Zm8=', 'Z', 'Zm9vY', '+/8', '/w', 'Zh', 'Zm9', 'Zm 9v']) {
    assertBytesError(() => fromBase64Url(text), 'INVALID_ENCODING');
  }
});

test('decoding errors do not repeat the input', () => {
  const secret = 'SECRETSECRET!';
  for (const decode of [fromHex, fromBase64, fromBase64Url]) {
    try {
      decode(secret);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof BytesError);
      assert.ok(!error.message.includes('SECRET'));
    }
  }
});

test('hex round trip and agreement with Buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const hex = toHex(bytes);
      assert.equal(hex, Buffer.from(bytes).toString('hex'));
      assert.deepEqual(fromHex(hex), bytes);
      assert.deepEqual(fromHex(hex.toUpperCase()), bytes);
    }),
    runs,
  );
});

test('base64 and base64url round trip and agree with Buffer', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b64 = toBase64(bytes);
      const b64url = toBase64Url(bytes);
      assert.equal(b64, Buffer.from(bytes).toString('base64'));
      assert.equal(b64url, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(fromBase64(b64), bytes);
      assert.deepEqual(fromBase64Url(b64url), bytes);
    }),
    runs,
  );
});

const chars = (alphabet: string): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...Array.from(alphabet)), maxLength: 24 });

test('every accepted base64 or base64url string is the canonical encoding', () => {
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  fc.assert(
    fc.property(chars(`${b64}-_=`), (text) => {
      let bytes: Uint8Array | undefined;
      try {
        bytes = fromBase64(text);
      } catch (error) {
        assert.ok(error instanceof BytesError);
      }
      if (bytes !== undefined) assert.equal(toBase64(bytes), text);
      let urlBytes: Uint8Array | undefined;
      try {
        urlBytes = fromBase64Url(text);
      } catch (error) {
        assert.ok(error instanceof BytesError);
      }
      if (urlBytes !== undefined) assert.equal(toBase64Url(urlBytes), text);
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test('every accepted hex string decodes to the bytes it spells', () => {
  fc.assert(
    fc.property(chars('0123456789abcdefABCDEFgx '), (text) => {
      let bytes: Uint8Array | undefined;
      try {
        bytes = fromHex(text);
      } catch (error) {
        assert.ok(error instanceof BytesError);
      }
      if (bytes !== undefined) assert.equal(toHex(bytes), text.toLowerCase());
    }),
    { seed: SEED, numRuns: 2000 },
  );
});
