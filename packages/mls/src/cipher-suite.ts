import type { AeadAlgorithm, HashAlgorithm } from '@parley/primitives';
import { MlsError } from './errors.js';

/** HPKE algorithm identifiers (RFC 9180 §7) that a cipher suite fixes. */
export interface HpkeAlgorithms {
  /** KEM id: 0x0020 is DHKEM(X25519, HKDF-SHA256). */
  readonly kemId: number;
  /** KDF id: 0x0001 is HKDF-SHA256. */
  readonly kdfId: number;
  /** AEAD id: 0x0001 is AES-128-GCM, 0x0003 ChaCha20-Poly1305. */
  readonly aeadId: number;
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
  /** The KEM's Diffie-Hellman group; only X25519 exists so far. */
  readonly kem: 'x25519';
  /** Npk = Nenc = Nsecret = Nsk = 32 for DHKEM(X25519). */
  readonly kemKeyLength: number;
  readonly signature: 'ed25519';
  readonly hpke: HpkeAlgorithms;
}

/** MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519: the mandatory suite. */
const SUITE_1: CipherSuite = {
  id: 1,
  name: 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519',
  hash: 'sha256',
  hashLength: 32,
  aead: 'aes-gcm',
  aeadKeyLength: 16,
  aeadNonceLength: 12,
  kem: 'x25519',
  kemKeyLength: 32,
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
  kem: 'x25519',
  kemKeyLength: 32,
  signature: 'ed25519',
  hpke: { kemId: 0x0020, kdfId: 0x0001, aeadId: 0x0003 },
};

const SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  [SUITE_1.id, SUITE_1],
  [SUITE_3.id, SUITE_3],
]);

/** The ids of the implemented suites, ascending. */
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
