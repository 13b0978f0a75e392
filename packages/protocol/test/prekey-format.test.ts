/** The identity and prekey record formats, pinned by test/fixtures/prekey-records-v1.json. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex } from '@parley/bytes';
import { createNodePrimitives } from '@parley/primitives-node';
import {
  PREKEY_RECORD_FORMAT_VERSION,
  ProtocolError,
  deserializeIdentityKeyPair,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSignedPreKeyRecord,
  serializeIdentityKeyPair,
  serializeKyberPreKeyRecord,
  serializeKyberPublicKey,
  serializePreKeyRecord,
  serializePublicKey,
  serializeSignedPreKeyRecord,
} from '@parley/protocol';

const fixture = JSON.parse(
  readFileSync(new URL('fixtures/prekey-records-v1.json', import.meta.url), 'utf8'),
) as Record<string, string | number>;
const hex = (key: string): Uint8Array => fromHex(String(fixture[key]));
const p = createNodePrimitives();

test('prekey formats v1: fixtures parse, keep their meaning and re-serialize to the same bytes', () => {
  assert.equal(fixture['format_version'], PREKEY_RECORD_FORMAT_VERSION);
  const identity = deserializeIdentityKeyPair(hex('identity_hex'));
  assert.deepEqual(serializeIdentityKeyPair(identity), hex('identity_hex'));
  assert.deepEqual(p.x25519.publicKey(identity.privateKey), identity.publicKey);

  const preKey = deserializePreKeyRecord(hex('pre_key_hex'));
  assert.equal(preKey.id, 7);
  assert.deepEqual(p.x25519.publicKey(preKey.keyPair.privateKey), preKey.keyPair.publicKey);
  assert.deepEqual(serializePreKeyRecord(preKey), hex('pre_key_hex'));

  const signed = deserializeSignedPreKeyRecord(hex('signed_pre_key_hex'));
  assert.equal(signed.id, 0x01020304);
  assert.equal(signed.createdAt, fixture['created_at']);
  const spk = serializePublicKey(signed.keyPair.publicKey);
  assert.ok(p.xeddsa.verify(identity.publicKey, spk, signed.signature));
  assert.deepEqual(serializeSignedPreKeyRecord(signed), hex('signed_pre_key_hex'));

  const kyber = deserializeKyberPreKeyRecord(hex('kyber_pre_key_hex'));
  assert.equal(kyber.id, 9);
  assert.equal(kyber.lastResort, true);
  assert.equal(kyber.createdAt, fixture['created_at']);
  const kpk = serializeKyberPublicKey(kyber.keyPair.publicKey);
  assert.ok(p.xeddsa.verify(identity.publicKey, kpk, kyber.signature));
  const { ciphertext, sharedSecret } = p.kem.kyber1024.encapsulate(kyber.keyPair.publicKey);
  assert.deepEqual(p.kem.kyber1024.decapsulate(ciphertext, kyber.keyPair.secretKey), sharedSecret);
  assert.deepEqual(serializeKyberPreKeyRecord(kyber), hex('kyber_pre_key_hex'));
});

test('prekey formats: wrong version, truncation and trailing bytes are INVALID_RECORD', () => {
  const invalid = (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_RECORD';
  const parsers: [string, (b: Uint8Array) => unknown][] = [
    ['identity_hex', deserializeIdentityKeyPair],
    ['pre_key_hex', deserializePreKeyRecord],
    ['signed_pre_key_hex', deserializeSignedPreKeyRecord],
    ['kyber_pre_key_hex', deserializeKyberPreKeyRecord],
  ];
  for (const [key, parse] of parsers) {
    const bytes = hex(key);
    assert.throws(() => parse(Uint8Array.of(2, ...bytes.subarray(1))), invalid);
    assert.throws(() => parse(bytes.subarray(0, bytes.length - 1)), invalid);
    assert.throws(() => parse(Uint8Array.of(...bytes, 0)), invalid);
    assert.throws(() => parse(new Uint8Array(0)), invalid);
  }
});
