/**
 * Opens the engine's store in the browser: SQLite WASM on the Origin Private File System
 * through the `opfs-sahpool` VFS (synchronous access handles, so the SDK's synchronous,
 * transactional `StorageBackend` works unchanged), encrypted by `sqlite-store.ts` under a master
 * key that `at-rest-key.dom.ts` unwraps. Only the engine worker (the Web Lock holder) opens it:
 * the pool takes exclusive handles, which is also why a new engine retries while the previous
 * one's are being released. Without OPFS nothing is stored and the caller says so.
 */
import type { Database, SAHPoolUtil, Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import { ClientError, type StorageBackend } from '@parley/client';
import type { Primitives } from '@parley/primitives';
import { POOL_DIRECTORY } from './opfs.dom.js';
import {
  decodePassphraseParams,
  deleteDeviceKey,
  encodePassphraseParams,
  loadDeviceKey,
  needsPassphrase,
  newPassphraseParams,
  passphraseKey,
  unwrapMasterKey,
  wrapMasterKey,
} from './at-rest-key.dom.js';
import { STORE_OPEN_RETRY_MS, STORE_OPEN_TIMEOUT_MS } from './limits.js';
import {
  MASTER_KEY_BYTES,
  hasStore,
  openSqliteStore,
  prepareDatabase,
  type PagedReader,
  readMeta,
  writeMeta,
} from './sqlite-store.js';

/** The pool's VFS name and OPFS directory. */
export const POOL_NAME = 'parley-sahpool';
/** The store's file inside the pool. */
export const STORE_FILE = '/parley.db';

export type StoreOpening =
  /** `db` is the store's connection, for its unencrypted `meta` table only. */
  | { readonly kind: 'open'; readonly backend: StorageBackend & PagedReader; readonly db: Database }
  | { readonly kind: 'locked' }
  | { readonly kind: 'unavailable'; readonly reason: string };

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Installs the OPFS pool, retrying while another engine still holds its handles. */
export async function installPool(sqlite3: Sqlite3Static): Promise<SAHPoolUtil> {
  const deadline = Date.now() + STORE_OPEN_TIMEOUT_MS;
  for (;;) {
    try {
      return await sqlite3.installOpfsSAHPoolVfs({
        name: POOL_NAME,
        directory: POOL_DIRECTORY,
        initialCapacity: 6,
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(STORE_OPEN_RETRY_MS);
    }
  }
}

/**
 * Opens (creating if needed) the store. `locked` when a passphrase is needed and none (or a
 * wrong one) was given; `unavailable` when the key that protects the data is gone.
 */
export async function openStore(
  pool: SAHPoolUtil,
  primitives: Primitives,
  passphrase?: string,
): Promise<StoreOpening> {
  const db = new pool.OpfsSAHPoolDb(STORE_FILE);
  let handedOver = false;
  try {
    prepareDatabase(db);
    const master = await masterKey(db, passphrase);
    if (typeof master === 'object' && !(master instanceof Uint8Array)) return master;
    try {
      const backend = openSqliteStore(db, primitives, master);
      handedOver = true;
      return { kind: 'open', backend, db };
    } finally {
      master.fill(0);
    }
  } finally {
    if (!handedOver) db.close();
  }
}

async function masterKey(
  db: Database,
  passphrase: string | undefined,
): Promise<Uint8Array | Exclude<StoreOpening, { kind: 'open' }>> {
  const wrapped = readMeta(db, 'wrapped-key');
  if (wrapped === undefined) {
    if (hasStore(db))
      return { kind: 'unavailable', reason: 'The local data is damaged: its key is missing.' };
    const device = await loadDeviceKey(true);
    if (device === undefined) throw new Error('no device key');
    const master = crypto.getRandomValues(new Uint8Array(MASTER_KEY_BYTES));
    writeMeta(db, 'wrapped-key', await wrapMasterKey(master, device));
    return master;
  }
  const device = await loadDeviceKey(false);
  if (device === undefined)
    return {
      kind: 'unavailable',
      reason:
        "The key that protects this browser's Parley data is gone (part of the site data was cleared). Wipe the local data to start again.",
    };
  if (!needsPassphrase(wrapped)) return unwrapMasterKey(wrapped, device);
  const params = readMeta(db, 'passphrase');
  if (passphrase === undefined || params === undefined) return { kind: 'locked' };
  try {
    return await unwrapMasterKey(
      wrapped,
      device,
      await passphraseKey(passphrase, decodePassphraseParams(params)),
    );
  } catch (error) {
    if (error instanceof ClientError && error.code === 'STORE_LOCKED') return { kind: 'locked' };
    throw error;
  }
}

/** Whether the open store's key is also wrapped by a passphrase. */
export function hasPassphrase(db: Database): boolean {
  const wrapped = readMeta(db, 'wrapped-key');
  return wrapped !== undefined && needsPassphrase(wrapped);
}

/**
 * Wraps the master key again: under a new passphrase (`next`), or under the device key alone
 * (no `next`). With a passphrase set, `current` must be it (`STORE_LOCKED` otherwise).
 */
export async function changePassphrase(
  db: Database,
  current: string | undefined,
  next: string | undefined,
): Promise<void> {
  const wrapped = readMeta(db, 'wrapped-key');
  const device = await loadDeviceKey(false);
  if (wrapped === undefined || device === undefined)
    throw new ClientError('STORE_LOCKED', 'the store key is missing');
  let currentKey: CryptoKey | undefined;
  if (needsPassphrase(wrapped)) {
    const params = readMeta(db, 'passphrase');
    if (current === undefined || params === undefined)
      throw new ClientError('STORE_LOCKED', 'the current passphrase is needed');
    currentKey = await passphraseKey(current, decodePassphraseParams(params));
  }
  const master = await unwrapMasterKey(wrapped, device, currentKey);
  try {
    const params = next === undefined ? undefined : newPassphraseParams();
    const rewrapped = await wrapMasterKey(
      master,
      device,
      params === undefined || next === undefined ? undefined : await passphraseKey(next, params),
    );
    db.exec('BEGIN IMMEDIATE');
    try {
      if (params === undefined) db.exec("DELETE FROM meta WHERE name = 'passphrase'");
      else writeMeta(db, 'passphrase', encodePassphraseParams(params));
      writeMeta(db, 'wrapped-key', rewrapped);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  } finally {
    master.fill(0);
  }
}

/** Deletes every file of the pool and the device key. The store must be closed. */
export async function wipeStore(pool: SAHPoolUtil): Promise<void> {
  await pool.wipeFiles();
  await deleteDeviceKey();
}
