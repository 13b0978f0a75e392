// RFC 9381 Appendix B.3 (ECVRF-EDWARDS25519-SHA512-TAI), one case per vector, on both
// primitives backends, plus the refusals RFC 9381 §5.3 requires.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromHex, toHex } from '@parley/bytes';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';
import { vrfProofToHash, vrfProve, vrfPublicKey, vrfVerify } from '../src/index.js';
import { encodeToCurve, vrfHash } from '../src/ecvrf.js';

interface Vector {
  readonly name: string;
  readonly sk: string;
  readonly pk: string;
  readonly alpha: string;
  readonly h: string;
  readonly pi: string;
  readonly beta: string;
}

const file = JSON.parse(
  readFileSync(new URL('../vectors/rfc9381-edwards25519-sha512-tai.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

for (const [backend, primitives] of [
  ['node', createNodePrimitives()],
  ['noble', createNoblePrimitives()],
] as const) {
  const sha512 = (d: Uint8Array): Uint8Array => primitives.hash('sha512', d);
  test(`the X25519 multiplication gives noble's output and the proof's (${backend}, 64 keys and inputs)`, () => {
    let calls = 0;
    const x25519 = (k: Uint8Array, u: Uint8Array): Uint8Array => {
      calls++;
      return primitives.x25519.sharedSecret(k, u);
    };
    for (let i = 0; i < 64; i++) {
      const sk = primitives.randomBytes(32);
      const alpha = primitives.randomBytes(i);
      const slow = toHex(vrfHash(sha512, sk, alpha));
      assert.equal(toHex(vrfHash(sha512, sk, alpha, x25519)), slow);
      assert.equal(toHex(vrfProofToHash(sha512, vrfProve(sha512, sk, alpha))), slow);
    }
    assert.equal(calls, 2 * 64, 'every output took the X25519 path');
  });
  for (const v of file.vectors) {
    test(`RFC 9381 ${v.name} (${backend}): key, encode_to_curve, prove, proof_to_hash, verify`, () => {
      const sk = fromHex(v.sk);
      const alpha = fromHex(v.alpha);
      assert.equal(toHex(vrfPublicKey(sha512, sk)), v.pk);
      assert.equal(toHex(encodeToCurve(sha512, fromHex(v.pk), alpha).toBytes()), v.h);
      assert.equal(toHex(vrfProve(sha512, sk, alpha)), v.pi);
      assert.equal(toHex(vrfProofToHash(sha512, fromHex(v.pi))), v.beta);
      assert.equal(toHex(vrfHash(sha512, sk, alpha)), v.beta, 'output without a proof');
      assert.equal(
        toHex(vrfHash(sha512, sk, alpha, (k, u) => primitives.x25519.sharedSecret(k, u))),
        v.beta,
        'output with the multiplication done by X25519',
      );
      assert.equal(
        toHex(vrfVerify(sha512, fromHex(v.pk), alpha, fromHex(v.pi)) ?? new Uint8Array()),
        v.beta,
      );
    });
  }
}

test('ECVRF verify refuses a wrong input, a wrong key, a tampered proof, s ≥ L, small-order keys and non-canonical points', () => {
  const primitives = createNodePrimitives();
  const sha512 = (d: Uint8Array): Uint8Array => primitives.hash('sha512', d);
  const [a, b] = file.vectors as [Vector, Vector];
  const pi = fromHex(a.pi);
  assert.equal(vrfVerify(sha512, fromHex(a.pk), Uint8Array.of(1), pi), undefined);
  assert.equal(vrfVerify(sha512, fromHex(b.pk), fromHex(a.alpha), pi), undefined);
  for (const at of [0, 40, 79]) {
    const bad = Uint8Array.from(pi);
    bad[at] = (bad[at] ?? 0) ^ 1;
    assert.equal(vrfVerify(sha512, fromHex(a.pk), fromHex(a.alpha), bad), undefined, `byte ${at}`);
  }
  const bigS = Uint8Array.from(pi);
  bigS.fill(0xff, 48, 80);
  bigS[79] = 0x1f;
  assert.equal(vrfVerify(sha512, fromHex(a.pk), fromHex(a.alpha), bigS), undefined);
  const identity = new Uint8Array(32);
  identity[0] = 1;
  assert.equal(vrfVerify(sha512, identity, fromHex(a.alpha), pi), undefined);
  assert.equal(vrfVerify(sha512, fromHex(a.pk), fromHex(a.alpha), pi.slice(0, 79)), undefined);
  // The challenge hashes the key and Gamma as received, so only canonical encodings may pass
  // decoding (RFC 8032 strict): y = p + 1 encodes the identity non-canonically.
  const nonCanonical = new Uint8Array(32).fill(0xff);
  nonCanonical[0] = 0xee;
  nonCanonical[31] = 0x7f;
  assert.equal(vrfVerify(sha512, nonCanonical, fromHex(a.alpha), pi), undefined);
  const badGamma = Uint8Array.from(pi);
  badGamma.set(nonCanonical, 0);
  assert.equal(vrfVerify(sha512, fromHex(a.pk), fromHex(a.alpha), badGamma), undefined);
});
