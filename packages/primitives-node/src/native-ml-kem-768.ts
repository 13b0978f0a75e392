import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { constantTimeEqual } from '@parley/bytes';
import type { IncrementalKem } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';
import { createIncrementalMlKem768 } from '@parley/primitives-noble';
import { KeyObjectCache, toUint8Array } from './key-objects.js';
import { kemFunctions, type KemFunctions } from './native-ml-kem.js';

/**
 * SPQR's incremental ML-KEM-768 with key generation and decapsulation on OpenSSL 3.5 (Node 24),
 * ~13× faster than noble's JavaScript key generation. OpenSSL keeps an ML-KEM private key as its
 * 64-byte seed d ‖ z and exports no expanded key, so the decapsulation key this backend hands
 * out is that seed; `decapsulate` imports it (OpenSSL re-derives the key) and decapsulates.
 * A 2,400-byte expanded key (from noble, or a record written before seeds) takes noble's path.
 * Everything that needs a caller's m (`encapsulate1`, `encapsulate2`) stays noble's: OpenSSL
 * draws its own.
 */

const SEED_LENGTH = 64;
const RHO_LENGTH = 32;
/**
 * PKCS #8 of an ML-KEM-768 private key in its `seed` choice ([0] IMPLICIT OCTET STRING of d ‖ z,
 * draft-ietf-lamps-kyber-certificates), OID 2.16.840.1.101.3.4.4.2: what OpenSSL itself exports.
 * Node 24's `raw-seed` format takes the same seed but imports at half the speed (~94 µs against
 * ~47 µs here).
 */
const PKCS8_SEED_PREFIX = Buffer.from('3054020100300b060960864801650304040204428040', 'hex');
type ExportOptions = { format: 'der'; type: 'spki' };

function fromSeed(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_SEED_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const publicKey = createPublicKey(privateKey);
  return toUint8Array(publicKey.export({ format: 'raw-public' } as unknown as ExportOptions));
}

function build(
  noble: IncrementalKem,
  kem: KemFunctions,
  random: (length: number) => Uint8Array,
): IncrementalKem {
  // The KeyObject of a seed this process generated or imported, while the seed array lives.
  const keys = new KeyObjectCache(fromSeed);
  const inc: IncrementalKem = {
    ...noble,
    generateKeyPair(seed) {
      if (seed !== undefined && seed.length !== SEED_LENGTH)
        throw new PrimitivesError(
          'INVALID_LENGTH',
          'ML-KEM-768 key generation seed must be 64 bytes',
        );
      const d = seed === undefined ? random(SEED_LENGTH) : Uint8Array.from(seed);
      const publicKey = rawPublicKey(keys.get(d));
      const header = new Uint8Array(noble.headerLength);
      header.set(publicKey.subarray(noble.encapsulationKeyLength));
      header.set(createHash('sha3-256').update(publicKey).digest(), RHO_LENGTH);
      return {
        header,
        encapsulationKey: publicKey.slice(0, noble.encapsulationKeyLength),
        decapsulationKey: d,
      };
    },
    decapsulate(ct1, ct2, decapsulationKey) {
      if (decapsulationKey.length !== SEED_LENGTH)
        return noble.decapsulate(ct1, ct2, decapsulationKey);
      if (ct1.length !== noble.ciphertext1Length || ct2.length !== noble.ciphertext2Length)
        return noble.decapsulate(ct1, ct2, decapsulationKey); // its length errors
      const ciphertext = Buffer.concat([ct1, ct2]);
      return toUint8Array(kem.decapsulate(keys.get(decapsulationKey), ciphertext));
    },
  };
  return inc;
}

/**
 * Whether the native key pair for a fixed seed is noble's, and a noble encapsulation to it
 * decapsulates natively to the same secret.
 */
function works(native: IncrementalKem, noble: IncrementalKem): boolean {
  try {
    const seed = new Uint8Array(SEED_LENGTH).fill(0xa5);
    const ours = native.generateKeyPair(seed);
    const theirs = noble.generateKeyPair(Uint8Array.from(seed));
    if (!constantTimeEqual(ours.header, theirs.header)) return false;
    if (!constantTimeEqual(ours.encapsulationKey, theirs.encapsulationKey)) return false;
    const first = noble.encapsulate1(theirs.header, new Uint8Array(32).fill(0x3c));
    const ct2 = noble.encapsulate2(first.state, theirs.encapsulationKey);
    const secret = native.decapsulate(first.ciphertext1, ct2, ours.decapsulationKey);
    return constantTimeEqual(secret, first.sharedSecret);
  } catch {
    return false;
  }
}

let probed: boolean | undefined;

/** Whether SPQR's ML-KEM-768 generates and decapsulates on OpenSSL here: probed once. */
export function hasNativeMlKem768(): boolean {
  if (probed === undefined) {
    const kem = kemFunctions();
    const random = (n: number): Uint8Array => toUint8Array(randomBytes(n));
    const noble = createIncrementalMlKem768(random);
    probed = kem !== undefined && works(build(noble, kem, random), noble);
  }
  return probed;
}

/**
 * The incremental ML-KEM-768 on the runtime's ML-KEM where it has one that passes the probe
 * (Node 24), else `noble` itself. Feature-detected, never by version number.
 */
export function incrementalMlKem768(
  noble: IncrementalKem,
  random: (length: number) => Uint8Array,
): IncrementalKem {
  const kem = kemFunctions();
  return kem !== undefined && hasNativeMlKem768() ? build(noble, kem, random) : noble;
}
