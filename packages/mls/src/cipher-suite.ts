import type {
  AeadAlgorithm,
  DhGroup,
  ExtraSignatureAlgorithm,
  HashAlgorithm,
} from '@parley/primitives';
import { MlsError } from './errors.js';

/** HPKE algorithm identifiers (RFC 9180 §7) that a cipher suite fixes. */
export interface HpkeAlgorithms {
  /** KEM id: 0x0010/0x0011/0x0012 DHKEM(P-256/P-384/P-521), 0x0020 X25519, 0x0021 X448. */
  readonly kemId: number;
  /** KDF id: 0x0001 HKDF-SHA256, 0x0002 HKDF-SHA384, 0x0003 HKDF-SHA512. */
  readonly kdfId: number;
  /** AEAD id: 0x0001 AES-128-GCM, 0x0002 AES-256-GCM, 0x0003 ChaCha20-Poly1305. */
  readonly aeadId: number;
}

/** The Diffie-Hellman group of a suite's DHKEM. */
export type KemGroup = 'x25519' | DhGroup;

/** A suite's signature scheme, by its `Primitives` name. */
export type SignatureAlgorithm = 'ed25519' | ExtraSignatureAlgorithm;

/**
 * A DHKEM (RFC 9180 §4.1, §7.1): its group, its KDF's hash, and its sizes. `order` is the NIST
 * group order that DeriveKeyPair's rejection loop compares candidates against, masked with
 * `bitmask` first (§7.1.3); X25519 and X448 take any Nsk bytes, so they have neither.
 */
export interface Kem {
  readonly group: KemGroup;
  readonly hash: HashAlgorithm;
  /** Nsecret: the KEM shared secret's length (the hash's output length). */
  readonly secretLength: number;
  /** Npk = Nenc. */
  readonly publicKeyLength: number;
  /** Nsk. */
  readonly privateKeyLength: number;
  readonly order?: bigint;
  readonly bitmask?: number;
}

/**
 * One row of the MLS cipher suite table (RFC 9420 §17.1), mapped onto the `Primitives` names.
 * Adding a suite is adding a row, provided `Primitives` has its algorithms.
 */
export interface CipherSuite {
  readonly id: number;
  readonly name: string;
  /** Hash for the KDF, MAC, RefHash and transcript hashes. */
  readonly hash: HashAlgorithm;
  /** Nh: output length of the hash and KDF. */
  readonly hashLength: number;
  readonly aead: AeadAlgorithm;
  /** Nk: AEAD key length. */
  readonly aeadKeyLength: number;
  /** Nn: AEAD nonce length. */
  readonly aeadNonceLength: number;
  readonly kem: Kem;
  readonly signature: SignatureAlgorithm;
  readonly hpke: HpkeAlgorithms;
}

const DHKEM_X25519: Kem = {
  group: 'x25519',
  hash: 'sha256',
  secretLength: 32,
  publicKeyLength: 32,
  privateKeyLength: 32,
};
const DHKEM_X448: Kem = {
  group: 'x448',
  hash: 'sha512',
  secretLength: 64,
  publicKeyLength: 56,
  privateKeyLength: 56,
};
const DHKEM_P256: Kem = {
  group: 'p256',
  hash: 'sha256',
  secretLength: 32,
  publicKeyLength: 65,
  privateKeyLength: 32,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  bitmask: 0xff,
};
const DHKEM_P384: Kem = {
  group: 'p384',
  hash: 'sha384',
  secretLength: 48,
  publicKeyLength: 97,
  privateKeyLength: 48,
  order:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  bitmask: 0xff,
};
const DHKEM_P521: Kem = {
  group: 'p521',
  hash: 'sha512',
  secretLength: 64,
  publicKeyLength: 133,
  privateKeyLength: 66,
  order:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  bitmask: 0x01,
};

/** MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519: the mandatory suite. */
const SUITE_1: CipherSuite = {
  id: 1,
  name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  hash: 'sha256',
  hashLength: 32,
  aead: 'aes-gcm',
  aeadKeyLength: 16,
  aeadNonceLength: 12,
  kem: DHKEM_X25519,
  signature: 'ed25519',
  hpke: { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0001 },
};

