import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import type { Kem, KeyLifetime } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';

const PUBLIC_KEY_LENGTH = 1568;
const SECRET_KEY_LENGTH = 3168;
const CIPHERTEXT_LENGTH = 1568;
const SHARED_SECRET_LENGTH = 32;
const KEYGEN_SEED_LENGTH = 64;
const MESSAGE_LENGTH = 32;
/** Offset of z, the implicit-rejection secret, in dk_pke ‖ ek ‖ H(ek) ‖ z. */
const Z_OFFSET = SECRET_KEY_LENGTH - 32;

/**
 * The SHA-3 functions of the round-3 steps around ML-KEM (not those inside it, which stay
 * noble's). A backend with native SHA-3 passes its own: ~6 µs instead of ~46 µs per 1,568-byte
 * input, about 0.1 ms per encapsulation and decapsulation together.
 */
export interface Kyber1024Hashes {
  sha3_256(data: Uint8Array): Uint8Array;
  shake256(data: Uint8Array, length: number): Uint8Array;
}

/**
 * A FIPS 203 ML-KEM-1024 that a backend runs natively (OpenSSL 3.5's, through Node 24's
 * `crypto.encapsulate`/`decapsulate`), used under the round-3 hashing in place of noble's.
 * `encapsulate` draws its own m (FIPS 203 Encaps): a uniformly random m is distributed as
 * round 3's m' = H(m), so only encapsulation from a caller's seed needs noble. Both throw
 * {@link PrimitivesError} `INVALID_KEY` for a key that fails FIPS 203's input checks.
 */
export interface NativeMlKem1024 {
  encapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  /** K̄ on success, J(z ‖ c) on implicit rejection, as FIPS 203 Decaps. */
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array, lifetime?: KeyLifetime): Uint8Array;
}

/** @noble/hashes' SHA-3. */
export const nobleKyberHashes: Kyber1024Hashes = {
  sha3_256: (data) => sha3_256(data),
  shake256: (data, length) => shake256(data, { dkLen: length }),
};

/** KDF(K̄ ‖ H(c)) = SHAKE-256(K̄ ‖ SHA3-256(c), 32): round 3's final step, absent from FIPS 203. */
function round3Kdf(h: Kyber1024Hashes, preKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const input = new Uint8Array(64);
  input.set(preKey);
  input.set(h.sha3_256(ciphertext), 32);
  const secret = h.shake256(input, SHARED_SECRET_LENGTH);
  input.fill(0);
  return secret;
}

function requireLength(
  bytes: Uint8Array,
  length: number,
  what: string,
  code: 'INVALID_KEY' | 'INVALID_LENGTH',
): void {
  if (bytes.length !== length)
    throw new PrimitivesError(code, `Kyber1024 ${what} must be ${length} bytes`);
}

/**
 * CRYSTALS-Kyber1024 as submitted to NIST round 3 (v3.02), libsignal's KEM type 0x08, composed
 * from @noble/post-quantum's FIPS 203 ML-KEM-1024 and @noble/hashes' SHA-3. No arithmetic is
 * written here. The two schemes share K-PKE, the key and ciphertext formats and the re-encryption
 * check; round 3 differs only in the hashing around them (interop/libsignal/KYBER.md):
 *
 * - Encaps: round 3 draws m, uses m' = H(m) and returns KDF(K̄ ‖ H(c)), where (K̄, r) = G(m' ‖ H(ek)).
 *   FIPS 203 Encaps_internal(ek, m') returns exactly that K̄ and c, so one extra KDF finishes it.
 * - Decaps: FIPS 203 returns K̄ on success and J(z ‖ c) on rejection; round 3 returns
 *   KDF(K̄ ‖ H(c)) or KDF(z ‖ H(c)). Recomputing J(z ‖ c) tells the two cases apart (a valid K̄
 *   equals it with probability 2⁻²⁵⁶); the choice is a branch-free select, and both paths hash
 *   the same amount.
 * - KeyGen: FIPS 203 expands d with G(d ‖ 4), round 3 with G(d). The key pairs have the same
 *   distribution and format, and libsignal accepts them, but a seeded key pair differs from the
 *   round-3 reference's for the same d ‖ z. Encapsulation from m matches round 3 exactly.
 *
 * A backend may pass a {@link NativeMlKem1024} to run the FIPS 203 core natively; the round-3
 * steps above stay here either way.
 *
 * Keys and ciphertexts are raw, without libsignal's 0x08 type byte. Randomness comes from
 * `randomBytes`; JavaScript gives no hard constant-time guarantee (as for noble itself).
 */
