import { mulAddUnsafe, normalizeZ } from '@noble/curves/abstract/curve.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { concatBytes, constantTimeEqual } from '@parley/bytes';
import { KeyTransError } from './errors.js';

/**
 * ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5, suite 0x03): prove, verify and proof-to-hash.
 * Point arithmetic and encodings are noble's (RFC 8032 strict decoding); SHA-512 is the caller's,
 * so the primitives backend stays the caller's choice. The key transparency suite truncates
 * the 64-byte output to 32 bytes (see `vrfOutput`).
 */

const Point = ed25519.Point;
const ORDER = Point.Fn.ORDER;
const SUITE = 0x03;
/** Challenge length cLen (RFC 9381 §5.5): 16 bytes. */
const CHALLENGE_LENGTH = 16;
const POINT_LENGTH = 32;
/** Proof length: Gamma ‖ c ‖ s = 32 + 16 + 32 bytes. */
export const VRF_PROOF_LENGTH = POINT_LENGTH + CHALLENGE_LENGTH + 32;
/** Length of a VRF secret key (an RFC 8032 private key) and of a public key. */
export const VRF_KEY_LENGTH = 32;

/** SHA-512 as the caller provides it. */
export type Sha512 = (data: Uint8Array) => Uint8Array;

type EdPoint = InstanceType<typeof Point>;

interface ExpandedKey {
  readonly scalar: bigint;
  /** The clamped scalar and the clamped scalar + 8, as X25519 takes them (see `fastGamma`). */
  readonly clamped: Uint8Array;
  readonly clampedPlus8: Uint8Array | undefined;
  readonly nonceKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly point: EdPoint;
}

/**
 * Expanded keys by secret-key array, while the array lives and its bytes are unchanged: a log
 * proves with one key for its whole life, so the SHA-512 and base multiplication run once.
 */
const expandedKeys = new WeakMap<Uint8Array, { copy: Uint8Array; key: ExpandedKey }>();

function expand(sha512: Sha512, secretKey: Uint8Array): ExpandedKey {
  const hit = expandedKeys.get(secretKey);
  if (hit !== undefined && constantTimeEqual(hit.copy, secretKey)) return hit.key;
  const key = expandUncached(sha512, secretKey);
  expandedKeys.set(secretKey, { copy: Uint8Array.from(secretKey), key });
  return key;
}

function expandUncached(sha512: Sha512, secretKey: Uint8Array): ExpandedKey {
  if (secretKey.length !== VRF_KEY_LENGTH) {
    throw new KeyTransError('MISUSE', 'VRF secret key must be 32 bytes');
  }
  const h = sha512(secretKey);
  const clamped = h.slice(0, 32);
  clamped[0] = (clamped[0] ?? 0) & 248;
  clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
  const raw = bytesToNumberLE(clamped);
  const scalar = raw % ORDER;
  // raw + 8 keeps X25519's clamping (a multiple of 8 with bit 254 set, below 2^255) unless it
  // carries into bit 255; then the fast path is not used.
  const plus8 = raw + 8n;
  const point = Point.BASE.multiply(scalar);
  return {
    scalar,
    clamped,
    clampedPlus8: plus8 < 1n << 255n ? numberToBytesLE(plus8, 32) : undefined,
    nonceKey: h.slice(32, 64),
    publicKey: point.toBytes(),
    point,
  };
}

/** The public key of a VRF secret key (RFC 8032 key derivation). */
export function vrfPublicKey(sha512: Sha512, secretKey: Uint8Array): Uint8Array {
  return expand(sha512, secretKey).publicKey;
}

function decodePoint(bytes: Uint8Array): EdPoint | undefined {
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/** ECVRF_encode_to_curve_try_and_increment (RFC 9381 §5.4.1.1) with the public key as salt. */
export function encodeToCurve(sha512: Sha512, publicKey: Uint8Array, alpha: Uint8Array): EdPoint {
  for (let ctr = 0; ctr < 256; ctr++) {
    const hash = sha512(
      concatBytes(Uint8Array.of(SUITE, 0x01), publicKey, alpha, Uint8Array.of(ctr, 0x00)),
    );
    const candidate = decodePoint(hash.subarray(0, 32));
    if (candidate !== undefined) {
      const h = candidate.clearCofactor();
      // A small-order candidate becomes the identity; RFC 9381 takes it as is (probability 2^-250).
      return h;
    }
  }
  throw new KeyTransError('VRF_INVALID', 'encode_to_curve found no point');
}

/** challenge_generation (RFC 9381 §5.4.3) over the points' encodings (point_to_string). */
function challenge(sha512: Sha512, encoded: readonly Uint8Array[]): bigint {
  const input = concatBytes(Uint8Array.of(SUITE, 0x02), ...encoded, Uint8Array.of(0x00));
  return bytesToNumberLE(sha512(input).subarray(0, CHALLENGE_LENGTH));
}

/** proof_to_hash's hash (RFC 9381 §5.2) of the encoding of cofactor × Gamma. */
function hashEncoded(sha512: Sha512, cofactorGamma: Uint8Array): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE, 0x03), cofactorGamma, Uint8Array.of(0x00)));
}

