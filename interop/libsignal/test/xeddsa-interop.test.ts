/** XEdDSA (spec §2, trap 12) against libsignal 0.103.0, both directions, for each backend. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import { backends } from './backends.js';
import { EC_KEY_TYPE, ab, typed, untyped } from './libsignal-parties.js';

const PAIRS = 200;

function flipped(signature: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(signature);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

for (const p of backends) {
  test(`${p.backend}: libsignal PrivateKey.sign verifies with our xeddsa.verify; flipped bits fail both`, () => {
    let signBitSet = 0;
    for (let i = 0; i < PAIRS; i++) {
      const key = PrivateKey.generate();
      const publicKey = untyped(EC_KEY_TYPE, key.getPublicKey().serialize());
      const message = p.randomBytes(i % 97);
      const signature = key.sign(ab(message));
      assert.ok(p.xeddsa.verify(publicKey, message, signature), `pair ${i}`);
      if ((signature[63] ?? 0) & 0x80) signBitSet++;
      const bad = flipped(signature, (i * 37) % 512);
      assert.equal(p.xeddsa.verify(publicKey, message, bad), false, `flipped pair ${i}`);
      assert.equal(key.getPublicKey().verify(ab(message), ab(bad)), false);
    }
    // Both sign-bit values occurred, so the sig[63] convention was exercised (trap 12).
    assert.ok(signBitSet > 0 && signBitSet < PAIRS);
  });

  test(`${p.backend}: our xeddsa.sign verifies with libsignal PublicKey.verify; flipped bits fail both`, () => {
    for (let i = 0; i < PAIRS; i++) {
      const { privateKey, publicKey } = p.xeddsa.generateKeyPair();
      const libsignalKey = PublicKey.deserialize(ab(typed(EC_KEY_TYPE, publicKey)));
      // libsignal derives the same public key from our private key.
      assert.deepEqual(
        PrivateKey.deserialize(ab(privateKey)).getPublicKey().serialize(),
        libsignalKey.serialize(),
      );
      const message = p.randomBytes((i * 13) % 200);
      const signature = p.xeddsa.sign(privateKey, message);
      assert.ok(libsignalKey.verify(ab(message), ab(signature)), `pair ${i}`);
      const bad = flipped(signature, (i * 101) % 512);
      assert.equal(libsignalKey.verify(ab(message), ab(bad)), false, `flipped pair ${i}`);
      assert.equal(p.xeddsa.verify(publicKey, message, bad), false);
    }
  });
}
