/**
 * Round-3 Kyber1024 on the runtime's ML-KEM-1024 (Node 24's `crypto.encapsulate`), beside noble's
 * (fast-paths.test.ts runs the round-3 known answers through whichever the backend uses): which
 * path is taken, agreement with noble both ways, implicit rejection, and refused keys.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { test } from 'node:test';
import { PrimitivesError } from '@parley/primitives';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives, hasNativeMlKem1024 } from '@parley/primitives-node';

const kyber = createNodePrimitives().kem.kyber1024;
const noble = createNoblePrimitives().kem.kyber1024;
const Q = 3329;

test('the native path is taken exactly where the runtime has crypto.encapsulate', () => {
  const runtimeHasKem =
    typeof (crypto as unknown as { encapsulate?: unknown }).encapsulate === 'function';
  assert.equal(hasNativeMlKem1024(), runtimeHasKem);
});

test('unseeded encapsulation and decapsulation agree with noble both ways', () => {
  for (let i = 0; i < 4; i++) {
    const ours = kyber.generateKeyPair();
    const sent = kyber.encapsulate(ours.publicKey);
    assert.deepEqual(noble.decapsulate(sent.ciphertext, ours.secretKey), sent.sharedSecret);
    assert.deepEqual(kyber.decapsulate(sent.ciphertext, ours.secretKey), sent.sharedSecret);
    const theirs = noble.generateKeyPair();
    const received = noble.encapsulate(theirs.publicKey);
    assert.deepEqual(
      kyber.decapsulate(received.ciphertext, theirs.secretKey),
      received.sharedSecret,
    );
    // Implicit rejection: a tampered ciphertext gives round 3's KDF(z ‖ H(c)), the same as noble.
    const tampered = received.ciphertext.slice();
    tampered[i * 400 + 7] = (tampered[i * 400 + 7] ?? 0) ^ 1;
    const rejected = kyber.decapsulate(tampered, theirs.secretKey);
    assert.deepEqual(rejected, noble.decapsulate(tampered, theirs.secretKey));
    assert.notDeepEqual(rejected, received.sharedSecret);
  }
});

function expectInvalidKey(f: () => unknown): void {
  assert.throws(f, (e: unknown) => e instanceof PrimitivesError && e.code === 'INVALID_KEY');
}

test('a public key failing the modulus check and a secret key failing the hash check are refused', () => {
  const pair = noble.generateKeyPair();
  const badPublic = pair.publicKey.slice();
  // The first 12-bit coefficient set to q: out of range, refused by FIPS 203's modulus check.
  badPublic[0] = Q & 0xff;
  badPublic[1] = ((badPublic[1] ?? 0) & 0xf0) | (Q >> 8);
  expectInvalidKey(() => kyber.encapsulate(badPublic));
  expectInvalidKey(() => noble.encapsulate(badPublic));
  const badSecret = pair.secretKey.slice();
  badSecret[1536 + 5] = (badSecret[1536 + 5] ?? 0) ^ 1; // ek inside dk no longer hashes to H(ek)
  const { ciphertext } = kyber.encapsulate(pair.publicKey);
  expectInvalidKey(() => kyber.decapsulate(ciphertext, badSecret));
  expectInvalidKey(() => noble.decapsulate(ciphertext, badSecret));
});

test('with caller-supplied randomness, encapsulation uses it (the noble path)', () => {
  let counter = 0;
  const fixed = (n: number): Uint8Array => new Uint8Array(n).fill(counter++ % 2);
  const pair = noble.generateKeyPair();
  const a = createNodePrimitives({ randomBytes: fixed }).kem.kyber1024.encapsulate(pair.publicKey);
  counter = 0;
  const b = createNodePrimitives({ randomBytes: fixed }).kem.kyber1024.encapsulate(pair.publicKey);
  assert.deepEqual(a, b);
  assert.deepEqual(kyber.decapsulate(a.ciphertext, pair.secretKey), a.sharedSecret);
});
