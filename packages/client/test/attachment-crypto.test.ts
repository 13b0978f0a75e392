import { deepStrictEqual, ok, strictEqual, throws } from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { concatBytes } from '@parley/bytes';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  AttachmentDecryptor,
  AttachmentEncryptor,
  blobLength,
  padme,
  type AttachmentDigests,
} from '../src/attachment-crypto.js';
import { ClientError } from '../src/errors.js';

const node = createNodePrimitives();
const noble = createNoblePrimitives();
const backends = [node, noble];

function encrypt(
  p = node,
  plain: Uint8Array,
  chunk: number,
  key = p.randomBytes(64),
  iv?: Uint8Array,
): { blob: Uint8Array; key: Uint8Array; digests: AttachmentDigests } {
  const e = new AttachmentEncryptor(p, key, plain.length, iv);
  const parts: Uint8Array[] = [];
  // Each update's bytes live in a buffer the next one reuses: kept here by copying.
  for (let i = 0; i < plain.length; i += chunk)
    parts.push(e.update(plain.subarray(i, i + chunk)).slice());
  const { tail, digests } = e.final();
  parts.push(tail);
  return { blob: concatBytes(...parts), key, digests };
}

function decrypt(
  p = node,
  blob: Uint8Array,
  key: Uint8Array,
  size: number,
  digests: AttachmentDigests,
  chunk: number,
): Uint8Array {
  const d = new AttachmentDecryptor(p, key, size, digests);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < blob.length; i += chunk)
    parts.push(d.update(blob.subarray(i, i + chunk)).slice());
  d.final();
  return concatBytes(...parts);
}

function isInvalid(e: unknown): boolean {
  return e instanceof ClientError && e.code === 'ATTACHMENT_INVALID';
}

test('Padmé: known sizes, never smaller, overhead at most 12%, idempotent', () => {
  deepStrictEqual([0, 1, 2, 3, 9, 17, 100, 1000].map(padme), [0, 1, 2, 3, 10, 18, 104, 1024]);
  strictEqual(padme(10 * 1024 * 1024), 10 * 1024 * 1024);
  strictEqual(padme(10_000_001), 10_223_616);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
      const q = padme(n);
      ok(q >= n && q <= n * 1.12 + 2);
      strictEqual(padme(q), q);
    }),
  );
  throws(() => padme(-1), ClientError);
});

test('the encryptor and decryptor reuse one output buffer instead of a fresh one per chunk', () => {
  for (const p of backends) {
    const plain = p.randomBytes(4096);
    const key = p.randomBytes(64);
    const e = new AttachmentEncryptor(p, key, plain.length);
    const first = e.update(plain.subarray(0, 1024));
    const firstBuffer = first.buffer;
    const second = e.update(plain.subarray(1024, 2048));
    strictEqual(second.buffer, firstBuffer, `${p.backend}: encryptor output buffer`);
    const { blob, digests } = encrypt(p, plain, 1000, key);
    const d = new AttachmentDecryptor(p, key, plain.length, digests);
    d.update(blob.subarray(0, 1000)); // the iv and 984 bytes: the buffer grows on the next call
    const aBuffer = d.update(blob.subarray(1000, 2000)).buffer;
    strictEqual(d.update(blob.subarray(2000, 3000)).buffer, aBuffer, `${p.backend}: decryptor`);
  }
});

test('attachments round-trip on both backends, whatever the chunking, and the blob has its Padmé size', () => {
  for (const p of backends) {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 700 }),
        (plain, inChunk, outChunk) => {
          const { blob, key, digests } = encrypt(p, plain, inChunk);
          strictEqual(blob.length, blobLength(plain.length));
          deepStrictEqual(decrypt(p, blob, key, plain.length, digests, outChunk), plain);
          deepStrictEqual(digests.sha256, p.hash('sha256', plain));
          deepStrictEqual(digests.digest, p.hash('sha256', blob));
        },
      ),
      { numRuns: 60 },
    );
  }
});

test('both backends make the same blob, also when the counter wraps its low 64 bits mid-chunk', () => {
  const key = node.randomBytes(64);
  const iv = new Uint8Array(16).fill(0xff);
  iv.fill(0x12, 0, 4);
  const plain = node.randomBytes(5000);
  const a = encrypt(node, plain, 1000, key, iv);
  const b = encrypt(noble, plain, 333, key, iv);
  deepStrictEqual(a.blob, b.blob);
  deepStrictEqual(decrypt(noble, a.blob, key, plain.length, a.digests, 4096), plain);
});

test('a flipped bit, a truncation, an extension, another key or other digests are refused', () => {
  const p = node;
  const plain = p.randomBytes(2000);
  const { blob, key, digests } = encrypt(p, plain, 512);
  const tryDecrypt = (b: Uint8Array, k = key, size = plain.length, d = digests) => {
    throws(() => decrypt(p, b, k, size, d, 256), isInvalid);
  };
  for (const at of [0, 15, 16, 1000, blob.length - 33, blob.length - 1]) {
    const bad = blob.slice();
    bad[at] = (bad[at] ?? 0) ^ 1;
    tryDecrypt(bad);
  }
  tryDecrypt(blob.subarray(0, blob.length - 1));
  tryDecrypt(blob.subarray(0, 16));
  tryDecrypt(new Uint8Array(0));
  tryDecrypt(concatBytes(blob, new Uint8Array(1)));
  tryDecrypt(blob, p.randomBytes(64));
  tryDecrypt(blob, key, plain.length - 1);
  tryDecrypt(blob, key, plain.length, { ...digests, digest: p.randomBytes(32) });
  tryDecrypt(blob, key, plain.length, { ...digests, sha256: p.randomBytes(32) });
});

test('the encryptor refuses a file that changes size while it is read', () => {
  const p = node;
  const e = new AttachmentEncryptor(p, p.randomBytes(64), 10);
  throws(() => e.update(new Uint8Array(11)), ClientError);
  const f = new AttachmentEncryptor(p, p.randomBytes(64), 10);
  f.update(new Uint8Array(9));
  throws(() => f.final(), ClientError);
});

test('padding given in pieces makes the same blob as padding given by final, on both backends', () => {
  for (const p of backends)
    for (const size of [0, 1, 1000, 60_000]) {
      const key = p.randomBytes(64);
      const iv = p.randomBytes(16);
      const plain = p.randomBytes(size);
      const whole = encrypt(p, plain, 4096, key, iv);
      const e = new AttachmentEncryptor(p, key, size, iv);
      const parts: Uint8Array[] = [e.update(plain).slice()];
      for (let piece = e.padding(17); piece.length > 0; piece = e.padding(17)) {
        ok(piece.length <= 17 + 16, 'at most the asked size (the iv first, if nothing came yet)');
        parts.push(piece.slice());
      }
      const { tail, digests } = e.final();
      strictEqual(tail.length, 32, 'only the MAC is left for final');
      parts.push(tail);
      deepStrictEqual(concatBytes(...parts), whole.blob);
      deepStrictEqual(digests, whole.digests);
    }
});
