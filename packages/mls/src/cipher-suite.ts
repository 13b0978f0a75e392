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
 * A DHKEM (RFC 9180 §4.1, §7.1): its group, its KDF's hash, and its sizes. The NIST groups also
 * have their order, the bitmask and DeriveKeyPair's rejection loop (`derivePrivateKey`, given
 * LabeledExpand under the KEM's suite id and `dkp_prk`, §7.1.3); X25519 and X448 take any Nsk
 * bytes, expanded under "sk", so they have none of the three.
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
  readonly derivePrivateKey?: (
    expand: (label: string, info: Uint8Array) => Uint8Array,
  ) => Uint8Array;
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

export const DHKEM_X25519: Kem = {
  group: 'x25519',
  hash: 'sha256',
  secretLength: 32,
  publicKeyLength: 32,
  privateKeyLength: 32,
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

const SUITES: ReadonlyMap<number, CipherSuite> = new Map([SUITE_1, SUITE_3].map((s) => [s.id, s]));

/**
 * The ids of the built-in suites, ascending: 1 and 3, the X25519/Ed25519 ones. Suites 2 and 4–7
 * are in `@parley/mls/curve-suites` (kept out of the main entry so that bundles that never use
 * them, the web client's, do not carry them).
 */
export const SUPPORTED_CIPHER_SUITES: readonly number[] = [...SUITES.keys()];

/** True when suite `id` is built in. */
export function isSupportedCipherSuite(id: number): boolean {
  return SUITES.has(id);
}

/** The built-in suite with this id; throws `UNSUPPORTED_CIPHER_SUITE` for any other. */
export function cipherSuite(id: number): CipherSuite {
  return SUITES.get(id) ?? unsupported(`cipher suite ${id}`);
}

/** Throws `UNSUPPORTED_CIPHER_SUITE`: `what` (a suite, or an algorithm a backend lacks) is not available. */
export function unsupported(what: string): never {
  throw new MlsError('UNSUPPORTED_CIPHER_SUITE', `${what} not implemented`);
}
