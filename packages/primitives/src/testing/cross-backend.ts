import type { AeadAlgorithm, KemAlgorithm, Primitives } from '../primitives.js';
import type { ConformanceCase } from './conformance-case.js';
import { expectBytes, expectTrue } from './check.js';
import { streamInPieces } from './cases-stream-cipher.js';
import { counting } from './test-bytes.js';

const KEYS_PER_DIRECTION = 8;
const KEMS: readonly KemAlgorithm[] = ['kyber1024', 'ml-kem-768', 'ml-kem-1024'];
const AEADS: readonly AeadAlgorithm[] = [
  'aes-gcm',
  'aes-gcm-siv',
  'chacha20-poly1305',
  'xchacha20-poly1305',
];

/**
 * Cases that pass only if two backends interoperate: what one signs the other verifies, both
 * derive the same DH and KEM secrets, and deterministic operations give identical bytes.
 */
export function crossBackendCases(a: Primitives, b: Primitives): ConformanceCase[] {
  const pairs: readonly [Primitives, Primitives][] = [
    [a, b],
    [b, a],
  ];
  const cases: ConformanceCase[] = [];
  for (const [from, to] of pairs) {
    const tag = `${from.backend} → ${to.backend}`;
    cases.push(
      {
        name: `cross-backend ${tag}: XEdDSA signatures verify`,
        run: () => {
          for (let i = 0; i < KEYS_PER_DIRECTION; i++) {
            const pair = from.xeddsa.generateKeyPair();
            const message = counting(i, 33 + i);
            const signature = from.xeddsa.sign(pair.privateKey, message);
            expectBytes(
              to.xeddsa.publicKey(pair.privateKey),
              pair.publicKey,
              `key ${i}: public key`,
            );
            expectTrue(
              to.xeddsa.verify(pair.publicKey, message, signature),
              `key ${i}: signature rejected`,
            );
          }
        },
      },
      {
        name: `cross-backend ${tag}: Ed25519 signatures are identical and verify`,
        run: () => {
          for (let i = 0; i < KEYS_PER_DIRECTION; i++) {
            const pair = from.ed25519.generateKeyPair();
            const message = counting(i, 100 + i);
            const signature = from.ed25519.sign(pair.privateKey, message);
            expectBytes(
              to.ed25519.publicKey(pair.privateKey),
              pair.publicKey,
              `key ${i}: public key`,
            );
            expectBytes(
              to.ed25519.sign(pair.privateKey, message),
              signature,
              `key ${i}: signature`,
            );
            expectTrue(
              to.ed25519.verify(pair.publicKey, message, signature),
              `key ${i}: signature rejected`,
            );
          }
        },
      },
      {
        name: `cross-backend ${tag}: X25519 agreement`,
        run: () => {
          for (let i = 0; i < KEYS_PER_DIRECTION; i++) {
            const mine = from.x25519.generateKeyPair();
            const theirs = to.x25519.generateKeyPair();
            expectBytes(
              to.x25519.publicKey(mine.privateKey),
              mine.publicKey,
              `key ${i}: public key`,
            );
            expectBytes(
              to.x25519.sharedSecret(theirs.privateKey, mine.publicKey),
              from.x25519.sharedSecret(mine.privateKey, theirs.publicKey),
              `key ${i}: shared secret`,
            );
          }
        },
      },
      {
        name: `cross-backend ${tag}: KEM keys and ciphertexts work across backends`,
        run: () => {
          for (const algorithm of KEMS) {
            const pair = from.kem[algorithm].generateKeyPair();
            const sent = to.kem[algorithm].encapsulate(pair.publicKey);
            expectBytes(
              from.kem[algorithm].decapsulate(sent.ciphertext, pair.secretKey),
              sent.sharedSecret,
              algorithm,
            );
            const seed = counting(5, from.kem[algorithm].keyGenSeedLength);
            expectBytes(
              to.kem[algorithm].generateKeyPair(seed).publicKey,
              from.kem[algorithm].generateKeyPair(seed).publicKey,
              `${algorithm}: key from the same seed`,
            );
          }
        },
      },
      {
        name: `cross-backend ${tag}: AEAD, AES, hash, HMAC and HKDF outputs are identical`,
        run: () => {
          const key = from.randomBytes(32);
          const data = from.randomBytes(77);
          const aad = from.randomBytes(9);
          for (const algorithm of AEADS) {
            const nonce = from.randomBytes(from.aead[algorithm].nonceLength);
            const sealed = from.aead[algorithm].seal(key, nonce, data, aad);
            expectBytes(
              to.aead[algorithm].seal(key, nonce, data, aad),
              sealed,
              `${algorithm} seal`,
            );
            expectBytes(
              to.aead[algorithm].open(key, nonce, sealed, aad),
              data,
              `${algorithm} open`,
            );
          }
          const iv = from.randomBytes(16);
          const cbc = from.aesCbcEncrypt(key, iv, data);
          expectBytes(to.aesCbcEncrypt(key, iv, data), cbc, 'AES-CBC encrypt');
          expectBytes(to.aesCbcDecrypt(key, iv, cbc), data, 'AES-CBC decrypt');
          expectBytes(to.aesCtr(key, iv, data), from.aesCtr(key, iv, data), 'AES-CTR');
          // The streams across the 128-bit counter wrap, each split its own way.
          const nearWrap = new Uint8Array(16).fill(0xff);
          nearWrap[15] = 0xfe;
          const long = from.randomBytes(300);
          expectBytes(
            streamInPieces(to.createAesCtr(key, nearWrap), long, 7),
            streamInPieces(from.createAesCtr(key, nearWrap), long, 33),
            'AES-CTR streams',
          );
          for (const hash of ['sha256', 'sha512'] as const) {
            expectBytes(to.hash(hash, data), from.hash(hash, data), hash);
            expectBytes(to.hmac(hash, key, data), from.hmac(hash, key, data), `HMAC-${hash}`);
            expectBytes(
              to.hkdf(hash, data, key, aad, 100),
              from.hkdf(hash, data, key, aad, 100),
              `HKDF-${hash}`,
            );
          }
        },
      },
    );
  }
  return cases;
}