function hashPoint(sha512: Sha512, gamma: EdPoint): Uint8Array {
  return hashEncoded(sha512, gamma.clearCofactor().toBytes());
}

/** ECVRF_prove (RFC 9381 §5.1): the 80-byte proof pi for `alpha`. Deterministic. */
export function vrfProve(sha512: Sha512, secretKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  return vrfProveWithHash(sha512, secretKey, alpha).proof;
}

/** ECVRF_prove and ECVRF_proof_to_hash in one pass (Gamma is not decoded again). */
export function vrfProveWithHash(
  sha512: Sha512,
  secretKey: Uint8Array,
  alpha: Uint8Array,
): { proof: Uint8Array; beta: Uint8Array } {
  const key = expand(sha512, secretKey);
  const h = encodeToCurve(sha512, key.publicKey, alpha);
  const hString = h.toBytes();
  const gamma = h.multiply(key.scalar);
  const k = bytesToNumberLE(sha512(concatBytes(key.nonceKey, hString))) % ORDER;
  const gammaString = gamma.toBytes();
  const c = challenge(sha512, [
    key.publicKey,
    hString,
    gammaString,
    Point.BASE.multiply(k).toBytes(),
    h.multiply(k).toBytes(),
  ]);
  const s = (k + c * key.scalar) % ORDER;
  const proof = concatBytes(
    gammaString,
    numberToBytesLE(c, CHALLENGE_LENGTH),
    numberToBytesLE(s, 32),
  );
  return { proof, beta: hashPoint(sha512, gamma) };
}

/** X25519(k, u) as the caller provides it (RFC 7748; clamps `k`). */
export type X25519Fn = (k: Uint8Array, u: Uint8Array) => Uint8Array;

const Fp = Point.Fp;

/**
 * The Montgomery u-coordinate of an Edwards point (RFC 7748 §4.1): u = (1 + y) / (1 − y), from
 * the projective coordinates (y = Y/Z), so one inversion.
 */
function montgomeryU(p: EdPoint): Uint8Array {
  return numberToBytesLE(Fp.div(Fp.add(p.Z, p.Y), Fp.sub(p.Z, p.Y)), 32);
}

/**
 * Gamma = x·H with the secret multiplication done by the caller's X25519 (node:crypto's is
 * native and constant-time) instead of noble's BigInt ladder: X25519 gives u(x·H), which fixes
 * Gamma up to its sign; X25519 with x + 8 gives u(x·H + 8·H), which only one of ±Gamma matches
 * (for H of prime order, Gamma + 8H and −Gamma + 8H never share a u). H is cofactor-cleared, so
 * the clamped scalar and the reduced one give the same point. Undefined when the key's x + 8
 * leaves X25519's clamping (then the caller multiplies with noble).
 */
function fastGamma(key: ExpandedKey, h: EdPoint, x25519: X25519Fn): EdPoint | undefined {
  if (key.clampedPlus8 === undefined) return undefined;
  const u = montgomeryU(h);
  const u1 = bytesToNumberLE(x25519(key.clamped, u));
  const u2 = bytesToNumberLE(x25519(key.clampedPlus8, u));
  const y = Fp.div(Fp.sub(u1, 1n), Fp.add(u1, 1n));
  const candidate = Point.fromBytes(numberToBytesLE(y, 32), false);
  // u(P) = u2 ⇔ (Z + Y) = u2·(Z − Y) for P = candidate + 8H (no inversion); the u are public.
  const sum = candidate.add(h.multiplyUnsafe(8n));
  return Fp.eql(Fp.add(sum.Z, sum.Y), Fp.mul(u2, Fp.sub(sum.Z, sum.Y)))
    ? candidate
    : candidate.negate();
}

