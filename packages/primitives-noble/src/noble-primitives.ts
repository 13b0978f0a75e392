import { cbc, ctr } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes, type CHash } from '@noble/hashes/utils.js';
import { isAllZero } from '@parley/bytes';
import type {
  HashAlgorithm,
  KeyPair,
  Primitives,
  SignatureScheme,
  X25519,
} from '@parley/primitives';
import { HASH_LENGTH, PrimitivesError } from '@parley/primitives';
import { nobleAeads } from './aead.js';
import { nobleAesCtrStream } from './aes-ctr-stream.js';
import { createKyber1024 } from './kyber1024.js';
import { createMlKem1024, createMlKem768 } from './ml-kem.js';
import { createIncrementalMlKem768 } from './ml-kem-incremental.js';
import { clampScalar, createXeddsa } from './xeddsa.js';

export interface PrimitivesOptions {
  /** Source of randomness; defaults to `crypto.getRandomValues`. Tests pass a seeded one. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/**
 * The hashes of the main entry point. SHA-384 (MLS suite 7 only) comes with the `mls-curves`
 * entry point, which adds it through {@link nobleHashing}; here it is `UNSUPPORTED`.
 */
const HASHES: NobleHashes = { sha256, sha512 };

/** noble hash functions by `HashAlgorithm` name; a missing one is `UNSUPPORTED`. */
export type NobleHashes = Partial<Record<HashAlgorithm, CHash>>;

type HashingMethods =
  'hash' | 'hmac' | 'createHash' | 'createHmac' | 'hkdfExtract' | 'hkdfExpand' | 'hkdf';

/** The hash, HMAC and HKDF methods of `Primitives` over the noble hashes in `table`. */
export function nobleHashing(table: NobleHashes): Pick<Primitives, HashingMethods> {
  const H = (algorithm: HashAlgorithm): CHash =>
    table[algorithm] ??
    (() => {
      throw new PrimitivesError('UNSUPPORTED', `${algorithm} is not in this backend`);
    })();
  return {
    hash: (algorithm, data) => H(algorithm)(data),
    hmac: (algorithm, key, data) => hmac(H(algorithm), key, data),
    createHash(algorithm) {
      const h = H(algorithm).create();
      return {
        update: (data) => void h.update(data),
        digest: () => h.digest(),
      };
    },
    createHmac(algorithm, key) {
      const h = hmac.create(H(algorithm), key);
      return {
        update: (data) => void h.update(data),
        digest: () => h.digest(),
      };
    },
    hkdfExtract: (algorithm, salt, ikm) => extract(H(algorithm), ikm, salt),
    hkdfExpand(algorithm, prk, info, length) {
      const hash = H(algorithm);
      requireHkdfLength(algorithm, length);
      if (prk.length < HASH_LENGTH[algorithm])
        throw new PrimitivesError('INVALID_KEY', 'HKDF PRK is shorter than the hash');
      return expand(hash, prk, info, length);
    },
    hkdf(algorithm, ikm, salt, info, length) {
      const hash = H(algorithm);
      requireHkdfLength(algorithm, length);
      return expand(hash, extract(hash, ikm, salt), info, length);
    },
  };
}
const KEY_LENGTH = 32;
const AES_KEY_LENGTHS = [16, 24, 32];
const AES_BLOCK = 16;

export function requireLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) {
    throw new PrimitivesError(
      what.endsWith('key') ? 'INVALID_KEY' : 'INVALID_LENGTH',
      `${what} must be ${length} bytes`,
    );
  }
}

/** Checks the shared rules for AES-CBC/CTR inputs so every backend rejects the same things. */
export function requireAesInputs(key: Uint8Array, iv: Uint8Array): void {
  if (!AES_KEY_LENGTHS.includes(key.length))
    throw new PrimitivesError('INVALID_KEY', 'AES key must be 16, 24 or 32 bytes');
  requireLength(iv, AES_BLOCK, 'AES IV');
}

/** Checks HKDF-Expand's output bound (RFC 5869 §2.3: L ≤ 255 × HashLen). */
export function requireHkdfLength(algorithm: HashAlgorithm, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 255 * HASH_LENGTH[algorithm]) {
    throw new PrimitivesError('INVALID_LENGTH', 'HKDF output length out of range');
  }
}

/** Primitives from the audited noble libraries. Synchronous; runs in browsers and Node. */
export function createNoblePrimitives(options: PrimitivesOptions = {}): Primitives {
  const randomBytes = options.randomBytes ?? ((n: number) => nobleRandomBytes(n));

  const x: X25519 = {
    generateKeyPair(): KeyPair {
      const privateKey = clampScalar(randomBytes(KEY_LENGTH));
      return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, KEY_LENGTH, 'X25519 private key');
      return x25519.getPublicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey) {
      requireLength(privateKey, KEY_LENGTH, 'X25519 private key');
      requireLength(publicKey, KEY_LENGTH, 'X25519 public key');
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(privateKey, publicKey);
      } catch {
        // noble throws only for the all-zero result once lengths are right.
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X25519 produced the all-zero output');
      }
      if (isAllZero(shared))
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X25519 produced the all-zero output');
      return shared;
    },
    // noble keeps nothing prepared between calls.
    forget() {},
  };

  const ed: SignatureScheme = {
    generateKeyPair() {
      const privateKey = randomBytes(KEY_LENGTH);
      return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, KEY_LENGTH, 'Ed25519 private key');
      return ed25519.getPublicKey(privateKey);
    },
    sign(privateKey, message) {
      requireLength(privateKey, KEY_LENGTH, 'Ed25519 private key');
      return ed25519.sign(message, privateKey);
    },
    verify: verifyEd25519Strict,
  };

  return {
    backend: 'noble',
    randomBytes,
    ...nobleHashing(HASHES),
    aesCbcEncrypt(key, iv, plaintext) {
      requireAesInputs(key, iv);
      return cbc(key, iv).encrypt(plaintext);
    },
    aesCbcDecrypt(key, iv, ciphertext) {
      requireAesInputs(key, iv);
      if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK !== 0) {
        throw new PrimitivesError('DECRYPT_FAILED', 'decryption failed');
      }
      try {
        return cbc(key, iv).decrypt(ciphertext);
      } catch {
        throw new PrimitivesError('DECRYPT_FAILED', 'decryption failed');
      }
    },
    aesCtr(key, iv, data) {
      requireAesInputs(key, iv);
      return ctr(key, iv).encrypt(data);
    },
    aead: nobleAeads,
    x25519: x,
    ed25519: ed,
    xeddsa: createXeddsa(randomBytes, x, verifyEd25519Strict),
    kem: {
      kyber1024: createKyber1024(randomBytes),
      'ml-kem-768': createMlKem768(randomBytes),
      'ml-kem-1024': createMlKem1024(randomBytes),
    },
    incrementalMlKem768: createIncrementalMlKem768(randomBytes),
    createAesCtr(key, iv) {
      requireAesInputs(key, iv);
      return nobleAesCtrStream(key, iv);
    },
  };
}

/** RFC 8032 verification with canonical encodings (not ZIP-215): what Wycheproof expects. */
function verifyEd25519Strict(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== KEY_LENGTH || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
