import { deepStrictEqual, ok, strictEqual, throws } from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { utf8Encode } from '@parley/bytes';
import { decodeContent, encodeContent, type Content } from '../src/content.js';
import { ClientError } from '../src/errors.js';
import { MAX_DISAPPEARING_SECONDS, MAX_TEXT_BYTES } from '../src/limits.js';

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
  strictEqual(decodeContent(utf8Encode('{"v":1,"kind":"poll"}')).kind, 'unsupported');
  throws(() => decodeContent(utf8Encode('{"v":1,"kind":"text","id":"a"}')), ClientError);
  throws(() => decodeContent(utf8Encode('nope')), ClientError);
  throws(
    () => encodeContent({ kind: 'text', id: 'a', text: 'x'.repeat(MAX_TEXT_BYTES + 1), sentAt: 0 }),
    ClientError,
  );
});

const pointer = {
  id: 'blobid_0123456789',
  key: Buffer.alloc(64, 1).toString('base64'),
  digest: Buffer.alloc(32, 2).toString('base64'),
  sha256: 'ab'.repeat(32),
  size: 12,
  contentType: 'image/png',
  name: 'cat.png',
};

test('attachment pointers round-trip in text and sent content (property: any name, type, size)', () => {
  fc.assert(
    fc.property(
      fc
        .string({ maxLength: 100 })
        .filter((s) => Array.from(s).every((ch) => ch.charCodeAt(0) >= 0x20 && ch !== '\u007f')),
      fc.integer({ min: 0, max: 128 * 1024 * 1024 }),
      fc.option(fc.uint8Array({ maxLength: 4096 }), { nil: undefined }),
      (name, size, thumb) => {
        const a =
          thumb === undefined
            ? { ...pointer, name, size }
            : { ...pointer, name, size, thumbnail: Buffer.from(thumb).toString('base64') };
        const c: Content = { kind: 'text', id: 'm', text: 'hi', sentAt: 1, attachments: [a] };
        deepStrictEqual(decodeContent(encodeContent(c)), c);
        const s: Content = {
          kind: 'sent',
          to: 'x',
          id: 'm',
          text: '',
          sentAt: 1,
          attachments: [a],
        };
        deepStrictEqual(decodeContent(encodeContent(s)), s);
      },
    ),
    { numRuns: 50 },
  );
});

test('malformed attachment pointers make the whole content malformed', () => {
  const bad = [
    { ...pointer, key: Buffer.alloc(32).toString('base64') },
    { ...pointer, digest: 'not base64!' },
    { ...pointer, sha256: 'AB'.repeat(32) },
    { ...pointer, size: -1 },
    { ...pointer, size: 1.5 },
    { ...pointer, size: 128 * 1024 * 1024 + 1 },
    { ...pointer, name: 'a\u0000b' },
    { ...pointer, name: 'x'.repeat(256) },
    { ...pointer, contentType: 'text/\n' },
    { ...pointer, thumbnail: Buffer.alloc(4097).toString('base64') },
    { ...pointer, id: '' },
    'a string',
    null,
  ];
  for (const a of bad) {
    const raw = { v: 1, kind: 'text', id: 'm', text: '', sentAt: 1, attachments: [a] };
    throws(() => decodeContent(utf8Encode(JSON.stringify(raw))), ClientError);
  }
  for (const list of [[], new Array(5).fill(pointer), 'x']) {
    const raw = { v: 1, kind: 'text', id: 'm', text: '', sentAt: 1, attachments: list };
    throws(() => decodeContent(utf8Encode(JSON.stringify(raw))), ClientError);
  }
});

test('decoding any bytes either parses or throws ClientError (fuzz with attachment-shaped JSON)', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 3 }), (attachments) => {
      const raw = { v: 1, kind: 'text', id: 'm', text: '', sentAt: 1, attachments };
      try {
        decodeContent(utf8Encode(JSON.stringify(raw)));
      } catch (e) {
        strictEqual(e instanceof ClientError, true);
      }
    }),
  );
});

test('replies, reactions, edits and deletes round-trip; malformed ones are refused', () => {
  const ok: Content[] = [
    { kind: 'text', id: 'm2', text: 'yes', sentAt: 2, replyTo: 'm1' },
    { kind: 'reaction', target: 'm1', emoji: '👍', remove: false },
    { kind: 'reaction', target: 'm1', emoji: '👍', remove: true, to: 'acct' },
    { kind: 'edit', target: 'm1', text: 'new', editedAt: 3 },
    { kind: 'delete', target: 'm1', to: 'acct' },
  ];
  for (const c of ok) deepStrictEqual(decodeContent(encodeContent(c)), c);
  const bad = [
    { kind: 'text', id: 'm', text: '', sentAt: 1, replyTo: '' },
    { kind: 'reaction', target: 'm1', emoji: '', remove: false },
    { kind: 'reaction', target: 'm1', emoji: 'x'.repeat(33), remove: false },
    { kind: 'reaction', target: 'm1', emoji: 'x', remove: 'no' },
    { kind: 'edit', target: 'm1', text: 'x' },
    { kind: 'delete' },
    { kind: 'delete', target: 'm1', to: 5 },
  ];
  for (const b of bad)
    throws(() => decodeContent(utf8Encode(JSON.stringify({ v: 1, ...b }))), ClientError);
});

test('typing, timers, session renewals and timed text round-trip; out-of-range timers are refused', () => {
  const kinds: Content[] = [
    { kind: 'typing', started: true, at: 5 },
    { kind: 'timer', seconds: 0, at: 7 },
    { kind: 'timer', seconds: 3600, at: 7, to: 'acct' },
    { kind: 'session-renewed' },
    { kind: 'text', id: 'm1', text: 'brief', sentAt: 1, expiresIn: 30 },
  ];
  for (const c of kinds) deepStrictEqual(decodeContent(encodeContent(c)), c);
  const bad = [
    { v: 1, kind: 'timer', seconds: MAX_DISAPPEARING_SECONDS + 1, at: 1 },
    { v: 1, kind: 'timer', seconds: -1, at: 1 },
    { v: 1, kind: 'timer', seconds: 1.5, at: 1 },
    { v: 1, kind: 'typing', started: 'yes', at: 1 },
    { v: 1, kind: 'text', id: 'm', text: 't', sentAt: 1, expiresIn: 0 },
  ];
  for (const b of bad)
    throws(() => decodeContent(utf8Encode(JSON.stringify(b))), ClientError, JSON.stringify(b));
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('typing', 'timer'), (v, kind) => {
      const bytes = utf8Encode(JSON.stringify({ v: 1, kind, seconds: v, at: v, started: v }));
      try {
        decodeContent(bytes);
      } catch (e) {
        ok(e instanceof ClientError);
      }
    }),
  );
});
