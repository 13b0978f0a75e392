import { MlsError } from './errors.js';
import {
  cipherSuite,
  isSupportedCipherSuite,
  SUPPORTED_CIPHER_SUITES,
  type CipherSuite,
  type Kem,
} from './cipher-suite.js';

/**
 * MLS cipher suites 2 and 4–7 (RFC 9420 §17.1): P-256, X448/Ed448, P-521 and P-384. An entry
 * point of its own (`@parley/mls/curve-suites`), like the curves they need
 * (`Primitives.mlsCurves`, from `@parley/primitives-noble/mls-curves` on noble), so that a
 * bundle using only the built-in suites 1 and 3 (the web client's) carries neither. Pass a suite
 * from here to `new MlsCrypto(primitives, suite)`.
 */

/** RFC 9180 §7.1.3: DeriveKeyPair gives up after this many rejected candidates (counter > 255). */
const MAX_DERIVE_CANDIDATES = 256;

function bytesToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/**
 * A NIST-curve DHKEM with DeriveKeyPair's rejection loop (RFC 9180 §7.1.3): the first
 * "candidate" (counter 0, 1, …) that, masked with the bitmask, is a scalar in 1..n−1. Throws
 * `INVALID_ENCODING` after 256 rejections (probability below 2^-256; the RFC's
 * DeriveKeyPairError).
 */
function nistKem(kem: Kem & { readonly order: bigint; readonly bitmask: number }): Kem {
  return {
    ...kem,
    derivePrivateKey(expand) {
      for (let counter = 0; counter < MAX_DERIVE_CANDIDATES; counter++) {
        const candidate = expand('candidate', Uint8Array.of(counter));
        candidate[0] = (candidate[0] ?? 0) & kem.bitmask;
        const scalar = bytesToBigInt(candidate);
        if (scalar !== 0n && scalar < kem.order) return candidate;
        candidate.fill(0);
      }
      throw new MlsError('INVALID_ENCODING', 'DeriveKeyPair found no valid scalar');
    },
  };
}

const DHKEM_X448: Kem = {
  group: 'x448',
  hash: 'sha512',
  secretLength: 64,
  publicKeyLength: 56,
  privateKeyLength: 56,
};
const DHKEM_P256: Kem = nistKem({
  group: 'p256',
  hash: 'sha256',
  secretLength: 32,
  publicKeyLength: 65,
  privateKeyLength: 32,
  order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  bitmask: 0xff,
});
const DHKEM_P384: Kem = nistKem({
  group: 'p384',
  hash: 'sha384',
  secretLength: 48,
  publicKeyLength: 97,
  privateKeyLength: 48,
  order:
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  bitmask: 0xff,
});
const DHKEM_P521: Kem = nistKem({
  group: 'p521',
  hash: 'sha512',
  secretLength: 64,
  publicKeyLength: 133,
  privateKeyLength: 66,
  order:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  bitmask: 0x01,
});

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

const CURVE_SUITES: ReadonlyMap<number, CipherSuite> = new Map(
  [SUITE_2, SUITE_4, SUITE_5, SUITE_6, SUITE_7].map((s) => [s.id, s]),
);

/** The ids of every RFC 9420 §17.1 suite, built-in and from here, ascending. */
export const ALL_CIPHER_SUITES: readonly number[] = [
  ...SUPPORTED_CIPHER_SUITES,
  ...CURVE_SUITES.keys(),
].sort((a, b) => a - b);

/** True when `id` is a suite of either table. */
export function isKnownCipherSuite(id: number): boolean {
  return isSupportedCipherSuite(id) || CURVE_SUITES.has(id);
}

/** The suite with this id, built-in or from here; throws `UNSUPPORTED_CIPHER_SUITE` for any other. */
export function anyCipherSuite(id: number): CipherSuite {
  return CURVE_SUITES.get(id) ?? cipherSuite(id);
}
