import * as crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { constantTimeEqual } from '@parley/bytes';
import { PrimitivesError } from '@parley/primitives';
import { createNoblePrimitives, type NativeMlKem1024 } from '@parley/primitives-noble';
import { KeyObjectCache, LongLivedKeyCache, toUint8Array } from './key-objects.js';

/**
 * ML-KEM-1024 on OpenSSL 3.5 through `crypto.encapsulate` / `crypto.decapsulate` (Node 24),
 * the FIPS 203 core under round-3 Kyber1024's hashing (primitives-noble's `kyber1024.ts`).
 *
 * Keys are what noble and libsignal hold: the 1,568-byte encapsulation key and the 3,168-byte
 * expanded decapsulation key dk_pke ‖ ek ‖ H(ek) ‖ z. They enter OpenSSL as DER: SPKI, and
 * PKCS #8 with the `expandedKey` choice of the ML-KEM private key (draft-ietf-lamps-kyber-certificates), so
 * no key needs its 64-byte seed. OpenSSL runs FIPS 203's input checks on import: the modulus
 * check on ek, the H(ek) check on the expanded key; a refused import is `INVALID_KEY`, as noble's
 * checks give.
 */

/** SPKI and PKCS #8 (expandedKey, OCTET STRING of 3,168 bytes) headers, OID 2.16.840.1.101.3.4.4.3. */
const SPKI_PREFIX = Buffer.from('30820632300b06096086480165030404030382062100', 'hex');
const PKCS8_EXPANDED_PREFIX = Buffer.from(
  '30820c78020100300b060960864801650304040304820c6404820c60',
  'hex',
);

type Encapsulate = (key: KeyObject) => { sharedKey: Buffer; ciphertext: Buffer };
type Decapsulate = (key: KeyObject, ciphertext: Uint8Array) => Buffer;
export interface KemFunctions {
  readonly encapsulate: Encapsulate;
  readonly decapsulate: Decapsulate;
}

/** The runtime's KEM functions, where it has them (@types/node 20 does not declare them). */
export function kemFunctions(): KemFunctions | undefined {
  const c = crypto as unknown as { encapsulate?: unknown; decapsulate?: unknown };
  if (typeof c.encapsulate !== 'function' || typeof c.decapsulate !== 'function') return undefined;
  return { encapsulate: c.encapsulate as Encapsulate, decapsulate: c.decapsulate as Decapsulate };
}

function importPublicKey(publicKey: Uint8Array): KeyObject {
  return crypto.createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, publicKey]),
    format: 'der',
    type: 'spki',
  });
}

function importSecretKey(secretKey: Uint8Array): KeyObject {
  const der = Buffer.concat([PKCS8_EXPANDED_PREFIX, secretKey]);
  try {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function invalidKey(what: string): PrimitivesError {
  return new PrimitivesError('INVALID_KEY', `Kyber1024 ${what}`);
}

function build(kem: KemFunctions): NativeMlKem1024 {
  // Keys are imported once per key array (the same prekey decapsulates, the same bundle key
  // encapsulates more than once in a test or a retry), bytes checked on every use.
  const publicKeys = new KeyObjectCache((raw) => {
    try {
      return importPublicKey(raw);
    } catch {
      throw invalidKey('public key failed the modulus check');
    }
  });
  const importChecked = (raw: Uint8Array): KeyObject => {
    try {
      return importSecretKey(raw);
    } catch {
      throw invalidKey('secret key failed the hash check');
    }
  };
  // An import checks H(ek) and expands the matrix: ~170 µs, most of a decapsulation.
  const secretKeys = new KeyObjectCache(importChecked);
  const longLivedKeys = new LongLivedKeyCache(importChecked);
  return {
    encapsulate(publicKey) {
      const { sharedKey, ciphertext } = kem.encapsulate(publicKeys.get(publicKey));
      return { cipherText: toUint8Array(ciphertext), sharedSecret: toUint8Array(sharedKey) };
    },
    decapsulate(ciphertext, secretKey, lifetime) {
      const key =
        lifetime === 'long-lived' ? longLivedKeys.get(secretKey) : secretKeys.get(secretKey);
      return toUint8Array(kem.decapsulate(key, ciphertext));
    },
  };
}

/**
 * Whether the runtime's ML-KEM-1024 takes our key formats and agrees with noble's: a noble key
 * pair from a fixed seed, encapsulated natively and decapsulated both ways.
 */
function works(native: NativeMlKem1024): boolean {
  try {
    const noble = createNoblePrimitives().kem['ml-kem-1024'];
    const pair = noble.generateKeyPair(new Uint8Array(64).fill(0x5a));
    const { cipherText, sharedSecret } = native.encapsulate(pair.publicKey);
    const ours = native.decapsulate(cipherText, pair.secretKey);
    const nobles = noble.decapsulate(cipherText, pair.secretKey);
    return constantTimeEqual(ours, sharedSecret) && constantTimeEqual(nobles, sharedSecret);
  } catch {
    return false;
  }
}

let probed: { readonly native: NativeMlKem1024 | undefined } | undefined;

/**
 * The runtime's ML-KEM-1024 if it has one that passes the probe (Node 24), else undefined (Node
 * 20: noble's). Feature-detected on first use, never by version number; the probe costs one
 * noble key generation and decapsulation, once per process.
 */
export function nativeMlKem1024(): NativeMlKem1024 | undefined {
  if (probed === undefined) {
    const kem = kemFunctions();
    const candidate = kem === undefined ? undefined : build(kem);
    probed = { native: candidate !== undefined && works(candidate) ? candidate : undefined };
  }
  return probed.native;
}

/** Whether round-3 Kyber1024 runs on the runtime's ML-KEM-1024 here (tests and benchmarks). */
export function hasNativeMlKem1024(): boolean {
  return nativeMlKem1024() !== undefined;
}
