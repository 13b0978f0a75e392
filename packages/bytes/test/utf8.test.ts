import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BytesError, fromHex, utf8Decode, utf8Encode } from '../src/index.js';
import { assertBytesError, SEED } from './support.js';

const oracle = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

test('UTF-8 known answers (RFC 3629 §7 examples)', () => {
  const cases: readonly [string, string][] = [
    ['A\u2262\u0391.', '41e289a2ce912e'],
    ['\ud55c\uad6d\uc5b4', 'ed959ceab5adec96b4'],
    ['\u65e5\u672c\u8a9e', 'e697a5e69cace8aa9e'],
    ['\ufeff\u{233b4}', 'efbbbff0a38eb4'],
  ];
  for (const [text, hex] of cases) {
    assert.deepEqual(utf8Encode(text), fromHex(hex));
    assert.equal(utf8Decode(fromHex(hex)), text);
  }
});

test('UTF-8 decoding rejects malformed sequences (Unicode §3.9 Table 3-7)', () => {
  const bad = [
    '80',
    'bf',
    'c0af',
    'c1bf',
    'c2',
    'c241',
    'e080af',
    'e09f80',
    'eda080',
    'edbfbf',
    'e282',
    'f08f8080',
    'f4908080',
    'f5808080',
    'ff',
    'fe',
    'f0908080f0',
    'e28228',
  ];
  for (const hex of bad) assertBytesError(() => utf8Decode(fromHex(hex)), 'INVALID_ENCODING');
});

test('UTF-8 encoding rejects lone surrogates', () => {
  for (const text of ['\ud800', 'a\udc00', '\ud800a', '\udbff\ud800', 'x\ud83d']) {
    assertBytesError(() => utf8Encode(text), 'INVALID_ENCODING');
  }
});

test('UTF-8 round trip of well-formed strings, agreeing with TextEncoder', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      const bytes = utf8Encode(text);
      assert.deepEqual(bytes, new TextEncoder().encode(text));
      assert.equal(utf8Decode(bytes), text);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('UTF-8 decoding a long string crosses chunk boundaries', () => {
  const text = '\u{1f600}ab\u00e9'.repeat(5000);
  assert.equal(utf8Decode(utf8Encode(text)), text);
});

const utf8ish = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((b) => [b]),
      fc.integer({ min: 0, max: 0x10ffff }).map((cp) => {
        const bytes = Array.from(Buffer.from(String.fromCodePoint(cp), 'utf8'));
        return cp >= 0xd800 && cp <= 0xdfff
          ? [0xed, 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
          : bytes;
      }),
      fc.constantFrom([0xc0], [0xe0, 0x80], [0xf4, 0x90], [0xef, 0xbf, 0xbf], [0xf0, 0x90, 0x80]),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Uint8Array.from(parts.flat()));

test('UTF-8 decoding accepts and rejects exactly what a fatal TextDecoder does', () => {
  fc.assert(
    fc.property(utf8ish, (bytes) => {
      let expected: string | undefined;
      try {
        expected = oracle.decode(bytes);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) {
        assert.throws(() => utf8Decode(bytes), BytesError);
      } else {
        assert.equal(utf8Decode(bytes), expected);
      }
    }),
    { seed: SEED, numRuns: 3000 },
  );
});
