import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { PrimitivesError } from '@parley/primitives';
import { createKyber1024, kyber1024 } from '../src/kyber1024.js';

interface Vector {
  readonly secretKey: string;
  readonly ciphertext: string;
  readonly sharedSecret: string;
}
/** Known answers with provenance: see the file's `provenance` field. */
const vectors = JSON.parse(
  readFileSync(new URL('./vectors/kyber1024.json', import.meta.url), 'utf8'),
) as {
  nistRound3: Vector;
  implicitRejection: { flippedByte: number; flippedBit: number; sharedSecret: string };
  encapsulation: { message: string; ciphertext: string; sharedSecret: string };
  libsignal: Vector;
};

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** The public key inside a secret key dk_pke ‖ ek ‖ H(ek) ‖ z. */
const publicKeyOf = (secretKey: Uint8Array): Uint8Array => secretKey.slice(1536, 3104);

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof PrimitivesError && e.code === code);
}

test('Kyber1024 sizes match libsignal type 0x08 without its type byte', () => {
  assert.equal(kyber1024.publicKeyLength, 1568);
  assert.equal(kyber1024.secretKeyLength, 3168);
  assert.equal(kyber1024.ciphertextLength, 1568);
  assert.equal(kyber1024.sharedSecretLength, 32);
  assert.equal(kyber1024.keyGenSeedLength, 64);
  assert.equal(kyber1024.encapsulationSeedLength, 32);
  const { publicKey, secretKey } = kyber1024.generateKeyPair();
  assert.equal(publicKey.length, 1568);
  assert.equal(secretKey.length, 3168);
  assert.deepEqual(publicKeyOf(secretKey), publicKey);
  const { ciphertext, sharedSecret } = kyber1024.encapsulate(publicKey);
  assert.equal(ciphertext.length, 1568);
  assert.equal(sharedSecret.length, 32);
});

test('Kyber1024 encapsulate/decapsulate round trip', () => {
  for (let i = 0; i < 5; i++) {
    const { publicKey, secretKey } = kyber1024.generateKeyPair();
    const { ciphertext, sharedSecret } = kyber1024.encapsulate(publicKey);
    assert.deepEqual(kyber1024.decapsulate(ciphertext, secretKey), sharedSecret);
  }
});

test('Kyber1024 seeded key generation and encapsulation are deterministic', () => {
  const seed = Uint8Array.from({ length: 64 }, (_, i) => i);
  const a = kyber1024.generateKeyPair(seed);
  assert.deepEqual(kyber1024.generateKeyPair(seed), a);
  const other = seed.slice();
  other[0] = 0xff;
  assert.notDeepEqual(kyber1024.generateKeyPair(other).publicKey, a.publicKey);
  const m = new Uint8Array(32).fill(7);
  assert.deepEqual(kyber1024.encapsulate(a.publicKey, m), kyber1024.encapsulate(a.publicKey, m));
  assert.notDeepEqual(
    kyber1024.encapsulate(a.publicKey).ciphertext,
    kyber1024.encapsulate(a.publicKey).ciphertext,
  );
});

test('Kyber1024 draws its randomness from the injected source', () => {
  const bytes = (n: number): Uint8Array =>
    Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);
  const seeded = createKyber1024(bytes);
  assert.deepEqual(seeded.generateKeyPair(), kyber1024.generateKeyPair(bytes(64)));
  const { publicKey } = kyber1024.generateKeyPair();
  assert.deepEqual(seeded.encapsulate(publicKey), kyber1024.encapsulate(publicKey, bytes(32)));
});

test('Kyber1024 rejects inputs of the wrong length', () => {
  const { publicKey, secretKey } = kyber1024.generateKeyPair();
  const { ciphertext } = kyber1024.encapsulate(publicKey);
  for (const delta of [-1, 1]) {
    assertCode(() => kyber1024.encapsulate(new Uint8Array(1568 + delta)), 'INVALID_KEY');
    assertCode(
      () => kyber1024.decapsulate(ciphertext, new Uint8Array(3168 + delta)),
      'INVALID_KEY',
    );
    assertCode(
      () => kyber1024.decapsulate(new Uint8Array(1568 + delta), secretKey),
      'INVALID_LENGTH',
    );
    assertCode(() => kyber1024.generateKeyPair(new Uint8Array(64 + delta)), 'INVALID_LENGTH');
    assertCode(
      () => kyber1024.encapsulate(publicKey, new Uint8Array(32 + delta)),
      'INVALID_LENGTH',
    );
  }
  // An ML-KEM/Kyber public key with the 0x08 type byte still attached is one byte too long.
  assertCode(() => kyber1024.encapsulate(Uint8Array.of(0x08, ...publicKey)), 'INVALID_KEY');
});

