import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from '@parley/bytes';

/**
 * Raw Curve25519/Ed25519 keys to node:crypto KeyObjects, by the fastest route the running Node
 * offers, chosen once by feature detection (never by version number) and proven at load by known
 * answers (RFC 7748 §6.1, RFC 8032 §7.1 test 1):
 *
 * - `raw`: the `raw-public` / `raw-private` key formats (Node 24). The documented route.
 * - `jwk`: a JWK whose `x` is a placeholder. OpenSSL 3.0 (Node 20) derives the public half of an
 *   OKP private key from `d` and ignores `x`; Node 24 refuses the placeholder. The route is only
 *   taken where the known-answer probe shows the derived public key is the right one, so a
 *   runtime that checked or used `x` would fall through to `der` instead of computing wrong keys.
 * - `der`: PKCS #8 / SPKI with the fixed RFC 8410 prefix. Correct everywhere, but OpenSSL 3.0's
 *   decoder makes it ~9× slower than `jwk` on Node 20 (ARCHITECTURE.md, `npm run bench -- key`).
 *
 * Public keys are read back by {@link rawPublicKey} (`raw-public`, a public JWK, or DER): never
 * through a private key's JWK export (NOTES.md).
 */

export type Curve = 'X25519' | 'Ed25519';
export type KeyImportRoute = 'raw' | 'jwk' | 'der';

export interface KeyImporter {
  readonly route: KeyImportRoute;
  privateKey(curve: Curve, privateKey: Uint8Array): KeyObject;
  publicKey(curve: Curve, publicKey: Uint8Array): KeyObject;
}

const PLACEHOLDER_X = 'A'.repeat(43);
/** RFC 8410 DER prefixes: SPKI is 12 bytes before the key, PKCS #8 16 bytes. */
const SPKI_PREFIX: Record<Curve, string> = {
  X25519: '302a300506032b656e032100',
  Ed25519: '302a300506032b6570032100',
};
const PKCS8_PREFIX: Record<Curve, string> = {
  X25519: '302e020100300506032b656e04220420',
  Ed25519: '302e020100300506032b657004220420',
};
const SPKI_PREFIX_LENGTH = 12;

/** node:crypto's names for the raw formats; @types/node 20 does not know them. */
type RawPublicKeyInput = Parameters<typeof createPublicKey>[0];
type RawPrivateKeyInput = Parameters<typeof createPrivateKey>[0];
const ASYMMETRIC_KEY_TYPE: Record<Curve, string> = { X25519: 'x25519', Ed25519: 'ed25519' };

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function withPrefix(prefix: string, key: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'hex'), key]);
}

const IMPORTERS: Record<KeyImportRoute, KeyImporter> = {
  raw: {
    route: 'raw',
    privateKey: (curve, key) =>
      createPrivateKey({
        key: Buffer.from(key.buffer, key.byteOffset, key.byteLength),
        format: 'raw-private',
        asymmetricKeyType: ASYMMETRIC_KEY_TYPE[curve],
      } as unknown as RawPrivateKeyInput),
    publicKey: (curve, key) =>
      createPublicKey({
        key: Buffer.from(key.buffer, key.byteOffset, key.byteLength),
        format: 'raw-public',
        asymmetricKeyType: ASYMMETRIC_KEY_TYPE[curve],
      } as unknown as RawPublicKeyInput),
  },
  jwk: {
    route: 'jwk',
    privateKey: (curve, key) =>
      createPrivateKey({
        key: { kty: 'OKP', crv: curve, d: base64url(key), x: PLACEHOLDER_X },
        format: 'jwk',
      }),
    publicKey: (curve, key) =>
      createPublicKey({ key: { kty: 'OKP', crv: curve, x: base64url(key) }, format: 'jwk' }),
  },
  der: {
    route: 'der',
    privateKey: (curve, key) =>
      createPrivateKey({ key: withPrefix(PKCS8_PREFIX[curve], key), format: 'der', type: 'pkcs8' }),
    publicKey: (curve, key) =>
      createPublicKey({ key: withPrefix(SPKI_PREFIX[curve], key), format: 'der', type: 'spki' }),
  },
};

