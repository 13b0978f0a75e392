import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, equalBytes, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { KeyPair, SignatureScheme } from '@parley/primitives';
import { PrimitivesError } from '@parley/primitives';

/**
 * XEdDSA as libsignal does it (specs/signal-v4-wire.md §2): an Ed25519-style signature made
 * with a Curve25519 (Montgomery) private key. Unlike the XEdDSA paper, the private scalar is not
 * negated; the sign bit of the Edwards public key travels in the top bit of `signature[63]`.
 * All point arithmetic is noble's; this file only arranges the steps.
 */

const KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
/** Length of the random nonce input Z. */
export const XEDDSA_RANDOM_LENGTH = 64;
/** 0xFE ‖ 0xFF×31: the hash prefix that separates XEdDSA nonces from other SHA-512 uses. */
const NONCE_PREFIX = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xfe : 0xff));

const Point = ed25519.Point;
const Fp = Point.Fp;
const ORDER = Point.Fn.ORDER;
const MASK_255 = (1n << 255n) - 1n;

/** RFC 7748 clamping, on a copy. */
export function clampScalar(privateKey: Uint8Array): Uint8Array {
  const k = Uint8Array.from(privateKey);
  k[0] = (k[0] ?? 0) & 248;
  k[31] = ((k[31] ?? 0) & 127) | 64;
  return k;
}

function reduce(bytes: Uint8Array): bigint {
  return bytesToNumberLE(bytes) % ORDER;
}

/** XEdDSA signature with the 64-byte nonce input `random`. */
export function xeddsaSign(
  privateKey: Uint8Array,
  message: Uint8Array,
  random: Uint8Array,
): Uint8Array {
  if (privateKey.length !== KEY_LENGTH)
    throw new PrimitivesError('INVALID_KEY', 'XEdDSA private key must be 32 bytes');
  if (random.length !== XEDDSA_RANDOM_LENGTH)
    throw new PrimitivesError('INVALID_LENGTH', 'XEdDSA nonce input must be 64 bytes');
  const k = clampScalar(privateKey);
  const a = reduce(k);
  const publicEdwards = Point.BASE.multiply(a).toBytes();
  const r = reduce(
    sha512.create().update(NONCE_PREFIX).update(k).update(message).update(random).digest(),
  );
  const R = Point.BASE.multiply(r).toBytes();
  const h = reduce(sha512.create().update(R).update(publicEdwards).update(message).digest());
  const s = numberToBytesLE((h * a + r) % ORDER, 32);
  const signature = new Uint8Array(SIGNATURE_LENGTH);
  signature.set(R, 0);
  signature.set(s, 32);
  signature[63] = (signature[63] ?? 0) | ((publicEdwards[31] ?? 0) & 0x80);
  k.fill(0);
  return signature;
}

/**
 * The Ed25519 public key and signature that an XEdDSA signature is checked as: the Edwards y of
 * the Montgomery u (y = (u − 1)/(u + 1)) with the sign bit from `signature[63]`, and the
 * signature with that bit cleared. Undefined when no such key exists or the encoding is invalid.
 */
export function xeddsaAsEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
): { publicKey: Uint8Array; signature: Uint8Array } | undefined {
  if (publicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return undefined;
  return withEdwardsY(edwardsY(publicKey), signature);
}

/**
 * The Edwards y = (u − 1)/(u + 1) of a 32-byte Montgomery u, little-endian with the sign bit
 * clear; undefined for u = −1. The field inversion is most of an XEdDSA conversion (~45 µs).
 */
function edwardsY(publicKey: Uint8Array): Uint8Array | undefined {
  // Like libsignal (curve25519-dalek's FieldElement::from_bytes), bit 255 of u is ignored.
  const u = Fp.create(bytesToNumberLE(publicKey) & MASK_255);
  const denominator = Fp.add(u, Fp.ONE);
  if (Fp.is0(denominator)) return undefined;
  return numberToBytesLE(Fp.mul(Fp.sub(u, Fp.ONE), Fp.inv(denominator)), 32);
}

function withEdwardsY(
  y: Uint8Array | undefined,
  signature: Uint8Array,
): { publicKey: Uint8Array; signature: Uint8Array } | undefined {
  if (y === undefined) return undefined;
  const edPublic = Uint8Array.from(y);
  const signBit = (signature[63] ?? 0) & 0x80;
  edPublic[31] = (edPublic[31] ?? 0) | signBit;
  const edSignature = Uint8Array.from(signature);
  edSignature[63] = (edSignature[63] ?? 0) & 0x7f;
  // libsignal requires the top three bits of s to be zero once the sign bit is removed.
  if ((edSignature[63] & 0xe0) !== 0) return undefined;
  return { publicKey: edPublic, signature: edSignature };
}

/** Builds the XEdDSA scheme over an X25519 key generator and an Ed25519 verifier. */
export function createXeddsa(
  randomBytes: (length: number) => Uint8Array,
  x25519: { generateKeyPair(): KeyPair; publicKey(privateKey: Uint8Array): Uint8Array },
  verifyEd25519: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean,
): SignatureScheme {
  // The Edwards form of each key array, kept while the array lives and its bytes are unchanged
  // (public data): a bundle's two signatures are checked under the same identity key.
  const converted = new WeakMap<
    Uint8Array,
    { readonly u: Uint8Array; readonly y: Uint8Array | undefined }
  >();
  function cachedEdwardsY(publicKey: Uint8Array): Uint8Array | undefined {
    const hit = converted.get(publicKey);
    if (hit !== undefined && equalBytes(hit.u, publicKey)) return hit.y;
    const y = edwardsY(publicKey);
    converted.set(publicKey, { u: Uint8Array.from(publicKey), y });
    return y;
  }
  return {
    generateKeyPair: () => x25519.generateKeyPair(),
    publicKey: (privateKey) => x25519.publicKey(privateKey),
    sign: (privateKey, message) =>
      xeddsaSign(privateKey, message, randomBytes(XEDDSA_RANDOM_LENGTH)),
    verify(publicKey, message, signature) {
      if (publicKey.length !== KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false;
      const ed = withEdwardsY(cachedEdwardsY(publicKey), signature);
      return ed !== undefined && verifyEd25519(ed.publicKey, message, ed.signature);
    },
  };
}
