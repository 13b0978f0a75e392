// The secret tree's hash ratchets (RFC 9420 §9.4): out-of-order keys within the window,
// consumed keys gone, the forward bound enforced, and old tree values left untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '@parley/bytes';
import {
  MAX_FORWARD_RATCHET_STEPS,
  MAX_RETAINED_RATCHET_KEYS,
  MlsCrypto,
  MlsError,
  SecretTree,
  leafIndex,
} from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';

const crypto = new MlsCrypto(createNodePrimitives(), 1);
const secret = new Uint8Array(32).fill(7);
const leaf = leafIndex(3);
const isDecryptFailed = (e: unknown): boolean =>
  e instanceof MlsError && e.code === 'DECRYPT_FAILED';

test('keys received out of order equal keys received in order', () => {
  let inOrder = SecretTree.create(crypto, secret, 8);
  const expected: string[] = [];
  for (let g = 0; g < 5; g++) {
    const step = inOrder.keyFor(leaf, 'application', g);
    inOrder = step.tree;
    expected.push(toHex(step.key.key));
  }
  let tree = SecretTree.create(crypto, secret, 8);
  for (const g of [4, 1, 3, 0, 2]) {
    const step = tree.keyFor(leaf, 'application', g);
    tree = step.tree;
    assert.equal(toHex(step.key.key), expected[g]);
  }
});

test('a used generation cannot be used again, but the tree it came from still has it', () => {
  const fresh = SecretTree.create(crypto, secret, 8);
  const first = fresh.keyFor(leaf, 'handshake', 2);
  assert.throws(() => first.tree.keyFor(leaf, 'handshake', 2), isDecryptFailed);
  assert.equal(toHex(fresh.keyFor(leaf, 'handshake', 2).key.nonce), toHex(first.key.nonce));
});

test('the two ratchets of a leaf and the ratchets of different leaves are independent', () => {
  const tree = SecretTree.create(crypto, secret, 8);
  const a = tree.keyFor(leaf, 'handshake', 0).key.key;
  const b = tree.keyFor(leaf, 'application', 0).key.key;
  const c = tree.keyFor(leafIndex(2), 'handshake', 0).key.key;
  assert.notEqual(toHex(a), toHex(b));
  assert.notEqual(toHex(a), toHex(c));
});

test(`a jump of more than ${MAX_FORWARD_RATCHET_STEPS} generations is refused`, () => {
  const tree = SecretTree.create(crypto, secret, 8);
  assert.throws(
    () => tree.keyFor(leaf, 'application', MAX_FORWARD_RATCHET_STEPS + 1),
    isDecryptFailed,
  );
  assert.equal(
    tree.keyFor(leaf, 'application', MAX_FORWARD_RATCHET_STEPS).key.generation,
    MAX_FORWARD_RATCHET_STEPS,
  );
});

test(`at most ${MAX_RETAINED_RATCHET_KEYS} skipped keys are kept, the oldest dropped first`, () => {
  const tree = SecretTree.create(crypto, secret, 8);
  const far = tree.keyFor(leaf, 'application', MAX_RETAINED_RATCHET_KEYS + 10).tree;
  assert.throws(() => far.keyFor(leaf, 'application', 0), isDecryptFailed);
  assert.equal(far.keyFor(leaf, 'application', 10).key.generation, 10);
});

test('a leaf outside the tree is misuse', () => {
  const tree = SecretTree.create(crypto, secret, 8);
  assert.throws(
    () => tree.keyFor(leafIndex(8), 'application', 0),
    (e: unknown) => e instanceof MlsError && e.code === 'MISUSE',
  );
});