export function createKyber1024(
  randomBytes: (length: number) => Uint8Array,
  h: Kyber1024Hashes = nobleKyberHashes,
  native?: NativeMlKem1024,
): Kem {
  return {
    publicKeyLength: PUBLIC_KEY_LENGTH,
    secretKeyLength: SECRET_KEY_LENGTH,
    ciphertextLength: CIPHERTEXT_LENGTH,
    sharedSecretLength: SHARED_SECRET_LENGTH,
    keyGenSeedLength: KEYGEN_SEED_LENGTH,
    encapsulationSeedLength: MESSAGE_LENGTH,

    generateKeyPair(seed) {
      if (seed !== undefined) {
        requireLength(seed, KEYGEN_SEED_LENGTH, 'key generation seed', 'INVALID_LENGTH');
        return ml_kem1024.keygen(seed);
      }
      const fresh = randomBytes(KEYGEN_SEED_LENGTH);
      try {
        return ml_kem1024.keygen(fresh);
      } finally {
        fresh.fill(0);
      }
    },

    encapsulate(publicKey, seed) {
      requireLength(publicKey, PUBLIC_KEY_LENGTH, 'public key', 'INVALID_KEY');
      if (seed !== undefined)
        requireLength(seed, MESSAGE_LENGTH, 'encapsulation seed', 'INVALID_LENGTH');
      if (seed === undefined && native !== undefined) {
        const inner = native.encapsulate(publicKey);
        const sharedSecret = round3Kdf(h, inner.sharedSecret, inner.cipherText);
        inner.sharedSecret.fill(0);
        return { ciphertext: inner.cipherText, sharedSecret };
      }
      const m = seed ?? randomBytes(MESSAGE_LENGTH);
      const hashedM = h.sha3_256(m); // round 3: "don't release system RNG output"
      if (seed === undefined) m.fill(0);
      let inner: { cipherText: Uint8Array; sharedSecret: Uint8Array };
      try {
        inner = ml_kem1024.encapsulate(publicKey, hashedM);
      } catch {
        throw new PrimitivesError('INVALID_KEY', 'Kyber1024 public key failed the modulus check');
      } finally {
        hashedM.fill(0);
      }
      const sharedSecret = round3Kdf(h, inner.sharedSecret, inner.cipherText);
      inner.sharedSecret.fill(0);
      return { ciphertext: inner.cipherText, sharedSecret };
    },

    decapsulate(ciphertext, secretKey, lifetime) {
      requireLength(ciphertext, CIPHERTEXT_LENGTH, 'ciphertext', 'INVALID_LENGTH');
      requireLength(secretKey, SECRET_KEY_LENGTH, 'secret key', 'INVALID_KEY');
      let inner: Uint8Array;
      if (native !== undefined) inner = native.decapsulate(ciphertext, secretKey, lifetime);
      else
        try {
          inner = ml_kem1024.decapsulate(ciphertext, secretKey);
        } catch {
          throw new PrimitivesError('INVALID_KEY', 'Kyber1024 secret key failed the hash check');
        }
      const z = secretKey.subarray(Z_OFFSET);
      const zInput = new Uint8Array(32 + CIPHERTEXT_LENGTH);
      zInput.set(z);
      zInput.set(ciphertext, 32);
      const rejection = h.shake256(zInput, 32); // FIPS 203's J(z ‖ c)
      let diff = 0;
      for (let i = 0; i < 32; i++) diff |= (inner[i] ?? 0) ^ (rejection[i] ?? 0);
      const rejectMask = -((diff - 1) >>> 31) & 0xff; // 0xff if inner = J(z ‖ c), else 0
      const preKey = new Uint8Array(32);
      for (let i = 0; i < 32; i++) {
        const k = inner[i] ?? 0;
        preKey[i] = k ^ (rejectMask & (k ^ (z[i] ?? 0)));
      }
      const sharedSecret = round3Kdf(h, preKey, ciphertext);
      inner.fill(0);
      rejection.fill(0);
      preKey.fill(0);
      zInput.fill(0);
      return sharedSecret;
    },
  };
}

/** Round-3 Kyber1024 with randomness from `crypto.getRandomValues` (through @noble/hashes). */
export const kyber1024: Kem = createKyber1024((length) => nobleRandomBytes(length));
