/**
 * Long-lived keys (`KeyLifetime`): an identity key or signed prekey handed over in a new array
 * on every load is imported by OpenSSL once; results never differ from the ephemeral path; a
 * key that changed is never served from the cache; ephemeral keys are never kept by bytes; and
 * the cache holds at most LONG_LIVED_KEYS keys. Imports are counted on node:crypto itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counted } from './import-counter.js';
// Imported after the counter's patch, so that the backend's named import is the counting one.
const { createNodePrimitives, hasNativeMlKem1024 } = await import('@parley/primitives-node');
const { createNoblePrimitives } = await import('@parley/primitives-noble');

const p = createNodePrimitives();
const noble = createNoblePrimitives();
const LONG_LIVED_KEYS = 8;

test('a long-lived X25519 key in fresh arrays is imported once, with the same results', () => {
  const ours = p.x25519.generateKeyPair();
  const peer0 = p.x25519.generateKeyPair();
  const peers = [peer0, p.x25519.generateKeyPair()];
  const first = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(ours.privateKey), peer0.publicKey, 'long-lived'),
  );
  assert.equal(first.imports, 1);
  for (const peer of peers) {
    const again = counted(() =>
      p.x25519.sharedSecret(Uint8Array.from(ours.privateKey), peer.publicKey, 'long-lived'),
    );
    assert.equal(again.imports, 0);
    assert.deepEqual(again.value, noble.x25519.sharedSecret(ours.privateKey, peer.publicKey));
  }
  // Ephemeral keys are kept only per array: a fresh copy is imported again.
  const key = p.x25519.generateKeyPair().privateKey;
  p.x25519.sharedSecret(key, peer0.publicKey);
  const copy = counted(() => p.x25519.sharedSecret(Uint8Array.from(key), peer0.publicKey));
  assert.equal(copy.imports, 1);
});

test('a long-lived key changed in place is imported again, never served stale', () => {
  const peer = p.x25519.generateKeyPair();
  const key = p.x25519.generateKeyPair().privateKey;
  p.x25519.sharedSecret(key, peer.publicKey, 'long-lived');
  key[5] = (key[5] ?? 0) ^ 0x10;
  const changed = counted(() => p.x25519.sharedSecret(key, peer.publicKey, 'long-lived'));
  assert.equal(changed.imports, 1);
  assert.deepEqual(changed.value, noble.x25519.sharedSecret(key, peer.publicKey));
});

test(`the cache keeps at most ${LONG_LIVED_KEYS} keys, least recently used out first`, () => {
  const peer = p.x25519.generateKeyPair();
  const oldest = p.x25519.generateKeyPair();
  const keys = [
    oldest,
    ...Array.from({ length: LONG_LIVED_KEYS }, () => p.x25519.generateKeyPair()),
  ];
  for (const k of keys)
    p.x25519.sharedSecret(Uint8Array.from(k.privateKey), peer.publicKey, 'long-lived');
  // keys[0] went out when the last one came in; keys[1..] are all still there.
  for (const k of keys.slice(1).reverse()) {
    const hit = counted(() =>
      p.x25519.sharedSecret(Uint8Array.from(k.privateKey), peer.publicKey, 'long-lived'),
    );
    assert.equal(hit.imports, 0);
  }
  const evicted = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(oldest.privateKey), peer.publicKey, 'long-lived'),
  );
  assert.equal(evicted.imports, 1);
  assert.deepEqual(evicted.value, noble.x25519.sharedSecret(oldest.privateKey, peer.publicKey));
});

test('a long-lived Kyber1024 prekey in fresh arrays is imported once where decapsulation is native', () => {
  const pair = p.kem.kyber1024.generateKeyPair();
  const sent = [
    p.kem.kyber1024.encapsulate(pair.publicKey),
    p.kem.kyber1024.encapsulate(pair.publicKey),
  ];
  const results = sent.map(({ ciphertext }) =>
    counted(() =>
      p.kem.kyber1024.decapsulate(ciphertext, Uint8Array.from(pair.secretKey), 'long-lived'),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.imports),
    hasNativeMlKem1024() ? [1, 0] : [0, 0],
  );
  assert.deepEqual(
    results.map((r) => r.value),
    sent.map((s) => s.sharedSecret),
  );
});