test('Kyber1024 rejects malformed keys of the right length', () => {
  const { publicKey, secretKey } = kyber1024.generateKeyPair();
  const unreduced = publicKey.slice();
  unreduced[0] = 0xff; // first 12-bit coefficient becomes 0x?ff with the next nibble:
  unreduced[1] = (unreduced[1] ?? 0) | 0x0f; // 4095 ≥ q = 3329
  assertCode(() => kyber1024.encapsulate(unreduced), 'INVALID_KEY');
  const badHash = secretKey.slice();
  badHash[3104] = (badHash[3104] ?? 0) ^ 1; // H(ek) no longer matches ek
  const { ciphertext } = kyber1024.encapsulate(publicKey);
  assertCode(() => kyber1024.decapsulate(ciphertext, badHash), 'INVALID_KEY');
});

test('Kyber1024 error messages carry no key bytes', () => {
  const { secretKey } = kyber1024.generateKeyPair();
  try {
    kyber1024.decapsulate(new Uint8Array(1568), secretKey.slice(0, 3167));
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof PrimitivesError);
    assert.ok(!e.message.includes(toHex(secretKey.subarray(0, 4))));
    assert.ok(e.message.length < 80);
  }
});

test('Kyber1024 implicit rejection: a tampered ciphertext yields a different, stable secret', () => {
  const { publicKey, secretKey } = kyber1024.generateKeyPair();
  const { ciphertext, sharedSecret } = kyber1024.encapsulate(publicKey);
  for (const index of [0, 800, 1567]) {
    const tampered = ciphertext.slice();
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    const rejected = kyber1024.decapsulate(tampered, secretKey);
    assert.equal(rejected.length, 32);
    assert.notDeepEqual(rejected, sharedSecret);
    assert.deepEqual(kyber1024.decapsulate(tampered, secretKey), rejected);
  }
});

test('Kyber1024 NIST round-3 KAT (count 0): decapsulation', () => {
  const v = vectors.nistRound3;
  assert.equal(toHex(kyber1024.decapsulate(hex(v.ciphertext), hex(v.secretKey))), v.sharedSecret);
});

test('Kyber1024 NIST round-3 KAT (count 0): implicit-rejection secret', () => {
  const v = vectors.nistRound3;
  const tampered = hex(v.ciphertext);
  const { flippedByte, flippedBit, sharedSecret } = vectors.implicitRejection;
  tampered[flippedByte] = (tampered[flippedByte] ?? 0) ^ (1 << flippedBit);
  assert.equal(toHex(kyber1024.decapsulate(tampered, hex(v.secretKey))), sharedSecret);
});

test('Kyber1024 encapsulation from a message matches the round-3 reference', () => {
  const v = vectors.encapsulation;
  const publicKey = publicKeyOf(hex(vectors.nistRound3.secretKey));
  const { ciphertext, sharedSecret } = kyber1024.encapsulate(publicKey, hex(v.message));
  assert.equal(toHex(ciphertext), v.ciphertext);
  assert.equal(toHex(sharedSecret), v.sharedSecret);
});

test('Kyber1024 decapsulates a libsignal 0.103.0 key pair and ciphertext', () => {
  const v = vectors.libsignal;
  assert.equal(toHex(kyber1024.decapsulate(hex(v.ciphertext), hex(v.secretKey))), v.sharedSecret);
});

test('Kyber1024 is not FIPS 203 ML-KEM-1024 (spec trap 1)', () => {
  const v = vectors.nistRound3;
  const mlKem = ml_kem1024.decapsulate(hex(v.ciphertext), hex(v.secretKey));
  assert.notEqual(toHex(mlKem), v.sharedSecret);
});
