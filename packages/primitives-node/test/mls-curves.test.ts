/**
 * The MLS curves (P-256/384/521 ECDH and ECDSA, X448, Ed448) of the node and noble backends
 * against each other: properties over random keys and messages, and the refusals (wrong
 * lengths, points off the curve, the identity, compressed points, out-of-range scalars) with
 * the same stable codes on both. Known answers come from the MLS vectors (packages/mls/test).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { DhGroup, ExtraSignatureAlgorithm, MlsCurves } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';
import { createNobleMlsCurves, withNobleMlsCurves } from '@parley/primitives-noble/mls-curves';
import { createNoblePrimitives } from '@parley/primitives-noble';
import { createNodePrimitives } from '@parley/primitives-node';

const node = createNodePrimitives().mlsCurves;
const noble = createNobleMlsCurves();
/** Property runs per group: P-521 on noble costs milliseconds per scalar multiplication. */
const RUNS = 12;
const GROUPS: readonly DhGroup[] = ['p256', 'p384', 'p521', 'x448'];
const SCHEMES: readonly ExtraSignatureAlgorithm[] = [
  'ed448',
  'ecdsa-p256-sha256',
  'ecdsa-p384-sha384',
  'ecdsa-p521-sha512',
];
const BACKENDS: readonly [string, MlsCurves][] = [
  ['node', node ?? fail()],
  ['noble', noble],
];

function fail(): never {
  throw new Error('the node backend has no mlsCurves');
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof PrimitivesError ? error.code : `raw ${String(error)}`;
  }
}

function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

test('the node backend has the MLS curves; the plain noble backend does not, withNobleMlsCurves adds them', () => {
  assert.ok(createNodePrimitives().mlsCurves);
  assert.equal(createNoblePrimitives().mlsCurves, undefined);
  assert.ok(withNobleMlsCurves(createNoblePrimitives()).mlsCurves);
});

