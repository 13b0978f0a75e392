/**
 * SPQR's incremental ML-KEM-768 on the runtime's ML-KEM (Node 24): which path is taken, the
 * seed-form decapsulation key it hands out, and agreement with noble both ways, so a session
 * state written on one backend or runtime decapsulates on the other. The shared conformance
 * suite (conformance.test.ts) and the Wycheproof vectors run through the same object.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { test } from 'node:test';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives, hasNativeMlKem768 } from '@parley/primitives-node';

const inc = createNodePrimitives().incrementalMlKem768;
const noble = createNoblePrimitives().incrementalMlKem768;
const runtimeHasKem =
  typeof (crypto as unknown as { decapsulate?: unknown }).decapsulate === 'function';

test('the native path is taken exactly where the runtime has crypto.decapsulate', () => {
  assert.equal(hasNativeMlKem768(), runtimeHasKem);
  assert.equal(inc.generateKeyPair().decapsulationKey.length, runtimeHasKem ? 64 : 2400);
});

test('key pairs and secrets agree with noble in both directions and both key forms', () => {
  for (let i = 0; i < 4; i++) {
    const ours = inc.generateKeyPair();
    const seedOnly = ours.decapsulationKey.length === 64;
    const sent = noble.encapsulate1(ours.header);
    const ct2 = noble.encapsulate2(sent.state, ours.encapsulationKey);
    assert.deepEqual(
      inc.decapsulate(sent.ciphertext1, ct2, ours.decapsulationKey),
      sent.sharedSecret,
    );
    assert.deepEqual(
      noble.decapsulate(sent.ciphertext1, ct2, ours.decapsulationKey),
      sent.sharedSecret,
    );
    if (seedOnly) {
      const same = noble.generateKeyPair(ours.decapsulationKey);
      assert.deepEqual(same.header, ours.header);
      assert.deepEqual(same.encapsulationKey, ours.encapsulationKey);
    }
    const theirs = noble.generateKeyPair();
    const received = inc.encapsulate1(theirs.header);
    const ct2b = inc.encapsulate2(received.state, theirs.encapsulationKey);
    assert.deepEqual(
      inc.decapsulate(received.ciphertext1, ct2b, theirs.decapsulationKey),
      received.sharedSecret,
    );
    // Implicit rejection under a seed: the same pseudorandom secret as noble's.
    const tampered = ct2.slice();
    tampered[i] = (tampered[i] ?? 0) ^ 1;
    const rejected = inc.decapsulate(sent.ciphertext1, tampered, ours.decapsulationKey);
    assert.deepEqual(
      rejected,
      noble.decapsulate(sent.ciphertext1, tampered, ours.decapsulationKey),
    );
    assert.notDeepEqual(rejected, sent.sharedSecret);
  }
});

test('with caller-supplied randomness, key generation draws its seed from it', () => {
  let calls = 0;
  const seeded = createNodePrimitives({
    randomBytes: (n) => {
      calls++;
      return new Uint8Array(n).fill(0x42);
    },
  }).incrementalMlKem768;
  const a = seeded.generateKeyPair();
  const b = noble.generateKeyPair(new Uint8Array(64).fill(0x42));
  assert.ok(calls > 0);
  assert.deepEqual(a.header, b.header);
  assert.deepEqual(a.encapsulationKey, b.encapsulationKey);
});
