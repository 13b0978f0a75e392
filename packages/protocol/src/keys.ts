import { concatBytes, fixedBytes, type BrandedBytes } from '@parley/bytes';
import type { KeyLifetime, Primitives } from '@parley/primitives';
import {
  CURVE25519_KEY_LENGTH,
  EC_KEY_TYPE,
  KYBER_CIPHERTEXT_LENGTH,
  KYBER_KEY_TYPE,
  KYBER_PUBLIC_KEY_LENGTH,
  KYBER_SECRET_KEY_LENGTH,
} from './constants.js';
import { ProtocolError } from './errors.js';

/** A Curve25519 public key: the bare 32-byte u-coordinate (the `0x05` byte is added on the wire). */
export type PublicKey = BrandedBytes<'PublicKey'>;
/** A clamped 32-byte Curve25519 private key. */
export type PrivateKey = BrandedBytes<'PrivateKey'>;
/** A round-3 Kyber1024 public key, 1,568 bytes, without its `0x08` type byte. */
export type KyberPublicKey = BrandedBytes<'KyberPublicKey'>;
export type KyberSecretKey = BrandedBytes<'KyberSecretKey'>;
export type KyberCiphertext = BrandedBytes<'KyberCiphertext'>;

export interface KeyPair {
  readonly publicKey: PublicKey;
  readonly privateKey: PrivateKey;
}

export interface KyberKeyPair {
  readonly publicKey: KyberPublicKey;
  readonly secretKey: KyberSecretKey;
}

/** A device's long-term identity: a Curve25519 key pair that signs with XEdDSA. */
export type IdentityKeyPair = KeyPair;

function brand<B extends string>(name: B, length: number): (b: Uint8Array) => BrandedBytes<B> {
  const check = fixedBytes(name, length);
  return (bytes) => {
    try {
      return check(bytes);
    } catch {
      throw new ProtocolError('INVALID_KEY', `${name} must be ${length} bytes`);
    }
  };
}

export const asPublicKey = brand('PublicKey', CURVE25519_KEY_LENGTH);
export const asPrivateKey = brand('PrivateKey', CURVE25519_KEY_LENGTH);
export const asKyberPublicKey = brand('KyberPublicKey', KYBER_PUBLIC_KEY_LENGTH);
export const asKyberSecretKey = brand('KyberSecretKey', KYBER_SECRET_KEY_LENGTH);
export const asKyberCiphertext = brand('KyberCiphertext', KYBER_CIPHERTEXT_LENGTH);

export function generateKeyPair(p: Primitives): KeyPair {
  const pair = p.x25519.generateKeyPair();
  return { publicKey: asPublicKey(pair.publicKey), privateKey: asPrivateKey(pair.privateKey) };
}

export function generateIdentityKeyPair(p: Primitives): IdentityKeyPair {
  return generateKeyPair(p);
}

export function generateKyberKeyPair(p: Primitives): KyberKeyPair {
  const pair = p.kem.kyber1024.generateKeyPair();
  return {
    publicKey: asKyberPublicKey(pair.publicKey),
    secretKey: asKyberSecretKey(pair.secretKey),
  };
}

/** Largest registration id libsignal clients generate (`KeyHelper.generateRegistrationId`). */
const MAX_GENERATED_REGISTRATION_ID = 16380;

/** A registration id in 1..16380, as libsignal clients generate them. */
export function generateRegistrationId(p: Primitives): number {
  const b = p.randomBytes(2);
  return ((((b[0] ?? 0) << 8) | (b[1] ?? 0)) % MAX_GENERATED_REGISTRATION_ID) + 1;
}

/** `0x05 ‖ key`: the 33-byte form libsignal uses on the wire and in bundles. */
export function serializePublicKey(key: PublicKey): Uint8Array {
  return concatBytes(Uint8Array.of(EC_KEY_TYPE), key);
}

function untype(bytes: Uint8Array, type: number, what: string): Uint8Array {
  if (bytes[0] !== type) throw new ProtocolError('INVALID_KEY', `${what}: wrong type byte`);
  return bytes.subarray(1);
}

/** Parses a 33-byte `0x05`-prefixed key (exactly 33 bytes: we never rely on trailing bytes). */
export function deserializePublicKey(bytes: Uint8Array): PublicKey {
  return asPublicKey(untype(bytes, EC_KEY_TYPE, 'public key').slice());
}

export function serializeKyberPublicKey(key: KyberPublicKey): Uint8Array {
  return concatBytes(Uint8Array.of(KYBER_KEY_TYPE), key);
}

export function deserializeKyberPublicKey(bytes: Uint8Array): KyberPublicKey {
  return asKyberPublicKey(untype(bytes, KYBER_KEY_TYPE, 'Kyber public key').slice());
}

export function serializeKyberCiphertext(ct: KyberCiphertext): Uint8Array {
  return concatBytes(Uint8Array.of(KYBER_KEY_TYPE), ct);
}

export function deserializeKyberCiphertext(bytes: Uint8Array): KyberCiphertext {
  return asKyberCiphertext(untype(bytes, KYBER_KEY_TYPE, 'Kyber ciphertext').slice());
}

/** Little-endian bytes of p = 2^255 − 19. */
const FIELD_PRIME_LE = Uint8Array.from({ length: 32 }, (_, i) =>
  i === 0 ? 0xed : i === 31 ? 0x7f : 0xff,
);

/**
 * True when the u-coordinate is below p (its canonical encoding). libsignal additionally
 * requires the point to be torsion-free; the `Primitives` interface offers no point
 * arithmetic, so that part is not checked here (a torsion component cannot change an X25519
 * result with a clamped scalar, and low-order points give the all-zero output we reject).
 */
export function isCanonicalPublicKey(key: PublicKey): boolean {
  for (let i = 31; i >= 0; i--) {
    const k = key[i] ?? 0;
    const q = FIELD_PRIME_LE[i] ?? 0;
    if (k !== q) return k < q;
  }
  return false;
}

/**
 * X25519 with the all-zero result (and any other primitive failure) as `INVALID_KEY`. Pass
 * `long-lived` for an identity key or a signed prekey: the backend may keep it prepared.
 */
export function agree(
  p: Primitives,
  privateKey: PrivateKey,
  publicKey: PublicKey,
  lifetime?: KeyLifetime,
): Uint8Array {
  try {
    return p.x25519.sharedSecret(privateKey, publicKey, lifetime);
  } catch {
    throw new ProtocolError('INVALID_KEY', 'key agreement failed');
  }
}
