import type { Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectEqual, expectTrue } from './check.js';
import {
  ED25519_ORDER,
  checkSignatureEquation,
  clampedScalar,
  edwardsPublicKey,
  edwardsYFromMontgomery,
  littleEndianToBigInt,
} from './edwards25519.js';
import { concat, counting, flipBit, hex } from './test-bytes.js';

/** libsignal `rust/core/src/curve/curve25519.rs` `test_signature`: a signature over a 33-byte key. */
const LIBSIGNAL_SIGNATURE = {
  privateKey: hex('c097248412e58bf05df487968205132794178e367637f5818f81e0e6ce73e865'),
  publicKey: hex('ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64'),
  message: hex('05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a'),
  signature: hex(
    '5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb' +
      'ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88',
  ),
};

/** Keys signed with in the round-trip case. */
const ROUND_TRIP_KEYS = 64;
/** Keys checked against the (slow) edwards25519 reference. */
const REFERENCE_KEYS = 8;
const SIGNATURE_LENGTH = 64;
const SIGN_BIT = 0x80;
const S_OFFSET = 32;
/** Multiples of ℓ added to s that stay below 2^255 and set bit 253 or 254 (ℓ > 2^252). */
const NON_REDUCED_MULTIPLES = [2n, 3n, 4n, 5n, 6n, 7n];
/** s must fit in 255 bits: bit 255 carries the sign. */
const S_BOUND = 2n ** 255n;

function message(i: number): Uint8Array {
  return counting(i * 7, i % 97);
}

