import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { isAllZero } from '@parley/bytes';
import type { DiffieHellman, MlsCurves, SignatureScheme } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';
import { requireLength } from '@parley/primitives-noble';
import { toUint8Array } from './key-objects.js';

/**
 * The curves of MLS cipher suites 2 and 4–7 on node:crypto (OpenSSL): P-256/384/521 ECDH through
 * `createECDH` (raw scalars and SEC1 points in and out, no key encoding), ECDSA and X448/Ed448
 * through KeyObjects imported from JWK (EC) or RFC 8410 DER (X448, Ed448).
 */

/** The SEC1 tag of an uncompressed point, the only encoding HPKE and MLS use. */
const UNCOMPRESSED = 0x04;
/** X448 (RFC 7748): private key, public key and shared secret lengths. */
const X448_KEY_LENGTH = 56;
/** Ed448 (RFC 8032): key and signature lengths. */
const ED448_KEY_LENGTH = 57;
const ED448_SIGNATURE_LENGTH = 114;

interface NistCurve {
  /** Name for messages and JWK `crv`. */
  readonly name: 'P-256' | 'P-384' | 'P-521';
  /** OpenSSL's curve name for `createECDH`. */
  readonly openSsl: string;
  /** Scalar (Nsk) and field element (Ndh) lengths. */
  readonly scalar: number;
  readonly field: number;
  /** ECDSA's message hash. */
  readonly hash: string;
}

const P256: NistCurve = {
  name: 'P-256',
  openSsl: 'prime256v1',
  scalar: 32,
  field: 32,
  hash: 'sha256',
};
const P384: NistCurve = {
  name: 'P-384',
  openSsl: 'secp384r1',
  scalar: 48,
  field: 48,
  hash: 'sha384',
};
const P521: NistCurve = {
  name: 'P-521',
  openSsl: 'secp521r1',
  scalar: 66,
  field: 66,
  hash: 'sha512',
};

/** RFC 8410 DER prefixes (PKCS #8 before the private key, SPKI before the public key). */
const DER = {
  X448: { pkcs8: '3046020100300506032b656f043a0438', spki: '3042300506032b656f033900' },
  Ed448: { pkcs8: '3047020100300506032b6571043b0439', spki: '3043300506032b6571033a00' },
} as const;

function invalidKey(what: string): PrimitivesError {
  return new PrimitivesError('INVALID_KEY', `${what} is not a valid key`);
}

function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function base64url(bytes: Uint8Array): string {
  return buffer(bytes).toString('base64url');
}

/** An ECDH object holding `privateKey`; `INVALID_KEY` for a wrong length or a scalar outside 1..n−1. */
function ecdhWith(curve: NistCurve, privateKey: Uint8Array): ReturnType<typeof createECDH> {
  requireLength(privateKey, curve.scalar, `${curve.name} private key`);
  const ecdh = createECDH(curve.openSsl);
  try {
    ecdh.setPrivateKey(buffer(privateKey));
  } catch {
    throw invalidKey(`${curve.name} private key`);
  }
  return ecdh;
}

function isUncompressedPoint(curve: NistCurve, publicKey: Uint8Array): boolean {
  return publicKey.length === 1 + 2 * curve.field && publicKey[0] === UNCOMPRESSED;
}

function nistDh(curve: NistCurve): DiffieHellman {
  return {
    privateKeyLength: curve.scalar,
    publicKeyLength: 1 + 2 * curve.field,
    sharedSecretLength: curve.field,
    generateKeyPair() {
      // OpenSSL draws the scalar from its own generator.
      const ecdh = createECDH(curve.openSsl);
      ecdh.generateKeys();
      const privateKey = new Uint8Array(curve.scalar);
      const scalar = ecdh.getPrivateKey();
      privateKey.set(scalar, curve.scalar - scalar.length);
      scalar.fill(0);
      return { privateKey, publicKey: toUint8Array(ecdh.getPublicKey()) };
    },
    publicKey: (privateKey) => toUint8Array(ecdhWith(curve, privateKey).getPublicKey()),
    sharedSecret(privateKey, publicKey) {
      const ecdh = ecdhWith(curve, privateKey);
      if (!isUncompressedPoint(curve, publicKey)) throw invalidKey(`${curve.name} public key`);
      try {
        return toUint8Array(ecdh.computeSecret(buffer(publicKey)));
      } catch {
        throw invalidKey(`${curve.name} public key`);
      }
    },
  };
}

function ecPrivateKeyObject(curve: NistCurve, privateKey: Uint8Array): KeyObject {
  const point = ecdhWith(curve, privateKey).getPublicKey();
  const x = point.subarray(1, 1 + curve.field);
  const y = point.subarray(1 + curve.field);
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: curve.name,
      d: base64url(privateKey),
      x: base64url(x),
      y: base64url(y),
    },
    format: 'jwk',
  });
}

