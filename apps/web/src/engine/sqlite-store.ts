/**
 * The SDK's synchronous `StorageBackend` on SQLite WASM (in the browser, a database on OPFS
 * through the `opfs-sahpool` VFS, opened by `store.dom.ts`). Encrypted at rest as the Node
 * backend is: every value sealed with XChaCha20-Poly1305 under a key derived from a 32-byte
 * master key, with the namespace and key name as associated data; every key name replaced by
 * its HMAC, so the file shows namespaces and counts but no identifiers. Where the master key
 * comes from (wrapped by a non-extractable WebCrypto key, optionally a passphrase) is
 * `at-rest-key.dom.ts`. Migrations are numbered and never edited.
 *
 * Runtime-neutral: it needs only an open sqlite-wasm database, so Node can run it in memory.
 */
import type { Database, PreparedStatement } from '@sqlite.org/sqlite-wasm';
import { concatBytes, readUint16BE, uint16BE, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  ClientError,
  type StorageBackend,
  type StorageReader,
  type StorageWriter,
} from '@parley/client';
import type { Primitives } from '@parley/primitives';

/** Numbered schema migrations; append only. */
export const STORE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE kv (ns TEXT NOT NULL, hkey BLOB NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (ns, hkey)) WITHOUT ROWID;`,
];

/** Length of the master key the store's keys are derived from. */
export const MASTER_KEY_BYTES = 32;
const NONCE_BYTES = 24;
const CHECK_PLAINTEXT = utf8Encode('parley client store v1');
const AEAD = 'xchacha20-poly1305';

/** Brings a database to the current schema and sets its durability pragmas. */
export function prepareDatabase(db: Database): void {
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA secure_delete = ON');
  db.exec('PRAGMA journal_mode = TRUNCATE');
  const version = Number(db.selectValue('PRAGMA user_version') ?? 0);
  for (let i = version; i < STORE_MIGRATIONS.length; i++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(STORE_MIGRATIONS[i] ?? '');
      db.exec(`PRAGMA user_version = ${i + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** A value of the `meta` table (the wrapped key, salts), outside the encrypted key–value space. */
export function readMeta(db: Database, name: string): Uint8Array | undefined {
  const stmt = db.prepare('SELECT value FROM meta WHERE name = ?');
  try {
    stmt.bind([name]);
    return stmt.step() ? (stmt.getBlob(0) ?? undefined) : undefined;
  } finally {
    stmt.finalize();
  }
}

export function writeMeta(db: Database, name: string, value: Uint8Array): void {
  db.exec({ sql: 'INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)', bind: [name, value] });
}

/** Whether the database already holds a store (its key check is present). */
export function hasStore(db: Database): boolean {
  return readMeta(db, 'check') !== undefined;
}

/** A namespace read a slice at a time, so a long history is decrypted between other work. */
export interface PagedReader {
  /**
   * Up to `limit` records of `ns` after `after` (in the store's order, by key HMAC: no time
   * order, which would be metadata in the clear), decrypted, and the cursor for the next page
   * (`undefined` at the end).
   */
  page(
    ns: string,
    after: Uint8Array | undefined,
    limit: number,
  ): { rows: (readonly [string, Uint8Array])[]; next: Uint8Array | undefined };
  /** How many records `ns` holds (nothing decrypted). */
  count(ns: string): number;
}

/** Whether a backend reads in pages (the SQLite store does; test backends may not). */
export function isPaged(b: StorageBackend): b is StorageBackend & PagedReader {
  return typeof (b as Partial<PagedReader>).page === 'function';
}

interface Statements {
  readonly get: PreparedStatement;
  readonly list: PreparedStatement;
  readonly page: PreparedStatement;
  readonly put: PreparedStatement;
  readonly del: PreparedStatement;
}

/**
 * Opens the encrypted store in a prepared database under `masterKey` (which it does not keep:
 * the caller zeroes it). A wrong key is `STORE_LOCKED`. `close` closes the database too.
 */
export function openSqliteStore(
  db: Database,
  primitives: Primitives,
  masterKey: Uint8Array,
): StorageBackend & PagedReader {
  const p = primitives;
  if (masterKey.length !== MASTER_KEY_BYTES)
    throw new ClientError('STORE_LOCKED', 'the store key has the wrong length');
  const encKey = p.hkdf('sha256', masterKey, new Uint8Array(0), utf8Encode('parley store enc'), 32);
  const macKey = p.hkdf('sha256', masterKey, new Uint8Array(0), utf8Encode('parley store mac'), 32);
  const aead = p.aead[AEAD];
  const seal = (plaintext: Uint8Array, aad: Uint8Array): Uint8Array => {
    const nonce = p.randomBytes(NONCE_BYTES);
    return concatBytes(nonce, aead.seal(encKey, nonce, plaintext, aad));
  };
  const open = (sealed: Uint8Array, aad: Uint8Array): Uint8Array => {
    try {
      return aead.open(encKey, sealed.subarray(0, NONCE_BYTES), sealed.subarray(NONCE_BYTES), aad);
    } catch (cause) {
      throw new ClientError('STORE_LOCKED', 'the store could not be decrypted', undefined, {
        cause,
      });
    }
  };
  const check = readMeta(db, 'check');
  if (check === undefined) writeMeta(db, 'check', seal(CHECK_PLAINTEXT, utf8Encode('check')));
  else open(check, utf8Encode('check'));

  const hkey = (ns: string, key: string): Uint8Array =>
    p.hmac('sha256', macKey, concatBytes(utf8Encode(ns), Uint8Array.of(0), utf8Encode(key)));
  const aadOf = (ns: string, h: Uint8Array): Uint8Array => concatBytes(utf8Encode(ns), h);
  const decode = (ns: string, h: Uint8Array, value: Uint8Array): readonly [string, Uint8Array] => {
    const plain = open(value, aadOf(ns, h));
    const keyLength = readUint16BE(plain, 0);
    return [utf8Decode(plain.subarray(2, 2 + keyLength)), plain.slice(2 + keyLength)];
  };

  const s: Statements = {
    get: db.prepare('SELECT value FROM kv WHERE ns = ? AND hkey = ?'),
    list: db.prepare('SELECT hkey, value FROM kv WHERE ns = ?'),
    page: db.prepare('SELECT hkey, value FROM kv WHERE ns = ? AND hkey > ? ORDER BY hkey LIMIT ?'),
    put: db.prepare('INSERT OR REPLACE INTO kv (ns, hkey, value) VALUES (?, ?, ?)'),
    del: db.prepare('DELETE FROM kv WHERE ns = ? AND hkey = ?'),
  };
  const run = <T>(stmt: PreparedStatement, bind: (string | Uint8Array)[], fn: () => T): T => {
    try {
      stmt.bind(bind);
      return fn();
    } finally {
      stmt.reset(true);
    }
  };

  const reader: StorageReader = {
    get(ns, key) {
      const h = hkey(ns, key);
      const value = run(s.get, [ns, h], () => (s.get.step() ? s.get.getBlob(0) : null));
      return value === null ? undefined : decode(ns, h, value)[1];
    },
    list(ns) {
      const rows: [Uint8Array, Uint8Array][] = [];
      run(s.list, [ns], () => {
        while (s.list.step())
          rows.push([
            s.list.getBlob(0) ?? new Uint8Array(0),
            s.list.getBlob(1) ?? new Uint8Array(0),
          ]);
      });
      return rows
        .map(([h, v]) => decode(ns, h, v))
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    },
  };
  const writer: StorageWriter = {
    ...reader,
    put(ns, key, value) {
      const h = hkey(ns, key);
      const k = utf8Encode(key);
      const sealed = seal(concatBytes(uint16BE(k.length), k, value), aadOf(ns, h));
      run(s.put, [ns, h, sealed], () => s.put.step());
    },
    delete(ns, key) {
      run(s.del, [ns, hkey(ns, key)], () => s.del.step());
    },
  };
  let inTransaction = false;
  let closed = false;
  return {
    ...reader,
    count(ns) {
      return Number(db.selectValue('SELECT count(*) FROM kv WHERE ns = ?', [ns]) ?? 0);
    },
    page(ns, after, limit) {
      const raw: [Uint8Array, Uint8Array][] = [];
      const stmt = s.page;
      try {
        stmt.bind([ns, after ?? new Uint8Array(0), limit]);
        while (stmt.step())
          raw.push([stmt.getBlob(0) ?? new Uint8Array(0), stmt.getBlob(1) ?? new Uint8Array(0)]);
      } finally {
        stmt.reset(true);
      }
      const last = raw.at(-1);
      return {
        rows: raw.map(([h, v]) => decode(ns, h, v)),
        next: raw.length < limit || last === undefined ? undefined : last[0],
      };
    },
    transact<T>(fn: (w: StorageWriter) => T): T {
      if (inTransaction) throw new Error('transactions do not nest');
      inTransaction = true;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn(writer);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      } finally {
        inTransaction = false;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      encKey.fill(0);
      macKey.fill(0);
      for (const stmt of [s.get, s.list, s.page, s.put, s.del]) stmt.finalize();
      db.close();
    },
  };
}
