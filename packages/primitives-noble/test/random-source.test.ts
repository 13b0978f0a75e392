import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNoblePrimitives } from '@parley/primitives-noble';

/** A deterministic byte stream (a counter), standing in for a seeded test RNG. */
function counterSource(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

test('PrimitivesOptions.randomBytes: a seeded source makes key generation and signing reproducible', () => {
  const a = createNoblePrimitives({ randomBytes: counterSource() });
  const b = createNoblePrimitives({ randomBytes: counterSource() });
  assert.deepEqual(a.x25519.generateKeyPair(), b.x25519.generateKeyPair());
  assert.deepEqual(a.ed25519.generateKeyPair(), b.ed25519.generateKeyPair());
  const pair = a.xeddsa.generateKeyPair();
  b.xeddsa.generateKeyPair();
  const message = Uint8Array.of(1, 2, 3);
  assert.deepEqual(
    a.xeddsa.sign(pair.privateKey, message),
    b.xeddsa.sign(pair.privateKey, message),
  );
  assert.deepEqual(a.kem['ml-kem-768'].generateKeyPair(), b.kem['ml-kem-768'].generateKeyPair());
  assert.deepEqual(a.randomBytes(16), b.randomBytes(16));
});