function ecPublicKeyObject(curve: NistCurve, publicKey: Uint8Array): KeyObject {
  const x = publicKey.subarray(1, 1 + curve.field);
  const y = publicKey.subarray(1 + curve.field);
  return createPublicKey({
    key: { kty: 'EC', crv: curve.name, x: base64url(x), y: base64url(y) },
    format: 'jwk',
  });
}

function ecdsa(curve: NistCurve): SignatureScheme {
  const dh = nistDh(curve);
  return {
    generateKeyPair: () => dh.generateKeyPair(),
    publicKey: (privateKey) => dh.publicKey(privateKey),
    sign(privateKey, message) {
      const key = ecPrivateKeyObject(curve, privateKey);
      return toUint8Array(sign(curve.hash, message, { key, dsaEncoding: 'der' }));
    },
    verify(publicKey, message, signature) {
      if (!isUncompressedPoint(curve, publicKey)) return false;
      try {
        const key = ecPublicKeyObject(curve, publicKey);
        return verify(curve.hash, message, { key, dsaEncoding: 'der' }, signature);
      } catch {
        return false;
      }
    },
  };
}

function okpPrivateKey(curve: 'X448' | 'Ed448', privateKey: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([Buffer.from(DER[curve].pkcs8, 'hex'), privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
}

function okpPublicKey(curve: 'X448' | 'Ed448', publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: Buffer.concat([Buffer.from(DER[curve].spki, 'hex'), publicKey]),
    format: 'der',
    type: 'spki',
  });
}

/** The raw public key of an X448/Ed448 KeyObject (its SPKI without the fixed prefix). */
function okpRawPublicKey(curve: 'X448' | 'Ed448', key: KeyObject): Uint8Array {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return toUint8Array(spki.subarray(DER[curve].spki.length / 2));
}

function x448Dh(random: (n: number) => Uint8Array): DiffieHellman {
  const publicKey = (privateKey: Uint8Array): Uint8Array => {
    requireLength(privateKey, X448_KEY_LENGTH, 'X448 private key');
    return okpRawPublicKey('X448', okpPrivateKey('X448', privateKey));
  };
  return {
    privateKeyLength: X448_KEY_LENGTH,
    publicKeyLength: X448_KEY_LENGTH,
    sharedSecretLength: X448_KEY_LENGTH,
    generateKeyPair() {
      const privateKey = random(X448_KEY_LENGTH);
      return { privateKey, publicKey: publicKey(privateKey) };
    },
    publicKey,
    sharedSecret(privateKey, peer) {
      requireLength(privateKey, X448_KEY_LENGTH, 'X448 private key');
      requireLength(peer, X448_KEY_LENGTH, 'X448 public key');
      let shared: Uint8Array;
      try {
        shared = toUint8Array(
          diffieHellman({
            privateKey: okpPrivateKey('X448', privateKey),
            publicKey: okpPublicKey('X448', peer),
          }),
        );
      } catch {
        // OpenSSL refuses the all-zero result (and nothing else, once lengths are right).
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X448 produced the all-zero output');
      }
      if (isAllZero(shared))
        throw new PrimitivesError('ZERO_SHARED_SECRET', 'X448 produced the all-zero output');
      return shared;
    },
  };
}

function ed448Scheme(random: (n: number) => Uint8Array): SignatureScheme {
  const publicKey = (privateKey: Uint8Array): Uint8Array => {
    requireLength(privateKey, ED448_KEY_LENGTH, 'Ed448 private key');
    return okpRawPublicKey('Ed448', okpPrivateKey('Ed448', privateKey));
  };
  return {
    generateKeyPair() {
      const privateKey = random(ED448_KEY_LENGTH);
      return { privateKey, publicKey: publicKey(privateKey) };
    },
    publicKey,
    sign(privateKey, message) {
      requireLength(privateKey, ED448_KEY_LENGTH, 'Ed448 private key');
      return toUint8Array(sign(null, message, okpPrivateKey('Ed448', privateKey)));
    },
    verify(key, message, signature) {
      if (key.length !== ED448_KEY_LENGTH || signature.length !== ED448_SIGNATURE_LENGTH)
        return false;
      try {
        return verify(null, message, okpPublicKey('Ed448', key), signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * The MLS curves on node:crypto. X448 and Ed448 private keys are drawn from `randomBytes`; NIST
 * scalars and ECDSA nonces from OpenSSL's generator.
 */
export function createNodeMlsCurves(randomBytes: (length: number) => Uint8Array): MlsCurves {
  return {
    dh: {
      p256: nistDh(P256),
      p384: nistDh(P384),
      p521: nistDh(P521),
      x448: x448Dh(randomBytes),
    },
    signature: {
      ed448: ed448Scheme(randomBytes),
      'ecdsa-p256-sha256': ecdsa(P256),
      'ecdsa-p384-sha384': ecdsa(P384),
      'ecdsa-p521-sha512': ecdsa(P521),
    },
  };
}
