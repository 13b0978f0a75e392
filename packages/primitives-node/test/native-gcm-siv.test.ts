/**
 * AES-GCM-SIV (sealed sender v2) runs on OpenSSL exactly where the runtime's OpenSSL has it
 * (3.2+, Node 24), and agrees with noble there; Wycheproof's vectors run through it in
 * conformance.test.ts. Cipher creations are counted on node:crypto itself.
 */
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const nodeCrypto = require('node:crypto') as {
  createCipheriv: (...a: unknown[]) => unknown;
  getCiphers: () => string[];
};
const original = nodeCrypto.createCipheriv;
const created: string[] = [];
nodeCrypto.createCipheriv = (...a: unknown[]) => {
  created.push(String(a[0]));
  return original(...a);
};
syncBuiltinESMExports();
const { createNodePrimitives } = await import('@parley/primitives-node');
const { createNoblePrimitives } = await import('@parley/primitives-noble');

test('AES-GCM-SIV is OpenSSL’s where the runtime lists it, and agrees with noble', () => {
  const ours = createNodePrimitives().aead['aes-gcm-siv'];
  const noble = createNoblePrimitives().aead['aes-gcm-siv'];
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const nonce = new Uint8Array(12).fill(7);
  const message = new TextEncoder().encode('sealed sender v2 body');
  const aad = Uint8Array.of(1, 2, 3);
  created.length = 0;
  const sealed = ours.seal(key, nonce, message, aad);
  const native = nodeCrypto.getCiphers().includes('aes-256-gcm-siv');
  assert.deepEqual(created, native ? ['aes-256-gcm-siv'] : []);
  assert.deepEqual(sealed, noble.seal(key, nonce, message, aad));
  assert.deepEqual(ours.open(key, nonce, sealed, aad), message);
  assert.deepEqual(noble.open(key, nonce, sealed, aad), message);
});