function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = 0; i < length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** XEdDSA as libsignal does it (specs/signal-v4-wire.md §2). */
export function xeddsaCases(p: Primitives): ConformanceCase[] {
  const x = p.xeddsa;
  return [
    {
      name: 'signal-v4-wire §2 XEdDSA: libsignal test_signature verifies; each byte with bit 0 flipped is rejected',
      run: () => {
        const v = LIBSIGNAL_SIGNATURE;
        expectBytes(x.publicKey(v.privateKey), v.publicKey, 'public key');
        expectTrue(
          x.verify(v.publicKey, v.message, v.signature),
          'libsignal signature does not verify',
        );
        for (let i = 0; i < SIGNATURE_LENGTH; i++) {
          expectTrue(
            !x.verify(v.publicKey, v.message, flipBit(v.signature, i * 8)),
            `byte ${i} flipped verifies`,
          );
        }
      },
    },
    {
      name: `signal-v4-wire §2 XEdDSA: sign/verify round trip over ${ROUND_TRIP_KEYS} keys`,
      run: () => {
        for (let i = 0; i < ROUND_TRIP_KEYS; i++) {
          const pair = x.generateKeyPair();
          expectBytes(x.publicKey(pair.privateKey), pair.publicKey, `key ${i}: public key`);
          expectBytes(
            p.x25519.publicKey(pair.privateKey),
            pair.publicKey,
            `key ${i}: same as X25519`,
          );
          const signature = x.sign(pair.privateKey, message(i));
          expectEqual(signature.length, SIGNATURE_LENGTH, `key ${i}: signature length`);
          expectTrue(
            x.verify(pair.publicKey, message(i), signature),
            `key ${i}: signature does not verify`,
          );
        }
      },
    },
    {
      name: 'signal-v4-wire §2 XEdDSA: sig[63] bit 7 is the sign of the Edwards key; s·B = R + h·A (reference)',
      run: () => {
        for (let i = 0; i < REFERENCE_KEYS; i++) {
          const pair = x.generateKeyPair();
          const edwards = edwardsPublicKey(pair.privateKey);
          const withoutSign = Uint8Array.from(edwards);
          withoutSign[31] = (withoutSign[31] ?? 0) & ~SIGN_BIT;
          expectBytes(
            withoutSign,
            edwardsYFromMontgomery(pair.publicKey),
            `key ${i}: y = (u − 1)/(u + 1)`,
          );
          const signature = x.sign(pair.privateKey, message(i));
          expectEqual(
            (signature[63] ?? 0) & SIGN_BIT,
            (edwards[31] ?? 0) & SIGN_BIT,
            `key ${i}: sign bit`,
          );
          const sBytes = signature.slice(S_OFFSET);
          sBytes[31] = (sBytes[31] ?? 0) & ~SIGN_BIT;
          const r = signature.subarray(0, S_OFFSET);
          const h =
            littleEndianToBigInt(p.hash('sha512', concat(r, edwards, message(i)))) % ED25519_ORDER;
          const a = clampedScalar(pair.privateKey) % ED25519_ORDER;
          expectTrue(
            checkSignatureEquation(a, r, littleEndianToBigInt(sBytes), h),
            `key ${i}: signature fails the RFC 8032 equation`,
          );
        }
      },
    },
    {
      name: 'signal-v4-wire §2 XEdDSA: every flipped signature bit and a changed message are rejected',
      run: () => {
        const pair = x.generateKeyPair();
        const msg = message(40);
        const signature = x.sign(pair.privateKey, msg);
        for (let bit = 0; bit < SIGNATURE_LENGTH * 8; bit++) {
          expectTrue(
            !x.verify(pair.publicKey, msg, flipBit(signature, bit)),
            `signature bit ${bit} flipped verifies`,
          );
        }
        expectTrue(
          !x.verify(pair.publicKey, flipBit(msg, 9), signature),
          'changed message verifies',
        );
        expectTrue(
          !x.verify(pair.publicKey, msg, signature.subarray(1)),
          'short signature verifies',
        );
        expectTrue(
          !x.verify(pair.publicKey, msg, concat(signature, new Uint8Array(1))),
          'long signature verifies',
        );
      },
    },
    {
      name: 'signal-v4-wire §2 XEdDSA: s with any of its top three bits set is rejected (incl. s + kℓ)',
      run: () => {
        const pair = x.generateKeyPair();
        const msg = message(41);
        const signature = x.sign(pair.privateKey, msg);
        for (const mask of [0x20, 0x40, 0x80, 0xe0]) {
          const bad = Uint8Array.from(signature);
          bad[63] = (bad[63] ?? 0) ^ mask;
          expectTrue(
            !x.verify(pair.publicKey, msg, bad),
            `sig[63] ^ 0x${mask.toString(16)} verifies`,
          );
        }
        const sBytes = signature.slice(S_OFFSET);
        sBytes[31] = (sBytes[31] ?? 0) & ~SIGN_BIT;
        const s = littleEndianToBigInt(sBytes);
        for (const k of NON_REDUCED_MULTIPLES) {
          const nonReduced = s + k * ED25519_ORDER;
          if (nonReduced >= S_BOUND) continue; // Chance about 2^-124 for k = 7.
          const bad = concat(signature.subarray(0, S_OFFSET), bigIntToBytes(nonReduced, 32));
          bad[63] = (bad[63] ?? 0) | ((signature[63] ?? 0) & SIGN_BIT);
          expectTrue(!x.verify(pair.publicKey, msg, bad), `s + ${k}ℓ verifies`);
        }
      },
    },
    {
      name: 'signal-v4-wire §2 XEdDSA: wrong key rejected; bit 255 of u ignored as in libsignal',
      run: () => {
        const pair = x.generateKeyPair();
        const other = x.generateKeyPair();
        const msg = message(42);
        const signature = x.sign(pair.privateKey, msg);
        expectTrue(!x.verify(other.publicKey, msg, signature), "another key's public key verifies");
        expectTrue(
          !x.verify(flipBit(pair.publicKey, 0), msg, signature),
          'public key bit 0 flipped verifies',
        );
        expectTrue(
          x.verify(flipBit(pair.publicKey, 255), msg, signature),
          'bit 255 of u was not ignored',
        );
        expectTrue(!x.verify(pair.publicKey.subarray(1), msg, signature), '31-byte key verifies');
      },
    },
  ];
}