for (const group of GROUPS) {
  test(`${group}: both backends derive the same public keys and shared secrets`, () => {
    const a = node ?? fail();
    fc.assert(
      fc.property(fc.boolean(), (nodeFirst) => {
        const [x, y] = nodeFirst ? [a, noble] : [noble, a];
        const alice = x.dh[group].generateKeyPair();
        const bob = y.dh[group].generateKeyPair();
        assert.deepEqual(y.dh[group].publicKey(alice.privateKey), alice.publicKey);
        assert.deepEqual(x.dh[group].publicKey(bob.privateKey), bob.publicKey);
        const s1 = x.dh[group].sharedSecret(alice.privateKey, bob.publicKey);
        const s2 = y.dh[group].sharedSecret(bob.privateKey, alice.publicKey);
        assert.deepEqual(s1, s2);
        assert.equal(s1.length, x.dh[group].sharedSecretLength);
        assert.equal(alice.privateKey.length, x.dh[group].privateKeyLength);
        assert.equal(alice.publicKey.length, x.dh[group].publicKeyLength);
      }),
      { numRuns: RUNS },
    );
  });

  test(`${group}: wrong-length keys are refused with INVALID_KEY on both backends`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 140 }), fc.boolean(), (length, privateSide) => {
        for (const [name, curves] of BACKENDS) {
          const dh = curves.dh[group];
          const good = dh.generateKeyPair();
          const expected = privateSide ? dh.privateKeyLength : dh.publicKeyLength;
          fc.pre(length !== expected);
          const bad = new Uint8Array(length).fill(1);
          const code = privateSide
            ? codeOf(() => dh.sharedSecret(bad, good.publicKey))
            : codeOf(() => dh.sharedSecret(good.privateKey, bad));
          assert.equal(code, 'INVALID_KEY', `${name}, length ${length}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
}

for (const group of ['p256', 'p384', 'p521'] as const) {
  test(`${group}: off-curve, identity and compressed points and out-of-range scalars are refused with INVALID_KEY`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), (noise) => {
        for (const [name, curves] of BACKENDS) {
          const dh = curves.dh[group];
          const { privateKey, publicKey } = dh.generateKeyPair();
          // Flipping bits of y moves the point off the curve (x fixes y up to sign).
          const offCurve = publicKey.slice();
          noise.forEach((b, i) => {
            const at = offCurve.length - 1 - i;
            offCurve[at] = (offCurve[at] ?? 0) ^ (b | 1);
          });
          const identity = new Uint8Array(dh.publicKeyLength);
          identity[0] = 0x04;
          // SEC1 compressed: 0x02 or 0x03 (y's parity) ‖ x, zero-padded to the uncompressed length.
          const field = (dh.publicKeyLength - 1) / 2;
          const padded = new Uint8Array(dh.publicKeyLength);
          padded[0] = 0x02 | ((publicKey[publicKey.length - 1] ?? 0) & 1);
          padded.set(publicKey.subarray(1, 1 + field), 1);
          for (const [what, point] of [
            ['off-curve point', offCurve],
            ['identity', identity],
            ['compressed point', padded],
          ] as const) {
            assert.equal(
              codeOf(() => dh.sharedSecret(privateKey, point)),
              'INVALID_KEY',
              `${name}: ${what}`,
            );
          }
          // Zero, and all-ones (above the order n of each of the three curves).
          for (const fill of [0x00, 0xff]) {
            const bytes = new Uint8Array(dh.privateKeyLength).fill(fill);
            assert.equal(
              codeOf(() => dh.publicKey(bytes)),
              'INVALID_KEY',
              `${name}: scalar`,
            );
            assert.equal(
              codeOf(() => dh.sharedSecret(bytes, publicKey)),
              'INVALID_KEY',
              `${name}: scalar in DH`,
            );
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
}

test('x448: a small-order public key gives ZERO_SHARED_SECRET on both backends', () => {
  for (const [name, curves] of BACKENDS) {
    const { privateKey } = curves.dh.x448.generateKeyPair();
    for (const u of [0n, 1n]) {
      const point = bigIntToBytes(u, 56).reverse();
      assert.equal(
        codeOf(() => curves.dh.x448.sharedSecret(privateKey, point)),
        'ZERO_SHARED_SECRET',
        `${name}: u = ${u}`,
      );
    }
  }
});

for (const scheme of SCHEMES) {
  test(`${scheme}: what one backend signs the other verifies; altered messages and signatures fail`, () => {
    const a = node ?? fail();
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        (nodeFirst, message, flip) => {
          const [x, y] = nodeFirst ? [a, noble] : [noble, a];
          const pair = x.signature[scheme].generateKeyPair();
          assert.deepEqual(y.signature[scheme].publicKey(pair.privateKey), pair.publicKey);
          const signature = x.signature[scheme].sign(pair.privateKey, message);
          assert.equal(y.signature[scheme].verify(pair.publicKey, message, signature), true);
          assert.equal(x.signature[scheme].verify(pair.publicKey, message, signature), true);
          const other = Uint8Array.of(...message, 0);
          assert.equal(y.signature[scheme].verify(pair.publicKey, other, signature), false);
          const bent = signature.slice();
          const at = flip % bent.length;
          bent[at] = (bent[at] ?? 0) ^ 0x01;
          for (const [, curves] of BACKENDS) {
            assert.equal(curves.signature[scheme].verify(pair.publicKey, message, bent), false);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test(`${scheme}: bad keys and signatures verify false, never throw; bad private keys are INVALID_KEY`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), fc.uint8Array({ maxLength: 140 }), (k, s) => {
        for (const [name, curves] of BACKENDS) {
          const sig = curves.signature[scheme];
          assert.equal(sig.verify(k, Uint8Array.of(1), s), false, name);
          const pair = sig.generateKeyPair();
          fc.pre(k.length !== pair.privateKey.length);
          assert.equal(
            codeOf(() => sig.sign(k, Uint8Array.of(1))),
            'INVALID_KEY',
            name,
          );
          assert.equal(
            codeOf(() => sig.publicKey(k)),
            'INVALID_KEY',
            name,
          );
        }
      }),
      { numRuns: RUNS },
    );
  });
}
