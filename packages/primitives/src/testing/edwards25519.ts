/**
 * A small, slow, independent edwards25519 reference (RFC 8032 §5.1) used to check XEdDSA output
 * without trusting the backend under test: the Edwards public key A = a·B of a Curve25519
 * private key, and the verification equation s·B = R + h·A. Variable time; test use only.
 */

const P = 2n ** 255n - 19n;
/** Order ℓ of the prime-order subgroup. */
export const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = mod(-121665n * inverse(121666n));
const BASE_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
const BASE_Y = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;
const SCALAR_BITS = 256;

/** A point in extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z. */
interface Point {
  readonly x: bigint;
  readonly y: bigint;
  readonly z: bigint;
  readonly t: bigint;
}

function mod(a: bigint, m: bigint = P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
  }
  return result;
}

function inverse(a: bigint): bigint {
  return power(a, P - 2n);
}

const IDENTITY: Point = { x: 0n, y: 1n, z: 1n, t: 0n };
const BASE: Point = { x: BASE_X, y: BASE_Y, z: 1n, t: mod(BASE_X * BASE_Y) };

/** Unified addition for a = −1 (add-2008-hwcd-3); also doubles. */
function add(p: Point, q: Point): Point {
  const a = mod((p.y - p.x) * (q.y - q.x));
  const b = mod((p.y + p.x) * (q.y + q.x));
  const c = mod(p.t * 2n * D * q.t);
  const d = mod(p.z * 2n * q.z);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) };
}

function negate(p: Point): Point {
  return { x: mod(-p.x), y: p.y, z: p.z, t: mod(-p.t) };
}

function multiply(point: Point, scalar: bigint): Point {
  let result = IDENTITY;
  for (let i = SCALAR_BITS - 1; i >= 0; i--) {
    result = add(result, result);
    if ((scalar >> BigInt(i)) & 1n) result = add(result, point);
  }
  return result;
}

/** Little-endian unsigned integer of `bytes`. */
export function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

function bigIntToLittleEndian(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** RFC 8032 §5.1.2 encoding: y little-endian, sign of x in the top bit. */
function encode(p: Point): Uint8Array {
  const zInv = inverse(p.z);
  const x = mod(p.x * zInv);
  const y = mod(p.y * zInv);
  const out = bigIntToLittleEndian(y, 32);
  out[31] = (out[31] ?? 0) | (Number(x & 1n) << 7);
  return out;
}

/** RFC 7748 clamping of a Curve25519 private key, as an integer. */
export function clampedScalar(privateKey: Uint8Array): bigint {
  const k = Uint8Array.from(privateKey);
  k[0] = (k[0] ?? 0) & 248;
  k[31] = ((k[31] ?? 0) & 127) | 64;
  return littleEndianToBigInt(k);
}

/** The encoded Edwards public key A = clamp(k)·B of a Curve25519 private key. */
export function edwardsPublicKey(curvePrivateKey: Uint8Array): Uint8Array {
  return encode(multiply(BASE, clampedScalar(curvePrivateKey)));
}

/** The Edwards y-coordinate (y = (u − 1)/(u + 1), RFC 7748 §4.1) of a Montgomery u, encoded. */
export function edwardsYFromMontgomery(u: Uint8Array): Uint8Array {
  const value = mod(littleEndianToBigInt(u) & (2n ** 255n - 1n));
  return bigIntToLittleEndian(mod((value - 1n) * inverse(value + 1n)), 32);
}

/**
 * True when s·B − h·A encodes to R, with A the encoded Edwards key `publicKey` given as the point
 * `a·B`: the RFC 8032 §5.1.7 equation, for a signer whose scalar the test knows. `h` is the
 * SHA-512 challenge already reduced mod ℓ; `s` must be below ℓ.
 */
export function checkSignatureEquation(
  signerScalar: bigint,
  encodedR: Uint8Array,
  s: bigint,
  h: bigint,
): boolean {
  if (s >= ED25519_ORDER) return false;
  const a = multiply(BASE, signerScalar);
  const candidate = add(multiply(BASE, s), negate(multiply(a, h)));
  const r = encode(candidate);
  return r.length === encodedR.length && r.every((b, i) => b === encodedR[i]);
}
