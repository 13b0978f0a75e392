/**
 * Session keys (`KeyLifetime` 'session': our current ratchet key): a key handed over in a new
 * array on every record load is imported by OpenSSL once; `forget` drops it, so the next use
 * imports it again; results never differ from noble's; a key changed in place is never served
 * from the cache; and the cache holds at most SESSION_KEYS keys. Imports are counted on
 * node:crypto itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counted } from './import-counter.js';
// Imported after the counter's patch, so that the backend's named import is the counting one.
const { createNodePrimitives } = await import('@parley/primitives-node');
const { createNoblePrimitives } = await import('@parley/primitives-noble');

const noble = createNoblePrimitives();
const SESSION_KEYS = 32;

test('a session key in fresh arrays is imported once until forgotten, with the same results', () => {
  const p = createNodePrimitives();
  const peer = p.x25519.generateKeyPair();
  // Generated and used at once (the ratchet step that makes it): no import beyond generation.
  const ours = counted(() => p.x25519.generateKeyPair()).value;
  const first = counted(() => p.x25519.sharedSecret(ours.privateKey, peer.publicKey, 'session'));
  assert.equal(first.imports, 0);
  // Loaded again from the record (a new array): served by its bytes.
  const again = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(ours.privateKey), peer.publicKey, 'session'),
  );
  assert.equal(again.imports, 0);
  assert.deepEqual(again.value, noble.x25519.sharedSecret(ours.privateKey, peer.publicKey));
  // Forgotten through yet another copy: the next use imports it afresh.
  p.x25519.forget(Uint8Array.from(ours.privateKey));
  const after = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(ours.privateKey), peer.publicKey, 'session'),
  );
  assert.equal(after.imports, 1);
  assert.deepEqual(after.value, again.value);
  // Forgetting a key that was never kept, or twice, changes nothing and does not throw.
  p.x25519.forget(new Uint8Array(32).fill(9));
  p.x25519.forget(Uint8Array.from(ours.privateKey));
  p.x25519.forget(Uint8Array.from(ours.privateKey));
});

test('a session key is not kept by the ephemeral or long-lived paths', () => {
  const p = createNodePrimitives();
  const peer = p.x25519.generateKeyPair();
  const key = p.x25519.generateKeyPair().privateKey;
  p.x25519.sharedSecret(key, peer.publicKey, 'session');
  // Another lifetime finds nothing by bytes: a copy is imported again.
  const ephemeral = counted(() => p.x25519.sharedSecret(Uint8Array.from(key), peer.publicKey));
  assert.equal(ephemeral.imports, 1);
  const forgotten = p.x25519.generateKeyPair().privateKey;
  p.x25519.sharedSecret(forgotten, peer.publicKey, 'long-lived');
  // forget() only drops session keys: the long-lived key stays imported.
  p.x25519.forget(forgotten);
  const longLived = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(forgotten), peer.publicKey, 'long-lived'),
  );
  assert.equal(longLived.imports, 0);
});

test('a session key changed in place is imported again, never served stale', () => {
  const p = createNodePrimitives();
  const peer = p.x25519.generateKeyPair();
  const key = p.x25519.generateKeyPair().privateKey;
  p.x25519.sharedSecret(key, peer.publicKey, 'session');
  key[7] = (key[7] ?? 0) ^ 0x20;
  const changed = counted(() => p.x25519.sharedSecret(key, peer.publicKey, 'session'));
  assert.equal(changed.imports, 1);
  assert.deepEqual(changed.value, noble.x25519.sharedSecret(key, peer.publicKey));
});

test(`the session cache keeps at most ${SESSION_KEYS} keys, least recently used out first`, () => {
  const p = createNodePrimitives();
  const peer = p.x25519.generateKeyPair();
  const keys = Array.from({ length: SESSION_KEYS + 1 }, () => p.x25519.generateKeyPair());
  for (const k of keys)
    p.x25519.sharedSecret(Uint8Array.from(k.privateKey), peer.publicKey, 'session');
  for (const k of keys.slice(1).reverse()) {
    const hit = counted(() =>
      p.x25519.sharedSecret(Uint8Array.from(k.privateKey), peer.publicKey, 'session'),
    );
    assert.equal(hit.imports, 0);
  }
  const oldest = keys[0];
  assert.ok(oldest);
  const evicted = counted(() =>
    p.x25519.sharedSecret(Uint8Array.from(oldest.privateKey), peer.publicKey, 'session'),
  );
  assert.equal(evicted.imports, 1);
  assert.deepEqual(evicted.value, noble.x25519.sharedSecret(oldest.privateKey, peer.publicKey));
});
