import type { AeadAlgorithm, Primitives } from '../primitives.js';
import { HASH_LENGTH } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectDifferent, expectEqual, expectError } from './check.js';
import { requiredHashes } from './cases-hash.js';
import { counting } from './test-bytes.js';

/** RFC 5869 §2.3: L ≤ 255 × HashLen. */
const HKDF_MAX_BLOCKS = 255;
const KEY_LENGTH = 32;
const AES_BLOCK = 16;
const RANDOM_LENGTHS = [0, 1, 16, 32, 64, 1000];
/** Interface: GCM takes any non-empty IV; the others exactly `nonceLength`. */
const NONCE_LENGTHS: Readonly<Record<AeadAlgorithm, number>> = {
  'aes-gcm': 12,
  'aes-gcm-siv': 12,
  'chacha20-poly1305': 12,
  'xchacha20-poly1305': 24,
};

function bytes(length: number): Uint8Array {
  return counting(1, length);
}

/** Documented error codes for wrong-length inputs, HKDF bounds and randomBytes. */
export function inputCases(p: Primitives): ConformanceCase[] {
  const cases: ConformanceCase[] = [
    {
      name: 'Primitives.randomBytes: the requested length, and different output on each call',
      run: () => {
        for (const length of RANDOM_LENGTHS) {
          expectEqual(p.randomBytes(length).length, length, `randomBytes(${length}) length`);
        }
        expectDifferent(
          p.randomBytes(KEY_LENGTH),
          p.randomBytes(KEY_LENGTH),
          'two 32-byte outputs',
        );
      },
    },
    {
      name: 'Curve25519 keys of the wrong length give INVALID_KEY (X25519, Ed25519, XEdDSA)',
      run: () => {
        const short = bytes(KEY_LENGTH - 1);
        const long = bytes(KEY_LENGTH + 1);
        const ok = p.x25519.generateKeyPair();
        expectError(
          () => p.x25519.sharedSecret(short, ok.publicKey),
          'INVALID_KEY',
          'X25519 short private key',
        );
        expectError(
          () => p.x25519.sharedSecret(ok.privateKey, long),
          'INVALID_KEY',
          'X25519 long public key',
        );
        expectError(
          () => p.x25519.publicKey(long),
          'INVALID_KEY',
          'X25519 publicKey(long private key)',
        );
        expectError(
          () => p.ed25519.sign(short, bytes(3)),
          'INVALID_KEY',
          'Ed25519 sign with a short key',
        );
        expectError(() => p.ed25519.publicKey(long), 'INVALID_KEY', 'Ed25519 publicKey(long key)');
        expectError(
          () => p.xeddsa.sign(short, bytes(3)),
          'INVALID_KEY',
          'XEdDSA sign with a short key',
        );
      },
    },
    {
      name: 'AES-CBC/CTR: wrong key length gives INVALID_KEY, wrong IV length INVALID_LENGTH',
      run: () => {
        const iv = bytes(AES_BLOCK);
        const data = bytes(AES_BLOCK);
        for (const keyLength of [0, 15, 20, 33]) {
          const key = bytes(keyLength);
          expectError(
            () => p.aesCbcEncrypt(key, iv, data),
            'INVALID_KEY',
            `CBC encrypt, ${keyLength}-byte key`,
          );
          expectError(
            () => p.aesCbcDecrypt(key, iv, data),
            'INVALID_KEY',
            `CBC decrypt, ${keyLength}-byte key`,
          );
          expectError(() => p.aesCtr(key, iv, data), 'INVALID_KEY', `CTR, ${keyLength}-byte key`);
        }
        for (const ivLength of [0, 12, 15, 17]) {
          const badIv = bytes(ivLength);
          const key = bytes(KEY_LENGTH);
          expectError(
            () => p.aesCbcEncrypt(key, badIv, data),
            'INVALID_LENGTH',
            `CBC encrypt, ${ivLength}-byte IV`,
          );
          expectError(
            () => p.aesCbcDecrypt(key, badIv, data),
            'INVALID_LENGTH',
            `CBC decrypt, ${ivLength}-byte IV`,
          );
          expectError(
            () => p.aesCtr(key, badIv, data),
            'INVALID_LENGTH',
            `CTR, ${ivLength}-byte IV`,
          );
        }
      },
    },
    {
      name: 'HKDF (RFC 5869 §2.3): L up to 255 × HashLen; beyond, negative or fractional gives INVALID_LENGTH',
      run: () => {
        for (const algorithm of requiredHashes(p)) {
          const max = HKDF_MAX_BLOCKS * HASH_LENGTH[algorithm];
          const ikm = bytes(KEY_LENGTH);
          const prk = p.hkdfExtract(algorithm, new Uint8Array(0), ikm);
          expectEqual(prk.length, HASH_LENGTH[algorithm], `${algorithm} PRK length`);
          expectEqual(
            p.hkdf(algorithm, ikm, bytes(4), bytes(4), max).length,
            max,
            `${algorithm} hkdf(L = max)`,
          );
          expectEqual(
            p.hkdfExpand(algorithm, prk, bytes(4), max).length,
            max,
            `${algorithm} expand(L = max)`,
          );
          expectEqual(
            p.hkdf(algorithm, ikm, bytes(4), bytes(4), 0).length,
            0,
            `${algorithm} hkdf(L = 0)`,
          );
          for (const length of [max + 1, -1, 1.5]) {
            expectError(
              () => p.hkdf(algorithm, ikm, bytes(4), bytes(4), length),
              'INVALID_LENGTH',
              `${algorithm} hkdf(L = ${length})`,
            );
            expectError(
              () => p.hkdfExpand(algorithm, prk, bytes(4), length),
              'INVALID_LENGTH',
              `${algorithm} expand(L = ${length})`,
            );
          }
        }
      },
    },
  ];
  for (const [algorithm, nonceLength] of Object.entries(NONCE_LENGTHS) as [
    AeadAlgorithm,
    number,
  ][]) {
    cases.push({
      name: `AEAD ${algorithm}: ${nonceLength}-byte nonce; wrong key length INVALID_KEY, wrong nonce length INVALID_LENGTH`,
      run: () => {
        const aead = p.aead[algorithm];
        expectEqual(aead.nonceLength, nonceLength, 'nonceLength');
        const key = bytes(KEY_LENGTH);
        const nonce = bytes(nonceLength);
        const sealed = aead.seal(key, nonce, bytes(5));
        const badKey = bytes(KEY_LENGTH - 1);
        expectError(
          () => aead.seal(badKey, nonce, bytes(5)),
          'INVALID_KEY',
          'seal with a 31-byte key',
        );
        expectError(
          () => aead.open(badKey, nonce, sealed),
          'INVALID_KEY',
          'open with a 31-byte key',
        );
        const badNonces =
          algorithm === 'aes-gcm'
            ? [0, aead.maxNonceLength + 1]
            : [0, nonceLength - 1, nonceLength + 1];
        for (const length of badNonces) {
          expectError(
            () => aead.seal(key, bytes(length), bytes(5)),
            'INVALID_LENGTH',
            `seal, ${length}-byte nonce`,
          );
          expectError(
            () => aead.open(key, bytes(length), sealed),
            'INVALID_LENGTH',
            `open, ${length}-byte nonce`,
          );
        }
      },
    });
  }
  return cases;
}
