/**
 * The SQLite storage backend (better-sqlite3), encrypted at rest. Every value is sealed with
 * XChaCha20-Poly1305 under a key derived from a passphrase (scrypt, salt in the database) or
 * read from a key file that only its owner can read; every key name is replaced by its HMAC,
 * so the file shows namespaces and counts but no identifiers. A wrong passphrase or key file
 * is `STORE_LOCKED`. Migrations are numbered and never edited.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { concatBytes, readUint16BE, uint16BE, utf8Decode, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import { ClientError } from './errors.js';
import { SCRYPT_MAXMEM, SCRYPT_N, SCRYPT_P, SCRYPT_R } from './limits.js';
import type { StorageBackend, StorageReader, StorageWriter } from './storage.js';

/** Numbered schema migrations; append only. */
export const SQLITE_CLIENT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE kv (ns TEXT NOT NULL, hkey BLOB NOT NULL, value BLOB NOT NULL,
                    PRIMARY KEY (ns, hkey)) WITHOUT ROWID;`,
];

const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const SALT_BYTES = 16;
const CHECK_PLAINTEXT = utf8Encode('parley client store v1');
const AEAD = 'xchacha20-poly1305';

/** Where the at-rest key comes from. */
export type StoreSecret =
  | { readonly passphrase: string }
  /** A 32-byte key file, created with mode 0600 if absent; refused if others can read it. */
  | { readonly keyFile: string };

export interface SqliteBackendOptions {
  readonly path: string;
  readonly primitives: Primitives;
  readonly secret: StoreSecret;
}

function readKeyFile(path: string): Uint8Array {
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new ClientError('STORE_LOCKED', 'the key file is readable by others; chmod 600 it');
  }
  const key = new Uint8Array(readFileSync(path));
  if (key.length !== KEY_BYTES) throw new ClientError('STORE_LOCKED', 'the key file is damaged');
  return key;
}

interface Row {
  hkey: Buffer;
  value: Buffer;
}

/** Opens (creating if needed) an encrypted client store at `path`. */
export function openSqliteBackend(options: SqliteBackendOptions): StorageBackend {
  const { primitives: p } = options;
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Deleted records (expired, deleted for everyone) are overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    const version = Number(db.pragma('user_version', { simple: true }));
    for (let i = version; i < SQLITE_CLIENT_MIGRATIONS.length; i++) {
      db.transaction(() => {
        db.exec(SQLITE_CLIENT_MIGRATIONS[i] ?? '');
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    const meta = (name: string): Uint8Array | undefined => {
      const row = db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as
        { value: Buffer } | undefined;
      return row && new Uint8Array(row.value);
    };
    const setMeta = (name: string, value: Uint8Array): void => {
      db.prepare('INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)').run(name, value);
    };
    let master: Uint8Array;
    if ('passphrase' in options.secret) {
      let salt = meta('salt');
      if (salt === undefined) {
        salt = new Uint8Array(randomBytes(SALT_BYTES));
        setMeta('salt', salt);
      }
      master = new Uint8Array(
        scryptSync(options.secret.passphrase, salt, KEY_BYTES, {
          N: SCRYPT_N,
          r: SCRYPT_R,
          p: SCRYPT_P,
          maxmem: SCRYPT_MAXMEM,
        }),
      );
    } else {
      master = readKeyFile(options.secret.keyFile);
    }
    const encKey = p.hkdf('sha256', master, new Uint8Array(0), utf8Encode('parley store enc'), 32);
    const macKey = p.hkdf('sha256', master, new Uint8Array(0), utf8Encode('parley store mac'), 32);
    master.fill(0);
    const aead = p.aead[AEAD];
    const seal = (plaintext: Uint8Array, aad: Uint8Array): Uint8Array => {
      const nonce = p.randomBytes(NONCE_BYTES);
      return concatBytes(nonce, aead.seal(encKey, nonce, plaintext, aad));
    };
    const open = (sealed: Uint8Array, aad: Uint8Array): Uint8Array => {
      try {
        return aead.open(
          encKey,
          sealed.subarray(0, NONCE_BYTES),
          sealed.subarray(NONCE_BYTES),
          aad,
        );
      } catch (cause) {
        throw new ClientError('STORE_LOCKED', 'the store could not be decrypted', undefined, {
          cause,
        });
      }
    };
    const check = meta('check');
    if (check === undefined) setMeta('check', seal(CHECK_PLAINTEXT, utf8Encode('check')));
    else open(check, utf8Encode('check'));

    const hkey = (ns: string, key: string): Uint8Array =>
      p.hmac('sha256', macKey, concatBytes(utf8Encode(ns), Uint8Array.of(0), utf8Encode(key)));
    const aadOf = (ns: string, h: Uint8Array): Uint8Array => concatBytes(utf8Encode(ns), h);
    const decode = (ns: string, row: Row): readonly [string, Uint8Array] => {
      const plain = open(new Uint8Array(row.value), aadOf(ns, new Uint8Array(row.hkey)));
      const keyLength = readUint16BE(plain, 0);
      return [utf8Decode(plain.subarray(2, 2 + keyLength)), plain.slice(2 + keyLength)];
    };
    const getStmt = db.prepare('SELECT hkey, value FROM kv WHERE ns = ? AND hkey = ?');
    const listStmt = db.prepare('SELECT hkey, value FROM kv WHERE ns = ?');
    const putStmt = db.prepare('INSERT OR REPLACE INTO kv (ns, hkey, value) VALUES (?, ?, ?)');
    const delStmt = db.prepare('DELETE FROM kv WHERE ns = ? AND hkey = ?');

    const reader: StorageReader = {
      get(ns, key) {
        const row = getStmt.get(ns, hkey(ns, key)) as Row | undefined;
        return row && decode(ns, row)[1];
      },
      list(ns) {
        return (listStmt.all(ns) as Row[])
          .map((row) => decode(ns, row))
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      },
    };
    const writer: StorageWriter = {
      ...reader,
      put(ns, key, value) {
        const h = hkey(ns, key);
        const k = utf8Encode(key);
        putStmt.run(ns, h, seal(concatBytes(uint16BE(k.length), k, value), aadOf(ns, h)));
      },
      delete(ns, key) {
        delStmt.run(ns, hkey(ns, key));
      },
    };
    return {
      ...reader,
      transact<T>(fn: (w: StorageWriter) => T): T {
        return db.transaction(() => fn(writer)).immediate();
      },
      close() {
        encKey.fill(0);
        macKey.fill(0);
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