/** MLS_128_DHKEMP256_AES128GCM_SHA256_P256. */
const SUITE_2: CipherSuite = {
  id: 2,
  name: 'MLS_128_DHKEMP256_AES128GCM_SHA256_P256',
  hash: 'sha256',
  hashLength: 32,
  aead: 'aes-gcm',
  aeadKeyLength: 16,
  aeadNonceLength: 12,
  kem: DHKEM_P256,
  signature: 'ecdsa-p256-sha256',
  hpke: { kemId: 0x0010, kdfId: 0x0001, aeadId: 0x0001 },
};

/** MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519. */
const SUITE_3: CipherSuite = {
  id: 3,
  name: 'MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519',
  hash: 'sha256',
  hashLength: 32,
  aead: 'chacha20-poly1305',
  aeadKeyLength: 32,
  aeadNonceLength: 12,
  kem: DHKEM_X25519,
  signature: 'ed25519',
  hpke: { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0003 },
};

/** MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448. */
const SUITE_4: CipherSuite = {
  id: 4,
  name: 'MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448',
  hash: 'sha512',
  hashLength: 64,
  aead: 'aes-gcm',
  aeadKeyLength: 32,
  aeadNonceLength: 12,
  kem: DHKEM_X448,
  signature: 'ed448',
  hpke: { kemId: 0x0021, kdfId: 0x0003, aeadId: 0x0002 },
};

/** MLS_256_DHKEMP521_AES256GCM_SHA512_P521. */
const SUITE_5: CipherSuite = {
  id: 5,
  name: 'MLS_256_DHKEMP521_AES256GCM_SHA512_P521',
  hash: 'sha512',
  hashLength: 64,
  aead: 'aes-gcm',
  aeadKeyLength: 32,
  aeadNonceLength: 12,
  kem: DHKEM_P521,
  signature: 'ecdsa-p521-sha512',
  hpke: { kemId: 0x0012, kdfId: 0x0003, aeadId: 0x0002 },
};

/** MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448. */
const SUITE_6: CipherSuite = {
  id: 6,
  name: 'MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448',
  hash: 'sha512',
  hashLength: 64,
  aead: 'chacha20-poly1305',
  aeadKeyLength: 32,
  aeadNonceLength: 12,
  kem: DHKEM_X448,
  signature: 'ed448',
  hpke: { kemId: 0x0021, kdfId: 0x0003, aeadId: 0x0003 },
};

/** MLS_256_DHKEMP384_AES256GCM_SHA384_P384. */
const SUITE_7: CipherSuite = {
  id: 7,
  name: 'MLS_256_DHKEMP384_AES256GCM_SHA384_P384',
  hash: 'sha384',
  hashLength: 48,
  aead: 'aes-gcm',
  aeadKeyLength: 32,
  aeadNonceLength: 12,
  kem: DHKEM_P384,
  signature: 'ecdsa-p384-sha384',
  hpke: { kemId: 0x0011, kdfId: 0x0002, aeadId: 0x0002 },
};

const SUITES: ReadonlyMap<number, CipherSuite> = new Map(
  [SUITE_1, SUITE_2, SUITE_3, SUITE_4, SUITE_5, SUITE_6, SUITE_7].map((s) => [s.id, s]),
);

/**
 * The ids of the implemented suites, ascending. Suites 2 and 4–7 need `Primitives.mlsCurves`
 * besides: {@link MlsCrypto} refuses them with `UNSUPPORTED_CIPHER_SUITE` on a backend without.
 */
export const SUPPORTED_CIPHER_SUITES: readonly number[] = [...SUITES.keys()];

/** True when suite `id` is implemented. */
export function isSupportedCipherSuite(id: number): boolean {
  return SUITES.has(id);
}

/** The suite with this id; throws `UNSUPPORTED_CIPHER_SUITE` for any other. */
export function cipherSuite(id: number): CipherSuite {
  const suite = SUITES.get(id);
  if (suite === undefined) {
    throw new MlsError('UNSUPPORTED_CIPHER_SUITE', `cipher suite ${id} not implemented`);
  }
  return suite;
}
