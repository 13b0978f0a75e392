import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  diffieHellman,
  hkdfSync,
  randomBytes as nodeRandomBytes,
  sign,
  verify,
  type CipherGCMTypes,
  type KeyObject,
} from 'node:crypto';
import { constantTimeEqual, isAllZero } from '@parley/bytes';
import type {
  Aead,
  KeyLifetime,
  KeyPair,
  Primitives,
  SignatureScheme,
  X25519,
} from '@parley/primitives';
import { HASH_LENGTH, PrimitivesError, type HashAlgorithm } from '@parley/primitives';
import {
  checkAeadInputs,
  createKyber1024,
  createNoblePrimitives,
  createXeddsa,
  requireAesInputs,
  requireHkdfLength,
  requireLength,
  type PrimitivesOptions,
} from '@parley/primitives-noble';
import { nodeAesCtrStream } from './aes-ctr-stream.js';
import {
  KeyObjectCache,
  LongLivedKeyCache,
  SESSION_KEYS,
  privateKeyObject,
  publicKeyObject,
  publicExportRoute,
  rawPublicKey,
  toUint8Array,
} from './key-objects.js';
import { createNodeMlsCurves } from './mls-curves.js';
import { nativeMlKem1024 } from './native-ml-kem.js';
import { incrementalMlKem768 } from './native-ml-kem-768.js';
import { nodeKyberHashes } from './sha3.js';

const KEY_LENGTH = 32;
const TAG_LENGTH = 16;
const AES_BLOCK = 16;
/** u = 9, the Curve25519 base point: X25519(k, 9) is k's public key, cheaper than a DER export. */
const BASE_POINT = publicKeyObject(
  'X25519',
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 9 : 0)),
);

/**
 * Whether this runtime's OpenSSL is 3.0 (Node 20), whose `hkdfSync` pays a KDF fetch on every
 * call: ~16 µs of CPU for a 32-byte output under load, where the two HMAC calls of RFC 5869
 * cost ~9 µs (OpenSSL 3.5, Node 24: hkdfSync ~6 µs, cheaper than two HMACs). A speed choice
 * only: both routes compute the same HKDF, pinned by the conformance suite on each runtime.
 */
const SLOW_KDF_FETCH = /^3\.0\./.test(process.versions.openssl);
/**
 * Outputs up to this many hash blocks go through HMAC where {@link SLOW_KDF_FETCH}: at one block
 * (two HMACs) the saving is clear; at two (three HMACs, ~13 µs) it was lost in the noise of a
 * loaded machine, so longer outputs stay on `hkdfSync`.
 */
const HMAC_HKDF_MAX_BLOCKS = 1;

/**
 * HKDF-Expand (RFC 5869 §2.3) over node:crypto's HMAC: T(i) = HMAC(prk, T(i−1) ‖ info ‖ i).
 * The length is checked by the caller.
 */
function expandByHmac(
  algorithm: HashAlgorithm,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  let block: Buffer | undefined;
  for (let i = 1, offset = 0; offset < length; i++) {
    const h = createHmac(algorithm, prk);
    if (block !== undefined) h.update(block);
    block = h.update(info).update(Uint8Array.of(i)).digest();
    out.set(block.subarray(0, length - offset), offset);
    offset += block.length;
  }
  block?.fill(0);
  return out;
}

function aesName(mode: 'cbc' | 'ctr' | 'gcm', key: Uint8Array): string {
  return `aes-${key.length * 8}-${mode}`;
}

function decryptFailed(): PrimitivesError {
  return new PrimitivesError('DECRYPT_FAILED', 'decryption failed');
}

/**
 * Whether `candidate` seals as `reference` does and opens what it sealed, with and without AAD
 * (a fixed key, nonce and message); false where the runtime lacks the cipher and throws.
 */
