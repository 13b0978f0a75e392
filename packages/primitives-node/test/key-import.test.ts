/**
 * The routes from raw X25519/Ed25519 bytes to KeyObjects (key-objects.ts): every route this
 * runtime supports gives the same keys as noble on random input, the detected route is the
 * fastest supported one, and a runtime with the raw formats uses them.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';
import { createNoblePrimitives } from '@parley/primitives-noble';
import {
  keyImporter,
  keyImporterFor,
  keyImportRouteWorks,
  publicExportRoute,
  publicExportRouteWorks,
  createNodePrimitives,
  type KeyImportRoute,
} from '@parley/primitives-node';

const noble = createNoblePrimitives();
const ROUTES: readonly KeyImportRoute[] = ['raw', 'jwk', 'der'];
const supported = ROUTES.filter((r) => keyImportRouteWorks(r));

/** Whether node:crypto takes `raw-public` keys: probed independently of key-objects.ts. */
function runtimeHasRawFormats(): boolean {
  try {
    createPublicKey({
      key: Buffer.alloc(32, 9),
      format: 'raw-public',
      asymmetricKeyType: 'x25519',
    } as unknown as Parameters<typeof createPublicKey>[0]);
    return true;
  } catch {
    return false;
  }
}

test('DER works on every runtime, and the detected route is the first supported one', () => {
  assert.ok(supported.includes('der'));
  assert.equal(keyImporter.route, supported[0]);
  assert.equal(keyImporterFor('der')?.route, 'der');
});

test('a runtime with raw key formats imports through them', () => {
  assert.equal(supported.includes('raw'), runtimeHasRawFormats());
  if (runtimeHasRawFormats()) assert.equal(keyImporter.route, 'raw');
  else assert.notEqual(keyImporter.route, 'raw');
});

for (const route of supported) {
  test(`route ${route}: random X25519 and Ed25519 keys agree with noble`, () => {
    const importer = keyImporterFor(route);
    assert.ok(importer);
    for (let i = 0; i < 8; i++) {
      const mine = noble.x25519.generateKeyPair();
      const theirs = noble.x25519.generateKeyPair();
      const shared = diffieHellman({
        privateKey: importer.privateKey('X25519', mine.privateKey),
        publicKey: importer.publicKey('X25519', theirs.publicKey),
      });
      assert.deepEqual(
        Uint8Array.from(shared),
        noble.x25519.sharedSecret(mine.privateKey, theirs.publicKey),
      );
      const seed = Uint8Array.from(randomBytes(32));
      const message = Uint8Array.from(randomBytes(40));
      const signature: Buffer = sign(null, message, importer.privateKey('Ed25519', seed));
      assert.deepEqual(Uint8Array.from(signature), noble.ed25519.sign(seed, message));
      const publicKey = noble.ed25519.publicKey(seed);
      const exported: unknown = importer
        .publicKey('Ed25519', publicKey)
        .export({ format: 'jwk' }).x;
      assert.equal(exported, Buffer.from(publicKey).toString('base64url'));
    }
  });
}

test('public keys are read out by raw-public where it exists, else a public JWK, never DER here', () => {
  assert.ok(publicExportRouteWorks('der'));
  assert.equal(publicExportRoute, runtimeHasRawFormats() ? 'raw' : 'jwk');
});

test('the node backend derives the public keys noble derives, X25519 and Ed25519', () => {
  const node = createNodePrimitives();
  for (let i = 0; i < 16; i++) {
    const seed = Uint8Array.from(randomBytes(32));
    assert.deepEqual(node.ed25519.publicKey(seed), noble.ed25519.publicKey(seed));
    const pair = node.x25519.generateKeyPair();
    assert.deepEqual(pair.publicKey, noble.x25519.publicKey(pair.privateKey));
    const scalar = Uint8Array.from(randomBytes(32));
    assert.deepEqual(node.x25519.publicKey(scalar), noble.x25519.publicKey(scalar));
  }
  // The DER route, independently of which one the backend took.
  const key = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), randomBytes(32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12);
  const jwk = createPublicKey(key).export({ format: 'jwk' }).x;
  assert.equal(jwk, spki.toString('base64url'));
});
