import { deepStrictEqual, strictEqual, throws } from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { utf8Encode } from '@parley/bytes';
import { decodeContent, encodeContent, type Content } from '../src/content.js';
import { ClientError } from '../src/errors.js';
import { MAX_TEXT_BYTES } from '../src/limits.js';

test('content round-trips (property: any text message)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(), (text, sentAt) => {
      const c: Content = { kind: 'text', id: 'abc', text, sentAt };
      deepStrictEqual(decodeContent(encodeContent(c)), c);
    }),
  );
  const r: Content = { kind: 'receipt', receipt: 'read', ids: ['a', 'b'] };
  deepStrictEqual(decodeContent(encodeContent(r)), r);
});

test('a future version or kind is unsupported, not an error; malformed known kinds are refused', () => {
  strictEqual(decodeContent(utf8Encode('{"v":2,"kind":"text"}')).kind, 'unsupported');
  strictEqual(decodeContent(utf8Encode('{"v":1,"kind":"reaction"}')).kind, 'unsupported');
  throws(() => decodeContent(utf8Encode('{"v":1,"kind":"text","id":"a"}')), ClientError);
  throws(() => decodeContent(utf8Encode('nope')), ClientError);
  throws(
    () => encodeContent({ kind: 'text', id: 'a', text: 'x'.repeat(MAX_TEXT_BYTES + 1), sentAt: 0 }),
    ClientError,
  );
});