function agreesWith(candidate: Aead, reference: Aead): boolean {
  try {
    const key = new Uint8Array(32).fill(0x11);
    const nonce = new Uint8Array(reference.nonceLength).fill(0x22);
    const message = new Uint8Array(45).fill(0x33);
    for (const aad of [undefined, new Uint8Array(7).fill(0x44)]) {
      const sealed = candidate.seal(key, nonce, message, aad);
      if (!constantTimeEqual(sealed, reference.seal(key, nonce, message, aad))) return false;
      if (!constantTimeEqual(candidate.open(key, nonce, sealed, aad), message)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Primitives on node:crypto (OpenSSL) wherever it has the algorithm, and noble elsewhere:
 * XEdDSA signing and the Edwards conversion, FIPS 203 ML-KEM, Kyber's key generation and, where
 * the runtime has no ML-KEM (Node 20), Kyber's lattice part (its round-3 SHA-3 steps are
 * OpenSSL's everywhere) and SPQR's ML-KEM-768, AES-GCM-SIV where OpenSSL has none (3.0, Node
 * 20) and XChaCha20-Poly1305. HKDF-Expand alone (Node only offers extract-and-expand) is RFC 5869's
 * HMAC chain over node:crypto's HMAC, and so is a short HKDF on OpenSSL 3.0 (see
 * {@link SLOW_KDF_FETCH}); otherwise HKDF is `hkdfSync`.
 */
export function createNodePrimitives(options: PrimitivesOptions = {}): Primitives {
  const randomBytes = options.randomBytes ?? ((n: number) => toUint8Array(nodeRandomBytes(n)));
  const noble = createNoblePrimitives({ randomBytes });
  // A private import costs ~26 µs (OpenSSL derives the public key) and a public one ~5 µs; a
  // session setup uses its base key three times and a ratchet step its new key twice.
  // The two caches share KeyObjects: a long-lived key already imported under its array (an
  // identity key just generated) is not imported again, and a long-lived key reached through
  // another array (a signed prekey that became the first ratchet key) is found by its bytes.
  const privateKeys: KeyObjectCache = new KeyObjectCache(
    (raw) => longLivedKeys.peek(raw) ?? privateKeyObject('X25519', raw),
  );
  const longLivedKeys: LongLivedKeyCache = new LongLivedKeyCache((raw) => privateKeys.get(raw));
  // Our current ratchet keys: each comes back out of its session record as a new array on every
  // DH ratchet step (~50 µs to import, OpenSSL deriving its public key: a scalar
  // multiplication). Kept by bytes until the step that replaces the key forgets it.
  const sessionKeys = new LongLivedKeyCache((raw) => privateKeys.get(raw), SESSION_KEYS);
  const publicKeys = new KeyObjectCache((raw) => publicKeyObject('X25519', raw));

  function dh(
    privateKey: Uint8Array,
    publicKey: KeyObject,
    lifetime: KeyLifetime = 'ephemeral',
  ): Uint8Array {
    const key =
      lifetime === 'long-lived'
        ? longLivedKeys.get(privateKey)
        : lifetime === 'session'
          ? sessionKeys.get(privateKey)
          : privateKeys.get(privateKey);
    return toUint8Array(diffieHellman({ privateKey: key, publicKey }));
  }

  /**
   * The public key of an X25519 private key. Importing the private key already made OpenSSL
   * compute it, and it is read out (`raw-public` on Node 24, a public JWK on Node 20: a few µs);
   * only where neither route works is X25519(k, 9) cheaper than a DER export (a second scalar
   * multiplication, ~40 µs, against ~90 µs). The import stays cached with the array, for the DH
   * that follows.
   */
  function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
    return publicExportRoute !== 'der'
      ? rawPublicKey(privateKeys.get(privateKey))
      : dh(privateKey, BASE_POINT);
  }

  const x25519: X25519 = {
    generateKeyPair(): KeyPair {
      const privateKey = randomBytes(KEY_LENGTH);
      privateKey[0] = (privateKey[0] ?? 0) & 248;
      privateKey[31] = ((privateKey[31] ?? 0) & 127) | 64;
      return { privateKey, publicKey: x25519PublicKey(privateKey) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, KEY_LENGTH, 'X25519 private key');
      return x25519PublicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey, lifetime) {
      requireLength(privateKey, KEY_LENGTH, 'X25519 private key');
      requireLength(publicKey, KEY_LENGTH, 'X25519 public key');
      let shared: Uint8Array;
      try {
        shared = dh(privateKey, publicKeys.get(publicKey), lifetime);
      } catch {
        // OpenSSL refuses the all-zero result (and nothing else, once lengths are right).
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X25519 produced the all-zero output');
      }
      if (isAllZero(shared))
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X25519 produced the all-zero output');
      return shared;
    },
    forget(privateKey) {
      sessionKeys.forget(privateKey);
    },
  };

  function verifyEd25519(
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    if (publicKey.length !== KEY_LENGTH || signature.length !== 64) return false;
    try {
      return verify(null, message, publicKeyObject('Ed25519', publicKey), signature);
    } catch {
      return false;
    }
  }

  const ed25519: SignatureScheme = {
    generateKeyPair() {
      const privateKey = randomBytes(KEY_LENGTH);
      return { privateKey, publicKey: rawPublicKey(privateKeyObject('Ed25519', privateKey)) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, KEY_LENGTH, 'Ed25519 private key');
      return rawPublicKey(privateKeyObject('Ed25519', privateKey));
    },
    sign(privateKey, message) {
      requireLength(privateKey, KEY_LENGTH, 'Ed25519 private key');
      return toUint8Array(sign(null, message, privateKeyObject('Ed25519', privateKey)));
    },
    verify: verifyEd25519,
  };

  /**
   * An AEAD on OpenSSL with the same interface and input checks as noble's. ChaCha20-Poly1305 in
   * OpenSSL needs the plaintext length up front when there is AAD.
   */
  function openSslAead(base: Aead, cipherName: (key: Uint8Array) => string): Aead {
    // Typed as a GCM name for node's overloads; ChaCha20-Poly1305 has the same AEAD methods.
    const options = { authTagLength: TAG_LENGTH };
    const aead: Aead = {
      ...base,
      seal(key, nonce, plaintext, aad) {
        checkAeadInputs(aead, key, nonce);
        const cipher = createCipheriv(cipherName(key) as CipherGCMTypes, key, nonce, options);
        if (aad) cipher.setAAD(aad, { plaintextLength: plaintext.length });
        return toUint8Array(
          Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]),
        );
      },
      open(key, nonce, sealed, aad) {
        checkAeadInputs(aead, key, nonce);
        if (sealed.length < TAG_LENGTH) throw decryptFailed();
        const split = sealed.length - TAG_LENGTH;
        try {
          const decipher = createDecipheriv(cipherName(key) as CipherGCMTypes, key, nonce, options);
          decipher.setAuthTag(sealed.subarray(split));
          if (aad) decipher.setAAD(aad, { plaintextLength: split });
          return toUint8Array(
            Buffer.concat([decipher.update(sealed.subarray(0, split)), decipher.final()]),
          );
        } catch {
          throw decryptFailed();
        }
      },
    };
    return aead;
  }

  const gcmSiv = openSslAead(noble.aead['aes-gcm-siv'], (key) => `aes-${key.length * 8}-gcm-siv`);
  const nativeGcmSiv = agreesWith(gcmSiv, noble.aead['aes-gcm-siv']) ? gcmSiv : undefined;

  return {
    backend: 'node',
    randomBytes,
    hash: (algorithm, data) => toUint8Array(createHash(algorithm).update(data).digest()),
    hmac: (algorithm, key, data) => toUint8Array(createHmac(algorithm, key).update(data).digest()),
    createHash(algorithm) {
      const h = createHash(algorithm);
      return {
        update: (data) => void h.update(data),
        digest: () => toUint8Array(h.digest()),
      };
    },
    createHmac(algorithm, key) {
      const h = createHmac(algorithm, key);
      return {
        update: (data) => void h.update(data),
        digest: () => toUint8Array(h.digest()),
      };
    },
    hkdfExtract: (algorithm, salt, ikm) =>
      toUint8Array(createHmac(algorithm, salt).update(ikm).digest()),
    hkdfExpand(algorithm, prk, info, length) {
      requireHkdfLength(algorithm, length);
      if (prk.length < HASH_LENGTH[algorithm])
        throw new PrimitivesError('INVALID_KEY', 'HKDF PRK is shorter than the hash');
      return expandByHmac(algorithm, prk, info, length);
    },
    hkdf(algorithm, ikm, salt, info, length) {
      requireHkdfLength(algorithm, length);
      if (length === 0) return new Uint8Array(0);
      if (SLOW_KDF_FETCH && length <= HMAC_HKDF_MAX_BLOCKS * HASH_LENGTH[algorithm]) {
        // An empty salt is HashLen zero bytes (RFC 5869 §2.2); HMAC pads any key shorter than
        // its block with zeros, so the empty key is the same key.
        const prk = createHmac(algorithm, salt).update(ikm).digest();
        const okm = expandByHmac(algorithm, prk, info, length);
        prk.fill(0);
        return okm;
      }
      return toUint8Array(hkdfSync(algorithm, ikm, salt, info, length));
    },
    aesCbcEncrypt(key, iv, plaintext) {
      requireAesInputs(key, iv);
      const cipher = createCipheriv(aesName('cbc', key), key, iv);
      return toUint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
    },
    aesCbcDecrypt(key, iv, ciphertext) {
      requireAesInputs(key, iv);
      if (ciphertext.length === 0 || ciphertext.length % AES_BLOCK !== 0) throw decryptFailed();
      try {
        const decipher = createDecipheriv(aesName('cbc', key), key, iv);
        return toUint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
      } catch {
        throw decryptFailed();
      }
    },
    aesCtr(key, iv, data) {
      requireAesInputs(key, iv);
      const cipher = createCipheriv(aesName('ctr', key), key, iv);
      const out = cipher.update(data);
      // CTR is a stream cipher: final() has nothing left, so the output is not copied again
      // (attachments encrypt 100 MB through here; each copy is garbage the GC collects late).
      const rest = cipher.final();
      return toUint8Array(rest.length === 0 ? out : Buffer.concat([out, rest]));
    },
    aead: {
      ...noble.aead,
      'aes-gcm': openSslAead(noble.aead['aes-gcm'], (key) => aesName('gcm', key)),
      'chacha20-poly1305': openSslAead(noble.aead['chacha20-poly1305'], () => 'chacha20-poly1305'),
      // OpenSSL 3.2+ (Node 24) has AES-GCM-SIV (sealed sender v2's body); a probe against
      // noble decides, as for every runtime-dependent path.
      'aes-gcm-siv': nativeGcmSiv ?? noble.aead['aes-gcm-siv'],
    },
    x25519,
    ed25519,
    xeddsa: createXeddsa(randomBytes, x25519, verifyEd25519),
    kem: {
      ...noble.kem,
      // OpenSSL's ML-KEM-1024 where the runtime has it (Node 24), unless the caller supplies the
      // randomness: OpenSSL draws its own m.
      kyber1024: createKyber1024(
        randomBytes,
        nodeKyberHashes,
        options.randomBytes === undefined ? nativeMlKem1024() : undefined,
      ),
    },
    // FIPS 203 ML-KEM stays noble's; the incremental ML-KEM-768 generates and decapsulates on
    // OpenSSL where the runtime has ML-KEM (Node 24).
    incrementalMlKem768: incrementalMlKem768(noble.incrementalMlKem768, randomBytes),
    createAesCtr(key, iv) {
      requireAesInputs(key, iv);
      return nodeAesCtrStream(key, iv);
    },
    mlsCurves: createNodeMlsCurves(randomBytes),
  };
}