/** Known answers: a private key and the public key it must give (RFC 7748 §6.1, RFC 8032 §7.1). */
const KNOWN: Record<Curve, { readonly privateKey: string; readonly publicKey: string }> = {
  X25519: {
    privateKey: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
    publicKey: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  },
  Ed25519: {
    privateKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  },
};

function spkiPublicKey(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return toUint8Array(der.subarray(SPKI_PREFIX_LENGTH));
}

/**
 * Whether `route` works on this runtime: it imports the known private keys to the known public
 * keys and the known public keys to themselves, or it throws, which counts as not working.
 */
export function keyImportRouteWorks(route: KeyImportRoute): boolean {
  const importer = IMPORTERS[route];
  try {
    for (const curve of ['X25519', 'Ed25519'] as const) {
      const expected = Buffer.from(KNOWN[curve].publicKey, 'hex');
      const privateKey = importer.privateKey(curve, Buffer.from(KNOWN[curve].privateKey, 'hex'));
      if (!constantTimeEqual(spkiPublicKey(privateKey), expected)) return false;
      if (!constantTimeEqual(spkiPublicKey(importer.publicKey(curve, expected)), expected))
        return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The importer for `route`, or undefined where this runtime does not support it. */
export function keyImporterFor(route: KeyImportRoute): KeyImporter | undefined {
  return keyImportRouteWorks(route) ? IMPORTERS[route] : undefined;
}

function detectImporter(): KeyImporter {
  for (const route of ['raw', 'jwk', 'der'] as const) {
    const importer = keyImporterFor(route);
    if (importer !== undefined) return importer;
  }
  throw new Error('node:crypto imports no X25519/Ed25519 key correctly on this runtime');
}

/** The route this process uses, detected once. */
export const keyImporter: KeyImporter = detectImporter();

/**
 * How the public half of a private KeyObject is read out, by the fastest route the running Node
 * offers (feature-detected and proven at load on the RFC 7748 / RFC 8032 known answers, like the
 * import routes):
 *
 * - `raw`: `raw-public` export (Node 24).
 * - `jwk`: the `x` member of the JWK export of the public KeyObject derived from the private one
 *   (Node 20: ~4 µs, where DER costs ~60 µs and X25519(k, 9) ~45 µs of CPU). Only public keys
 *   are exported this way: the JWK export of an X25519 *private* key made by
 *   `generateKeyPairSync` hangs Node 20.20.2 (NOTES.md; reproduced 3 of 3), while 500,000
 *   public exports of imported keys never did.
 * - `der`: SPKI minus its fixed prefix. Correct everywhere.
 */
export type PublicExportRoute = 'raw' | 'jwk' | 'der';

const PUBLIC_EXPORTERS: Record<PublicExportRoute, (publicKey: KeyObject) => Uint8Array> = {
  raw: (publicKey) =>
    toUint8Array(
      publicKey.export({ format: 'raw-public' } as unknown as { format: 'der'; type: 'spki' }),
    ),
  jwk: (publicKey) => {
    const { x } = publicKey.export({ format: 'jwk' });
    if (typeof x !== 'string') throw new Error('JWK export without x');
    return toUint8Array(Buffer.from(x, 'base64url'));
  },
  der: (publicKey) => spkiPublicKey(publicKey),
};

/** Whether `route` reads the known private keys' public keys correctly on this runtime. */
export function publicExportRouteWorks(route: PublicExportRoute): boolean {
  try {
    for (const curve of ['X25519', 'Ed25519'] as const) {
      const privateKey = IMPORTERS.der.privateKey(
        curve,
        Buffer.from(KNOWN[curve].privateKey, 'hex'),
      );
      const exported = PUBLIC_EXPORTERS[route](createPublicKey(privateKey));
      if (!constantTimeEqual(exported, Buffer.from(KNOWN[curve].publicKey, 'hex'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The public-key export route this process uses, detected once. */
export const publicExportRoute: PublicExportRoute =
  (['raw', 'jwk'] as const).find(publicExportRouteWorks) ?? 'der';

export function privateKeyObject(curve: Curve, privateKey: Uint8Array): KeyObject {
  return keyImporter.privateKey(curve, privateKey);
}

export function publicKeyObject(curve: Curve, publicKey: Uint8Array): KeyObject {
  return keyImporter.publicKey(curve, publicKey);
}

/** The raw 32-byte public key of a private KeyObject, by {@link publicExportRoute}. */
export function rawPublicKey(privateKey: KeyObject): Uint8Array {
  return PUBLIC_EXPORTERS[publicExportRoute](createPublicKey(privateKey));
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

/**
 * How many long-lived keys (see `KeyLifetime` in @parley/primitives) one cache keeps imported:
 * a device has one identity key, a current and a previous signed prekey and a last-resort Kyber
 * prekey or two. Past that the least recently used goes first.
 */
export const LONG_LIVED_KEYS = 8;

/**
 * How many `session` X25519 keys (our current ratchet key of each session, see `KeyLifetime`)
 * one backend keeps imported: the sessions a device is actively talking in. A session's key
 * leaves when the ratchet step replaces it (`forget`); keys of sessions gone quiet leave least
 * recently used first beyond this.
 */
export const SESSION_KEYS = 32;

/**
 * KeyObjects of long-lived (or `session`) private keys, found by the key's bytes (whatever array
 * holds them: storage hands out a new copy on every load), so that such a key is imported once.
 * Entries are indexed by SHA-256 of the key, hold a copy of its bytes compared in constant time
 * on every hit, and are dropped (the copy zeroed) on {@link LongLivedKeyCache.forget} or least
 * recently used first beyond `limit` ({@link LONG_LIVED_KEYS} by default). Only keys the caller
 * declares long-lived or session keys enter: a one-time key never outlives the caller's array
 * here (that is {@link KeyObjectCache}).
 */
export class LongLivedKeyCache {
  readonly #entries = new Map<string, { readonly bytes: Uint8Array; readonly key: KeyObject }>();

  constructor(
    private readonly create: (raw: Uint8Array) => KeyObject,
    private readonly limit: number = LONG_LIVED_KEYS,
  ) {}

  /** Drops the entry for `raw`'s bytes, if there is one (its copy zeroed). */
  forget(raw: Uint8Array): void {
    if (this.#entries.size === 0) return;
    const id = createHash('sha256').update(raw).digest('base64');
    const hit = this.#entries.get(id);
    if (hit === undefined || !constantTimeEqual(hit.bytes, raw)) return;
    hit.bytes.fill(0);
    this.#entries.delete(id);
  }

  /** The KeyObject of `raw` if it is cached, without importing or reordering anything. */
  peek(raw: Uint8Array): KeyObject | undefined {
    if (this.#entries.size === 0) return undefined;
    const hit = this.#entries.get(createHash('sha256').update(raw).digest('base64'));
    return hit !== undefined && constantTimeEqual(hit.bytes, raw) ? hit.key : undefined;
  }

  get(raw: Uint8Array): KeyObject {
    const id = createHash('sha256').update(raw).digest('base64');
    const hit = this.#entries.get(id);
    this.#entries.delete(id);
    if (hit !== undefined && constantTimeEqual(hit.bytes, raw)) {
      this.#entries.set(id, hit);
      return hit.key;
    }
    hit?.bytes.fill(0);
    const key = this.create(raw);
    this.#entries.set(id, { bytes: Uint8Array.from(raw), key });
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.limit) break;
      entry.bytes.fill(0);
      this.#entries.delete(oldest);
    }
    return key;
  }
}
