import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from '@parley/bytes';

/**
 * Raw Curve25519/Ed25519 keys to node:crypto KeyObjects, by the fastest route measured on Node 20
 * (see ARCHITECTURE.md): JWK import costs ~5 µs for a public key and ~30 µs for a private key,
 * against ~70 µs and ~320 µs through DER. OpenSSL derives the public half of an OKP private key
 * from `d` and ignores the JWK's `x`, so a placeholder `x` is passed; the conformance suite
 * (RFC 7748 and RFC 8032 vectors) would fail if that ever changed.
 *
 * Public keys are never exported through JWK: `export({ format: 'jwk' })` on a fresh X25519 key
 * deadlocked Node 20.20.2 (NOTES.md). {@link rawPublicKey} uses DER.
 */

type Curve = 'X25519' | 'Ed25519';
const PLACEHOLDER_X = 'A'.repeat(43);
const SPKI_PREFIX_LENGTH = 12;

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function privateKeyObject(curve: Curve, privateKey: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: curve, d: base64url(privateKey), x: PLACEHOLDER_X },
    format: 'jwk',
  });
}

export function publicKeyObject(curve: Curve, publicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: curve, x: base64url(publicKey) },
    format: 'jwk',
  });
}

/** The raw 32-byte public key of a private KeyObject, through DER. */
export function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return toUint8Array(der.subarray(SPKI_PREFIX_LENGTH));
}

/**
 * A plain Uint8Array view of a Buffer, so callers get Uint8Array semantics (`slice` copies on a
 * Uint8Array but not on a Buffer).
 */
export function toUint8Array(buffer: Buffer | ArrayBuffer): Uint8Array {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * KeyObjects remembered per byte array, so a key used several times in one operation (PQXDH's
 * base key, a ratchet key just generated, the identity key the store hands out) is imported
 * once. Entries are keyed by the array itself (a WeakMap: they live exactly as long as the
 * caller's array) and hold a copy of its bytes, compared in constant time on every hit, so an
 * array that was changed or zeroed since is imported afresh. Nothing is keyed by key content:
 * two arrays with equal bytes are two entries, and no key outlives the array it came from.
 */
export class KeyObjectCache {
  readonly #entries = new WeakMap<
    Uint8Array,
    { readonly bytes: Uint8Array; readonly key: KeyObject }
  >();

  constructor(private readonly create: (raw: Uint8Array) => KeyObject) {}

  get(raw: Uint8Array): KeyObject {
    const hit = this.#entries.get(raw);
    if (hit !== undefined && constantTimeEqual(hit.bytes, raw)) return hit.key;
    const key = this.create(raw);
    this.#entries.set(raw, { bytes: Uint8Array.from(raw), key });
    return key;
  }
}
