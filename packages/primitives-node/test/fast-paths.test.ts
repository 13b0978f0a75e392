/**
 * The node backend's own compositions, beyond the shared suite: round-3 Kyber1024 with
 * OpenSSL's SHA-3 against the known answers, and the KeyObject cache when a key array changes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';

interface Vector {
  readonly secretKey: string;
  readonly ciphertext: string;
  readonly sharedSecret: string;
}
/** The noble backend's Kyber1024 known answers (provenance in the file). */
const vectors = JSON.parse(
  readFileSync(
    new URL('../../primitives-noble/test/vectors/kyber1024.json', import.meta.url),
    'utf8',
  ),
) as {
  nistRound3: Vector;
  implicitRejection: { flippedByte: number; flippedBit: number; sharedSecret: string };
  encapsulation: { message: string; ciphertext: string; sharedSecret: string };
  libsignal: Vector;
};

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const p = createNodePrimitives();
const kyber = p.kem.kyber1024;

test('node Kyber1024: NIST round-3 KAT (count 0) decapsulation and implicit rejection', () => {
  const v = vectors.nistRound3;
  assert.equal(toHex(kyber.decapsulate(hex(v.ciphertext), hex(v.secretKey))), v.sharedSecret);
  const tampered = hex(v.ciphertext);
  const { flippedByte, flippedBit, sharedSecret } = vectors.implicitRejection;
  tampered[flippedByte] = (tampered[flippedByte] ?? 0) ^ (1 << flippedBit);
  assert.equal(toHex(kyber.decapsulate(tampered, hex(v.secretKey))), sharedSecret);
});

test('node Kyber1024: encapsulation from a message matches the round-3 reference', () => {
  const v = vectors.encapsulation;
  const publicKey = hex(vectors.nistRound3.secretKey).slice(1536, 3104);
  const { ciphertext, sharedSecret } = kyber.encapsulate(publicKey, hex(v.message));
  assert.equal(toHex(ciphertext), v.ciphertext);
  assert.equal(toHex(sharedSecret), v.sharedSecret);
});

test('node Kyber1024: decapsulates a libsignal 0.103.0 key pair and ciphertext', () => {
  const v = vectors.libsignal;
  assert.equal(toHex(kyber.decapsulate(hex(v.ciphertext), hex(v.secretKey))), v.sharedSecret);
});

test('node Kyber1024 and noble Kyber1024 agree on random keys, messages and tampering', () => {
  const noble = createNoblePrimitives().kem.kyber1024;
  for (let i = 0; i < 4; i++) {
    const pair = noble.generateKeyPair();
    const m = randomBytes(32);
    const ours = kyber.encapsulate(pair.publicKey, Uint8Array.from(m));
    assert.deepEqual(ours, noble.encapsulate(pair.publicKey, Uint8Array.from(m)));
    const tampered = ours.ciphertext.slice();
    tampered[i * 300] = (tampered[i * 300] ?? 0) ^ 0x80;
    assert.deepEqual(
      kyber.decapsulate(tampered, pair.secretKey),
      noble.decapsulate(tampered, pair.secretKey),
    );
  }
});

test('a private key array changed after use is imported again, not served from the cache', () => {
  const mine = p.x25519.generateKeyPair();
  const theirs = p.x25519.generateKeyPair();
  const first = p.x25519.sharedSecret(mine.privateKey, theirs.publicKey);
  const other = p.x25519.generateKeyPair();
  // Reuse the same arrays with other keys: results must follow the bytes, not the arrays.
  mine.privateKey.set(other.privateKey);
  theirs.publicKey.set(p.x25519.publicKey(mine.privateKey));
  const second = p.x25519.sharedSecret(mine.privateKey, theirs.publicKey);
  assert.notDeepEqual(second, first);
  const noble = createNoblePrimitives();
  assert.deepEqual(second, noble.x25519.sharedSecret(mine.privateKey, theirs.publicKey));
  assert.deepEqual(p.x25519.publicKey(mine.privateKey), other.publicKey);
});

test('an XEdDSA key array changed after a verification is converted again', () => {
  const a = p.xeddsa.generateKeyPair();
  const b = p.xeddsa.generateKeyPair();
  const message = randomBytes(33);
  const signedByB = p.xeddsa.sign(b.privateKey, message);
  const key = Uint8Array.from(a.publicKey);
  assert.equal(p.xeddsa.verify(key, message, signedByB), false);
  key.set(b.publicKey);
  assert.equal(p.xeddsa.verify(key, message, signedByB), true);
});
