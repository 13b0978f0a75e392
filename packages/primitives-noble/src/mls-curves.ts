import { ed448, x448 } from '@noble/curves/ed448.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes as nobleRandomBytes } from '@noble/hashes/utils.js';
import { isAllZero } from '@parley/bytes';
import type {
  DiffieHellman,
  KeyPair,
  MlsCurves,
  Primitives,
  SignatureScheme,
} from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';
import { nobleHashing, requireLength } from './noble-primitives.js';

/**
 * The curves of MLS cipher suites 2 and 4–7 (P-256, P-384, P-521, X448, Ed448) and SHA-384 on
 * noble, in an entry point of their own (`@parley/primitives-noble/mls-curves`) so that a bundle
 * importing only the main entry (the web client's) does not carry them.
 */

/** The SEC1 tag of an uncompressed point, the only encoding HPKE and MLS use. */
const UNCOMPRESSED = 0x04;
/** X448 (RFC 7748): private key, public key and shared secret lengths. */
const X448_KEY_LENGTH = 56;
/** Ed448 (RFC 8032): key and signature lengths. */
const ED448_KEY_LENGTH = 57;
const ED448_SIGNATURE_LENGTH = 114;

type NistCurve = typeof p256;

function invalidKey(what: string): PrimitivesError {
  return new PrimitivesError('INVALID_KEY', `${what} is not a valid key`);
}

/** The scalar length (Nsk) and field length (Ndh) of a NIST curve. */
function nistLengths(curve: NistCurve): { scalar: number; field: number } {
  return { scalar: curve.lengths.secretKey ?? 0, field: curve.Point.Fp.BYTES };
}

function requirePoint(publicKey: Uint8Array, field: number, what: string): void {
  if (publicKey.length !== 1 + 2 * field || publicKey[0] !== UNCOMPRESSED) {
    throw invalidKey(what);
  }
}

function nistPublicKey(curve: NistCurve, privateKey: Uint8Array, what: string): Uint8Array {
  requireLength(privateKey, nistLengths(curve).scalar, `${what} private key`);
  if (!curve.utils.isValidSecretKey(privateKey)) throw invalidKey(`${what} private key`);
  return curve.getPublicKey(privateKey, false);
}

function nistDh(curve: NistCurve, name: string, random: (n: number) => Uint8Array): DiffieHellman {
  const { scalar, field } = nistLengths(curve);
  const seedLength = curve.lengths.seed ?? scalar;
  return {
    privateKeyLength: scalar,
    publicKeyLength: 1 + 2 * field,
    sharedSecretLength: field,
    generateKeyPair(): KeyPair {
      const privateKey = curve.utils.randomSecretKey(random(seedLength));
      return { privateKey, publicKey: curve.getPublicKey(privateKey, false) };
    },
    publicKey: (privateKey) => nistPublicKey(curve, privateKey, name),
    sharedSecret(privateKey, publicKey) {
      requireLength(privateKey, scalar, `${name} private key`);
      requirePoint(publicKey, field, `${name} public key`);
      if (!curve.utils.isValidSecretKey(privateKey)) throw invalidKey(`${name} private key`);
      let point: Uint8Array;
      try {
        point = curve.getSharedSecret(privateKey, publicKey, true);
      } catch {
        throw invalidKey(`${name} public key`);
      }
      return point.slice(1);
    },
  };
}

function ecdsa(curve: NistCurve, name: string, random: (n: number) => Uint8Array): SignatureScheme {
  const dh = nistDh(curve, name, random);
  return {
    generateKeyPair: () => dh.generateKeyPair(),
    publicKey: (privateKey) => dh.publicKey(privateKey),
    sign(privateKey, message) {
      nistPublicKey(curve, privateKey, name);
      return curve.sign(message, privateKey, { format: 'der' });
    },
    verify(publicKey, message, signature) {
      if (publicKey.length !== dh.publicKeyLength || publicKey[0] !== UNCOMPRESSED) return false;
      try {
        return curve.verify(signature, message, publicKey, { format: 'der', lowS: false });
      } catch {
        return false;
      }
    },
  };
}

function x448Dh(random: (n: number) => Uint8Array): DiffieHellman {
  return {
    privateKeyLength: X448_KEY_LENGTH,
    publicKeyLength: X448_KEY_LENGTH,
    sharedSecretLength: X448_KEY_LENGTH,
    generateKeyPair() {
      const privateKey = random(X448_KEY_LENGTH);
      return { privateKey, publicKey: x448.getPublicKey(privateKey) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, X448_KEY_LENGTH, 'X448 private key');
      return x448.getPublicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey) {
      requireLength(privateKey, X448_KEY_LENGTH, 'X448 private key');
      requireLength(publicKey, X448_KEY_LENGTH, 'X448 public key');
      let shared: Uint8Array;
      try {
        shared = x448.getSharedSecret(privateKey, publicKey);
      } catch {
        // noble throws only for the all-zero result once lengths are right.
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X448 produced the all-zero output');
      }
      if (isAllZero(shared))
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X448 produced the all-zero output');
      return shared;
    },
  };
}

function ed448Scheme(random: (n: number) => Uint8Array): SignatureScheme {
  return {
    generateKeyPair() {
      const privateKey = random(ED448_KEY_LENGTH);
      return { privateKey, publicKey: ed448.getPublicKey(privateKey) };
    },
    publicKey(privateKey) {
      requireLength(privateKey, ED448_KEY_LENGTH, 'Ed448 private key');
      return ed448.getPublicKey(privateKey);
    },
    sign(privateKey, message) {
      requireLength(privateKey, ED448_KEY_LENGTH, 'Ed448 private key');
      return ed448.sign(message, privateKey);
    },
    verify(publicKey, message, signature) {
      if (publicKey.length !== ED448_KEY_LENGTH || signature.length !== ED448_SIGNATURE_LENGTH)
        return false;
      try {
        return ed448.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  };
}

/** The MLS curves on noble, drawing randomness from `randomBytes`. */
export function createNobleMlsCurves(
  randomBytes: (length: number) => Uint8Array = (n) => nobleRandomBytes(n),
): MlsCurves {
  return {
    dh: {
      p256: nistDh(p256, 'P-256', randomBytes),
      p384: nistDh(p384, 'P-384', randomBytes),
      p521: nistDh(p521, 'P-521', randomBytes),
      x448: x448Dh(randomBytes),
    },
    signature: {
      ed448: ed448Scheme(randomBytes),
      'ecdsa-p256-sha256': ecdsa(p256, 'P-256', randomBytes),
      'ecdsa-p384-sha384': ecdsa(p384, 'P-384', randomBytes),
      'ecdsa-p521-sha512': ecdsa(p521, 'P-521', randomBytes),
    },
  };
}

/**
 * The noble backend `primitives` with what MLS suites 2 and 4–7 need besides: the curves
 * (drawing from the same random source) and SHA-384 in its hash, HMAC and HKDF methods.
 */
export function withNobleMlsCurves(primitives: Primitives): Primitives {
  return {
    ...primitives,
    ...nobleHashing({ sha256, sha384, sha512 }),
    mlsCurves: createNobleMlsCurves((n) => primitives.randomBytes(n)),
  };
}