/**
 * The output ECVRF_prove's proof would hash to, without making the proof (no nonce, no
 * challenge): one encode_to_curve and one multiplication instead of three. The log needs the
 * output when it inserts a label-version and the proof only when it answers for it. With
 * `x25519`, the multiplication is the caller's X25519 (see `fastGamma`).
 */
export function vrfHash(
  sha512: Sha512,
  secretKey: Uint8Array,
  alpha: Uint8Array,
  x25519?: X25519Fn,
): Uint8Array {
  const key = expand(sha512, secretKey);
  const h = encodeToCurve(sha512, key.publicKey, alpha);
  const gamma =
    (x25519 === undefined ? undefined : fastGamma(key, h, x25519)) ?? h.multiply(key.scalar);
  return hashPoint(sha512, gamma);
}

/** ECVRF_proof_to_hash (RFC 9381 §5.2): the 64-byte beta of a well-formed proof. */
export function vrfProofToHash(sha512: Sha512, proof: Uint8Array): Uint8Array {
  const decoded = decodeProof(proof);
  if (decoded === undefined) throw new KeyTransError('VRF_INVALID', 'VRF proof is malformed');
  return hashPoint(sha512, decoded.gamma);
}

function decodeProof(proof: Uint8Array): { gamma: EdPoint; c: bigint; s: bigint } | undefined {
  if (proof.length !== VRF_PROOF_LENGTH) return undefined;
  const gamma = decodePoint(proof.subarray(0, POINT_LENGTH));
  if (gamma === undefined) return undefined;
  const c = bytesToNumberLE(proof.subarray(POINT_LENGTH, POINT_LENGTH + CHALLENGE_LENGTH));
  const s = bytesToNumberLE(proof.subarray(POINT_LENGTH + CHALLENGE_LENGTH));
  if (s >= ORDER) return undefined;
  return { gamma, c, s };
}

/** Decoded, validated public keys with multiplication tables: clients verify under one log key. */
const publicPoints = new Map<string, EdPoint | undefined>();
const MAX_CACHED_PUBLIC_KEYS = 16;

function publicPoint(publicKey: Uint8Array): EdPoint | undefined {
  const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('');
  if (publicPoints.has(id)) return publicPoints.get(id);
  const y = decodePoint(publicKey);
  const valid = y === undefined || y.isSmallOrder() ? undefined : y;
  valid?.precompute(8);
  if (publicPoints.size >= MAX_CACHED_PUBLIC_KEYS) publicPoints.clear();
  publicPoints.set(id, valid);
  return valid;
}

/**
 * ECVRF_verify (RFC 9381 §5.3) with `validate_key` on: the 64-byte beta if `proof` is valid for
 * `alpha` under `publicKey`, otherwise undefined. Never throws on bad input.
 */
export function vrfVerify(
  sha512: Sha512,
  publicKey: Uint8Array,
  alpha: Uint8Array,
  proof: Uint8Array,
): Uint8Array | undefined {
  if (publicKey.length !== VRF_KEY_LENGTH) return undefined;
  const y = publicPoint(publicKey);
  if (y === undefined) return undefined;
  const decoded = decodeProof(proof);
  if (decoded === undefined) return undefined;
  const h = encodeToCurve(sha512, publicKey, alpha);
  const u = Point.BASE.multiplyUnsafe(decoded.s).subtract(y.multiplyUnsafe(decoded.c));
  // s·H − c·Gamma in one Strauss–Shamir pass (one doubling chain for both; public inputs).
  const v = mulAddUnsafe(Point, [h, decoded.gamma.negate()], [decoded.s, decoded.c]);
  // The four points to encode share one field inversion (noble's batch normalisation); Y and
  // Gamma are encoded as received (strict decoding accepted only canonical encodings).
  const [hA, uA, vA, gammaA] = normalizeZ(Point, [h, u, v, decoded.gamma.clearCofactor()]);
  const expected = challenge(sha512, [
    publicKey,
    (hA as EdPoint).toBytes(),
    proof.subarray(0, POINT_LENGTH),
    (uA as EdPoint).toBytes(),
    (vA as EdPoint).toBytes(),
  ]);
  const cBytes = numberToBytesLE(decoded.c, CHALLENGE_LENGTH);
  if (!constantTimeEqual(cBytes, numberToBytesLE(expected, CHALLENGE_LENGTH))) return undefined;
  return hashEncoded(sha512, (gammaA as EdPoint).toBytes());
}
