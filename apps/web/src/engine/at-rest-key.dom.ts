/**
 * Where the store's master key comes from in the browser. A random 32-byte master key encrypts
 * the store (`sqlite-store.ts`); it is kept in the database only wrapped (AES-256-GCM) by a
 * **non-extractable** WebCrypto key that lives in IndexedDB, so the bytes on disk are useless
 * without this browser profile's key store, and no script can export that key. Optionally the
 * wrapped key is wrapped again under a key derived from a passphrase (PBKDF2-SHA-256), and then
 * the store opens only after the passphrase is typed.
 *
 * Wrapped form (meta `wrapped-key`): version 1 ‖ flags (bit 0: passphrase) ‖ the device layer's
 * IV ‖ (with a passphrase: the passphrase layer's IV ‖ its ciphertext of the device layer's
 * ciphertext, or else the device layer's ciphertext). The salt and iteration count are in meta
 * `passphrase`.
 */
import { ClientError } from '@parley/client';
import { concatBytes, readUint32BE, uint32BE } from '@parley/bytes';
import { PASSPHRASE_PBKDF2_ITERATIONS } from './limits.js';

const IDB_NAME = 'parley-keys';
const IDB_STORE = 'keys';
const DEVICE_KEY = 'device';
const WRAP_VERSION = 1;
const FLAG_PASSPHRASE = 1;
const IV_BYTES = 12;
const SALT_BYTES = 16;
const WRAP_AAD = new TextEncoder().encode('parley store key v1');

function idb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(IDB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(IDB_STORE);
    };
    req.onsuccess = () => {
      resolve(req.result);
    };
    req.onerror = () => {
      reject(req.error ?? new Error('IndexedDB failed'));
    };
  });
}

function idbRequest<T>(
  mode: IDBTransactionMode,
  fn: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  return idb().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(IDB_STORE, mode);
        const req = fn(tx.objectStore(IDB_STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(req.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error ?? new Error('IndexedDB failed'));
        };
      }),
  );
}

/** This profile's device key; with `create`, made (non-extractable) when there is none. */
export async function loadDeviceKey(create: boolean): Promise<CryptoKey | undefined> {
  const found = await idbRequest('readonly', (s) => s.get(DEVICE_KEY) as IDBRequest<unknown>);
  if (found instanceof CryptoKey) return found;
  if (!create) return undefined;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  await idbRequest('readwrite', (s) => s.put(key, DEVICE_KEY));
  return key;
}

/** Forgets the device key (wiping local data): whatever is left on disk cannot be opened. */
export async function deleteDeviceKey(): Promise<void> {
  await idbRequest('readwrite', (s) => s.delete(DEVICE_KEY));
}

async function gcm(
  op: 'encrypt' | 'decrypt',
  key: CryptoKey,
  iv: Uint8Array,
  data: Uint8Array,
): Promise<Uint8Array> {
  const params = { name: 'AES-GCM', iv: iv.slice(), additionalData: WRAP_AAD };
  const out =
    op === 'encrypt'
      ? await crypto.subtle.encrypt(params, key, data.slice())
      : await crypto.subtle.decrypt(params, key, data.slice());
  return new Uint8Array(out);
}

/** Salt and iteration count of a passphrase layer (meta `passphrase`). */
export interface PassphraseParams {
  readonly salt: Uint8Array;
  readonly iterations: number;
}

export function newPassphraseParams(): PassphraseParams {
  return {
    salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
    iterations: PASSPHRASE_PBKDF2_ITERATIONS,
  };
}

export function encodePassphraseParams(p: PassphraseParams): Uint8Array {
  return concatBytes(uint32BE(p.iterations), p.salt);
}

export function decodePassphraseParams(bytes: Uint8Array): PassphraseParams {
  if (bytes.length !== 4 + SALT_BYTES)
    throw new ClientError('STORE_LOCKED', 'the passphrase parameters are damaged');
  return { iterations: readUint32BE(bytes, 0), salt: bytes.slice(4) };
}

/** A non-extractable AES-GCM key from a passphrase (PBKDF2-SHA-256). */
export async function passphraseKey(
  passphrase: string,
  params: PassphraseParams,
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(passphrase),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: params.salt.slice(), iterations: params.iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Wraps the master key under the device key and, if given, a passphrase key. */
export async function wrapMasterKey(
  master: Uint8Array,
  device: CryptoKey,
  passphrase?: CryptoKey,
): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const inner = await gcm('encrypt', device, iv, master);
  if (passphrase === undefined) return concatBytes(Uint8Array.of(WRAP_VERSION, 0), iv, inner);
  const outerIv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const outer = await gcm('encrypt', passphrase, outerIv, inner);
  return concatBytes(Uint8Array.of(WRAP_VERSION, FLAG_PASSPHRASE), iv, outerIv, outer);
}

/** Whether a wrapped key needs a passphrase. */
export function needsPassphrase(wrapped: Uint8Array): boolean {
  return ((wrapped[1] ?? 0) & FLAG_PASSPHRASE) !== 0;
}

/** Unwraps the master key; a wrong key or passphrase, or damage, is `STORE_LOCKED`. */
export async function unwrapMasterKey(
  wrapped: Uint8Array,
  device: CryptoKey,
  passphrase?: CryptoKey,
): Promise<Uint8Array> {
  if (wrapped[0] !== WRAP_VERSION)
    throw new ClientError('STORE_LOCKED', 'the stored key has an unknown format');
  const withPassphrase = needsPassphrase(wrapped);
  if (withPassphrase && passphrase === undefined)
    throw new ClientError('STORE_LOCKED', 'the passphrase is needed');
  const iv = wrapped.subarray(2, 2 + IV_BYTES);
  try {
    let inner = wrapped.subarray(2 + IV_BYTES);
    if (withPassphrase && passphrase !== undefined) {
      const outerIv = inner.subarray(0, IV_BYTES);
      inner = await gcm('decrypt', passphrase, outerIv, inner.subarray(IV_BYTES));
    }
    return await gcm('decrypt', device, iv, inner);
  } catch (cause) {
    throw new ClientError(
      'STORE_LOCKED',
      withPassphrase ? 'wrong passphrase' : 'the stored key could not be unwrapped',
      undefined,
      { cause },
    );
  }
}
