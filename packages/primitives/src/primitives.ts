/**
 * The cryptographic primitives that Parley's protocol code receives as an argument.
 *
 * Every method is synchronous. The ratchet calls five or more primitives per message, and an
 * asynchronous call costs 10–40 µs of thread-pool wake-up in Node (see ARCHITECTURE.md,
 * "Synchronous primitives"), which would make one Double Ratchet message ~18× slower than the
 * synchronous node:crypto path. The noble backend is synchronous by nature, so one interface
 * serves Node and the browser.
 *
 * All keys, nonces and outputs are raw bytes. Curve25519 public keys here are the bare 32-byte
 * u-coordinate (the Signal `0x05` prefix belongs to the protocol layer). Methods throw
 * {@link PrimitivesError} for misuse and for authentication failures; verification methods
 * return a boolean instead.
 */
export interface Primitives {
  /** Name of the backend, for benchmarks and error reports. */
  readonly backend: string;

  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;

  hash(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array;
  hmac(algorithm: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * An incremental hash, for data too large to hold whole (attachments are streamed in chunks).
   * Gives the same digest as `hash` over the concatenation of the updates.
   */
  createHash(algorithm: HashAlgorithm): IncrementalMac;
  /** An incremental HMAC; the same MAC as `hmac` over the concatenation of the updates. */
  createHmac(algorithm: HashAlgorithm, key: Uint8Array): IncrementalMac;
  /** HKDF-Extract (RFC 5869 §2.2). An empty salt means HashLen zero bytes. */
  hkdfExtract(algorithm: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3); `length` at most 255 × HashLen. */
  hkdfExpand(
    algorithm: HashAlgorithm,
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Uint8Array;
  /** Extract then Expand. */
  hkdf(
    algorithm: HashAlgorithm,
    ikm: Uint8Array,
    salt: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Uint8Array;

  /** AES-CBC with PKCS#7 padding; key of 16, 24 or 32 bytes, IV of 16. */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws `DECRYPT_FAILED` for a bad length or bad padding. */
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** AES-CTR with a 16-byte initial counter block (big-endian 128-bit counter). Its own inverse. */
  aesCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;

  /** AEADs: seal returns ciphertext ‖ 16-byte tag; open throws `DECRYPT_FAILED` on any mismatch. */
  readonly aead: Readonly<Record<AeadAlgorithm, Aead>>;

  x25519: X25519;
  ed25519: SignatureScheme;
  /** XEdDSA over Curve25519 keys, with libsignal's sign-bit convention. */
  xeddsa: SignatureScheme;

  readonly kem: Readonly<Record<KemAlgorithm, Kem>>;

  /** FIPS 203 ML-KEM-768 with its public key and encapsulation split in two (SPQR's braid). */
  readonly incrementalMlKem768: IncrementalKem;

  /**
   * AES-CTR as a stream (same key, IV and counter rule as `aesCtr`): each `update` continues the
   * keystream where the last one stopped, at any byte boundary, so a large input (an attachment)
   * goes through in pieces with its output written into a buffer the caller reuses.
   */
  createAesCtr(key: Uint8Array, iv: Uint8Array): StreamCipher;

  /**
   * The curves that MLS cipher suites 2 and 4–7 need (RFC 9420 §17.1), optional so that a bundle
   * that never uses them (the web client's) does not carry their code: the node backend always
   * has them; the noble backend gets them from its separate `mls-curves` entry point.
   */
  readonly mlsCurves?: MlsCurves;
}

/** A keystream cipher fed in pieces (AES-CTR: encryption and decryption are the same). */
export interface StreamCipher {
  /**
   * `input` XOR the next `input.length` keystream bytes. Written into `output` when given (at
   * least `input.length` bytes; it may be `input` itself, not a view overlapping it at another
   * offset) and returned as the view of `output` that holds them; otherwise a new array.
   * Throws `INVALID_LENGTH` for an `output` shorter than `input`.
   */
  update(input: Uint8Array, output?: Uint8Array): Uint8Array;
}

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** A hash or MAC fed in pieces. `digest` ends it: neither method may be called afterwards. */
export interface IncrementalMac {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** Output length in bytes of each hash. */
export const HASH_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

export type AeadAlgorithm = 'aes-gcm' | 'aes-gcm-siv' | 'chacha20-poly1305' | 'xchacha20-poly1305';

export interface Aead {
  /** Accepted key lengths in bytes. */
  readonly keyLengths: readonly number[];
  /** The nonce length callers should use. */
  readonly nonceLength: number;
  /** Accepted nonce lengths: equal to `nonceLength` except for AES-GCM, which takes 8 to 128 bytes. */
  readonly minNonceLength: number;
  readonly maxNonceLength: number;
  readonly tagLength: number;
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array;
}

export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/**
 * How long the caller keeps a private key. A `long-lived` one (a device's identity key, its
 * signed prekey, a last-resort Kyber prekey) is loaded from storage again and again: a backend
 * may keep it prepared (node: the imported OpenSSL key) in a bounded cache found by the key's
 * bytes, so that a new copy of the same key costs no new import. A `session` key (X25519 only:
 * our current ratchet key, which a session record holds until the next ratchet step) may be
 * kept the same way in a bounded cache of its own, until the caller calls
 * {@link X25519.forget} on it when the ratchet step replaces it (or the bound pushes it out).
 * Anything else (`ephemeral`, the default: one-time prekeys, SPQR keys, sealed sender's
 * ephemeral keys) is never kept past the caller's array.
 */
export type KeyLifetime = 'ephemeral' | 'session' | 'long-lived';

export interface X25519 {
  /** A new key pair; the private key is 32 random bytes, clamped. */
  generateKeyPair(): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** X25519(k, u). Throws `ZERO_SHARED_SECRET` when the result is all zeros (RFC 7748 §6.1). */
  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array, lifetime?: KeyLifetime): Uint8Array;
  /**
   * Drops whatever the backend kept prepared for a `session` key with these bytes (a no-op where
   * it keeps nothing): the caller no longer holds the key. Never throws.
   */
  forget(privateKey: Uint8Array): void;
}

export interface SignatureScheme {
  generateKeyPair(): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /** False for any invalid signature, key or encoding; never throws on bad input. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Diffie-Hellman groups beside X25519: the NIST curves and X448 (RFC 9180 §7.1's DHKEMs). */
export type DhGroup = 'p256' | 'p384' | 'p521' | 'x448';

/**
 * Signature schemes beside Ed25519. ECDSA hashes the message with the named hash (FIPS 186-5),
 * takes the private key as the big-endian scalar of the curve's order length, the public key as
 * the uncompressed SEC1 point (0x04 ‖ x ‖ y), and the signature DER-encoded (as MLS does,
 * RFC 9420 §5.1.2; any S, high or low, verifies). Ed448 is RFC 8032's pure Ed448, empty context.
 */
export type ExtraSignatureAlgorithm =
  'ed448' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ecdsa-p521-sha512';

/**
 * Diffie-Hellman over one {@link DhGroup}. NIST-curve keys are the big-endian scalar (1 ≤ k < n,
 * `privateKeyLength` bytes) and the uncompressed SEC1 point; the shared secret is the
 * x-coordinate, `sharedSecretLength` bytes (RFC 9180 §7.1.1). X448 keys are RFC 7748's 56 bytes.
 */
export interface DiffieHellman {
  readonly privateKeyLength: number;
  readonly publicKeyLength: number;
  readonly sharedSecretLength: number;
  generateKeyPair(): KeyPair;
  /** Throws `INVALID_KEY` for a wrong length or a scalar outside 1..n−1. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * Throws `INVALID_KEY` for a wrong length, a compressed or identity encoding, or a point not
   * on the curve, and `ZERO_SHARED_SECRET` for X448's all-zero output.
   */
  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
}

/** The optional curves of {@link Primitives.mlsCurves}. */
export interface MlsCurves {
  readonly dh: Readonly<Record<DhGroup, DiffieHellman>>;
  readonly signature: Readonly<Record<ExtraSignatureAlgorithm, SignatureScheme>>;
}

/**
 * `kyber1024` is CRYSTALS-Kyber round 3 (libsignal's KEM type 0x08); `ml-kem-*` are FIPS 203.
 * They have the same sizes but derive different shared secrets.
 */
export type KemAlgorithm = 'kyber1024' | 'ml-kem-768' | 'ml-kem-1024';

export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface Kem {
  readonly publicKeyLength: number;
  readonly secretKeyLength: number;
  readonly ciphertextLength: number;
  readonly sharedSecretLength: number;
  /** Length of the seed that `generateKeyPair` accepts (d ‖ z for ML-KEM). */
  readonly keyGenSeedLength: number;
  /** Length of the message `m` that `encapsulate` accepts. */
  readonly encapsulationSeedLength: number;
  /** A fresh key pair, or the deterministic one for `seed`. */
  generateKeyPair(seed?: Uint8Array): KemKeyPair;
  /** Throws `INVALID_KEY` for a public key that fails the FIPS 203 modulus check or has the wrong length. */
  encapsulate(
    publicKey: Uint8Array,
    seed?: Uint8Array,
  ): { ciphertext: Uint8Array; sharedSecret: Uint8Array };
  /** Implicit rejection: a wrong ciphertext of the right length yields a pseudorandom secret. */
  decapsulate(ciphertext: Uint8Array, secretKey: Uint8Array, lifetime?: KeyLifetime): Uint8Array;
}

/**
 * ML-KEM-768 (FIPS 203) with the encapsulation key split into a 64-byte header, ρ ‖ H(ek),
 * and the 1,152-byte vector part ByteEncode₁₂(t̂), so that a sender can produce the first
 * ciphertext part (the compressed u, which depends only on ρ and H(ek)) and the shared secret
 * before the vector part arrives. Whole-key ML-KEM-768 gives the same key pairs, ciphertexts
 * (ct1 ‖ ct2) and shared secrets. This is the split libsignal's SPQR takes from libcrux's
 * `mlkem768::incremental`; only the header, the vector part and the two ciphertext parts go
 * on the wire, so the decapsulation key and the encapsulation state are ours to lay out.
 */
export interface IncrementalKem {
  /** 64: ρ ‖ SHA3-256(ek). */
  readonly headerLength: number;
  /** 1,152: ByteEncode₁₂(t̂), the standard encapsulation key without its trailing ρ. */
  readonly encapsulationKeyLength: number;
  /** 2,400: the standard (expanded) ML-KEM-768 decapsulation key. */
  readonly decapsulationKeyLength: number;
  /** 64: the seed d ‖ z, the other form of decapsulation key that `decapsulate` takes. */
  readonly decapsulationSeedLength: number;
  /** 960: the compressed u. */
  readonly ciphertext1Length: number;
  /** 128: the compressed v. */
  readonly ciphertext2Length: number;
  /** What `encapsulate1` keeps for `encapsulate2` (secret: it determines the shared secret). */
  readonly encapsulationStateLength: number;
  readonly sharedSecretLength: number;
  /**
   * A fresh key pair, or the deterministic one for the 64-byte seed d ‖ z. Its decapsulation key
   * is in the form the backend decapsulates fastest from: the expanded key (noble), or the seed
   * itself where the key lives in a library that keeps only seeds (OpenSSL's ML-KEM).
   */
  generateKeyPair(seed?: Uint8Array): IncrementalKemKeyPair;
  /** The header and vector part of a whole 1,184-byte ML-KEM-768 encapsulation key t̂ ‖ ρ. */
  splitPublicKey(publicKey: Uint8Array): { header: Uint8Array; encapsulationKey: Uint8Array };
  /** True when `encapsulationKey` hashes with the header's ρ to its H(ek) and passes the FIPS 203 modulus check. */
  encapsulationKeyMatches(header: Uint8Array, encapsulationKey: Uint8Array): boolean;
  /** The first ciphertext part and the shared secret from the header alone (`seed` is FIPS 203's m). */
  encapsulate1(header: Uint8Array, seed?: Uint8Array): IncrementalEncapsulation;
  /** The second ciphertext part; throws `INVALID_KEY` when the key does not match the state's header. */
  encapsulate2(state: Uint8Array, encapsulationKey: Uint8Array): Uint8Array;
  /**
   * Standard decapsulation of ct1 ‖ ct2, with implicit rejection, under a decapsulation key in
   * either form (expanded or seed), whichever backend made it.
   */
  decapsulate(
    ciphertext1: Uint8Array,
    ciphertext2: Uint8Array,
    decapsulationKey: Uint8Array,
  ): Uint8Array;
}

export interface IncrementalKemKeyPair {
  readonly header: Uint8Array;
  readonly encapsulationKey: Uint8Array;
  /** `decapsulationKeyLength` bytes (expanded) or `decapsulationSeedLength` (the seed d ‖ z). */
  readonly decapsulationKey: Uint8Array;
}

export interface IncrementalEncapsulation {
  readonly ciphertext1: Uint8Array;
  readonly state: Uint8Array;
  readonly sharedSecret: Uint8Array;
}
