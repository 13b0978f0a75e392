/**
 * SQLite storage (better-sqlite3 12.x): one file in the data directory, WAL journal, numbered
 * migrations. Writes go through one connection inside serialised `BEGIN IMMEDIATE` transactions;
 * reads outside transactions use a second connection, so they only ever see committed data.
 * With `synchronous: 'FULL'` (the default) a commit is on disk before `transact` resolves and
 * before any read can see it.
 */
import { closeSync, fdatasync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MAX_GROUP_COMMIT, MAX_WAL_BYTES } from '../limits.js';
import { createCheckpointer } from './sqlite-checkpointer.js';
import { sqliteGroupReaders, sqliteGroupWriters } from './sqlite-groups.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import {
  UsernameTakenError,
  type AccountRecord,
  type AttachmentRecord,
  type DeviceListRecord,
  type DeviceRecord,
  type KeyRecord,
  type ProvisioningRecord,
  type QueuedMessage,
  type Reader,
  type SendRecord,
  type Storage,
  type Writer,
} from './types.js';

type Db = Database.Database;

export interface SqliteStorageOptions {
  /** Directory for `parley.sqlite` (created if missing). */
  readonly dataDir: string;
  /** `FULL` (default) survives power loss; `NORMAL` only process crashes, and is faster. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = 'parley.sqlite';

interface AccountRow {
  account_id: string;
  username: string;
  identity_key: Uint8Array;
  created_at: number;
}
interface DeviceRow {
  account_id: string;
  device_id: number;
  registration_id: number;
  identity_key: Uint8Array;
  secret_hash: Uint8Array;
  created_at: number;
}
interface KeyRow {
  key_id: number;
  public_key: Uint8Array;
  signature: Uint8Array;
}
interface MessageRow {
  seq: number;
  guid: string;
  recipient_account: string;
  recipient_device: number;
  sender_account: string;
  sender_device: number;
  client_message_id: string;
  type: number;
  content: Uint8Array;
  server_timestamp: number;
}
interface ChangesOnly {
  readonly changes: number;
}

const toAccount = (r: AccountRow): AccountRecord => ({
  accountId: r.account_id,
  username: r.username,
  identityKey: r.identity_key,
  createdAt: r.created_at,
});
const toDevice = (r: DeviceRow): DeviceRecord => ({
  accountId: r.account_id,
  deviceId: r.device_id,
  registrationId: r.registration_id,
  identityKey: r.identity_key,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
});
const toKey = (r: KeyRow): KeyRecord => ({
  keyId: r.key_id,
  publicKey: r.public_key,
  signature: r.signature,
});
const toMessage = (r: MessageRow): QueuedMessage => ({
  seq: r.seq,
  guid: r.guid,
  recipientAccountId: r.recipient_account,
  recipientDeviceId: r.recipient_device,
  senderAccountId: r.sender_account,
  senderDeviceId: r.sender_device,
  clientMessageId: r.client_message_id,
  type: r.type,
  content: r.content,
  serverTimestamp: r.server_timestamp,
});

function open(path: string, synchronous: 'FULL' | 'NORMAL'): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

function migrate(db: Db): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Queue pages up to this many rows use a statement with a literal LIMIT (see `queuePage`). */
const LITERAL_LIMIT_MAX = 4096;

/**
 * The queue page query. A bound `LIMIT ?` costs SQLite about four times the whole indexed read
 * here (measured: 15 µs against 4 µs of CPU), so limits up to `LITERAL_LIMIT_MAX` use one of a
 * few statements with a literal power-of-two LIMIT, and the page is cut to size in JS.
 */
function queuePage(db: Db): (a: string, d: number, after: number, limit: number) => MessageRow[] {
  const sql =
    'SELECT * FROM messages WHERE recipient_account = ? AND recipient_device = ? AND seq > ? ORDER BY seq LIMIT';
  const bound = db.prepare<[string, number, number, number], MessageRow>(`${sql} ?`);
  const literal = new Map<number, Database.Statement<[string, number, number], MessageRow>>();
  return (a, d, after, limit) => {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > LITERAL_LIMIT_MAX) {
      return bound.all(a, d, after, limit);
    }
    const bucket = 2 ** Math.ceil(Math.log2(limit));
    let statement = literal.get(bucket);
    if (statement === undefined) {
      statement = db.prepare<[string, number, number], MessageRow>(`${sql} ${bucket}`);
      literal.set(bucket, statement);
    }
    const rows = statement.all(a, d, after);
    return rows.length > limit ? rows.slice(0, limit) : rows;
  };
}

function makeReader(db: Db): Reader {
  const page = queuePage(db);
  const q = {
    accountById: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE account_id = ?'),
    accountByName: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE username = ?'),
    device: db.prepare<[string, number], DeviceRow>(
      'SELECT * FROM devices WHERE account_id = ? AND device_id = ?',
    ),
    devices: db.prepare<[string], DeviceRow>(
      'SELECT * FROM devices WHERE account_id = ? ORDER BY device_id',
    ),
    deviceList: db.prepare<[string], { version: number; blob: Uint8Array }>(
      'SELECT version, blob FROM device_lists WHERE account_id = ?',
    ),
    signed: db.prepare<[string, number, string], KeyRow>(
      'SELECT key_id, public_key, signature FROM signed_keys WHERE account_id = ? AND device_id = ? AND kind = ?',
    ),
    count: db.prepare<[string, number, string], { n: number }>(
      'SELECT count(*) AS n FROM one_time_keys WHERE account_id = ? AND device_id = ? AND kind = ?',
    ),
    depth: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM messages WHERE recipient_account = ? AND recipient_device = ?',
    ),
    total: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM messages'),
    send: db.prepare<[string, number, string], { server_timestamp: number }>(
      'SELECT server_timestamp FROM sends WHERE sender_account = ? AND sender_device = ? AND client_message_id = ?',
    ),
    provisioning: db.prepare<
      [string, number],
      { ciphertext: Uint8Array | null; expires_at: number }
    >('SELECT ciphertext, expires_at FROM provisioning WHERE channel_id = ? AND expires_at > ?'),
    attachment: db.prepare<[string, number], { bytes: Uint8Array; expires_at: number }>(
      'SELECT bytes, expires_at FROM attachments WHERE attachment_id = ? AND expires_at > ?',
    ),
  };
  return {
    accounts: {
      byId: (id) => Promise.resolve(map(q.accountById.get(id), toAccount)),
      byUsername: (u) => Promise.resolve(map(q.accountByName.get(u.toLowerCase()), toAccount)),
    },
    devices: {
      get: (a, d) => Promise.resolve(map(q.device.get(a, d), toDevice)),
      list: (a) => Promise.resolve(q.devices.all(a).map(toDevice)),
    },
    deviceLists: {
      get: (a) =>
        Promise.resolve(
          map(q.deviceList.get(a), (r): DeviceListRecord => ({
            accountId: a,
            version: r.version,
            blob: r.blob,
          })),
        ),
    },
    keys: {
      signed: (a, d, kind) => Promise.resolve(map(q.signed.get(a, d, kind), toKey)),
      count: (a, d, kind) => Promise.resolve(q.count.get(a, d, kind)?.n ?? 0),
    },
    messages: {
      list: (a, d, after, limit) => Promise.resolve(page(a, d, after, limit).map(toMessage)),
      depth: (a, d) => Promise.resolve(q.depth.get(a, d)?.n ?? 0),
      total: () => Promise.resolve(q.total.get()?.n ?? 0),
      findSend: (a, d, id) =>
        Promise.resolve(
          map(q.send.get(a, d, id), (r): SendRecord => ({
            senderAccountId: a,
            senderDeviceId: d,
            clientMessageId: id,
            serverTimestamp: r.server_timestamp,
          })),
        ),
    },
    provisioning: {
      get: (id, now) =>
        Promise.resolve(
          map(q.provisioning.get(id, now), (r): ProvisioningRecord => ({
            channelId: id,
            ciphertext: r.ciphertext,
            expiresAt: r.expires_at,
          })),
        ),
    },
    attachments: {
      get: (id, now) =>
        Promise.resolve(
          map(q.attachment.get(id, now), (r): AttachmentRecord => ({
            attachmentId: id,
            bytes: r.bytes,
            expiresAt: r.expires_at,
          })),
        ),
    },
    ...sqliteGroupReaders(db),
  };
}

function map<R, T>(row: R | undefined, f: (r: R) => T): T | undefined {
  return row === undefined ? undefined : f(row);
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

function makeWriter(db: Db): Writer {
  const r = makeReader(db);
  const w = {
    insertAccount: db.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?)'),
    setAccountKey: db.prepare<[Uint8Array, string]>(
      'UPDATE accounts SET identity_key = ? WHERE account_id = ?',
    ),
    deleteAccount: db.prepare<[string], ChangesOnly>('DELETE FROM accounts WHERE account_id = ?'),
    // Messages for the account's devices go with the devices (foreign key cascade).
    insertDevice: db.prepare('INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?)'),
    deleteDevice: db.prepare('DELETE FROM devices WHERE account_id = ? AND device_id = ?'),
    putDeviceList: db.prepare(
      'INSERT INTO device_lists VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET version = excluded.version, blob = excluded.blob',
    ),
    setSigned: db.prepare('INSERT OR REPLACE INTO signed_keys VALUES (?, ?, ?, ?, ?, ?)'),
    addOneTime: db.prepare('INSERT OR REPLACE INTO one_time_keys VALUES (?, ?, ?, ?, ?, ?)'),
    takeOneTime: db.prepare<[string, number, string], KeyRow>(
      `DELETE FROM one_time_keys WHERE rowid = (
         SELECT rowid FROM one_time_keys WHERE account_id = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1
       ) RETURNING key_id, public_key, signature`,
    ),
    enqueue: db.prepare(
      `INSERT INTO messages (guid, recipient_account, recipient_device, sender_account, sender_device,
         client_message_id, type, content, server_timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    recordSend: db.prepare('INSERT OR REPLACE INTO sends VALUES (?, ?, ?, ?)'),
    deleteMessage: db.prepare(
      'DELETE FROM messages WHERE recipient_account = ? AND recipient_device = ? AND guid = ?',
    ),
    deleteOld: db.prepare(
      'DELETE FROM messages WHERE seq IN (SELECT seq FROM messages WHERE server_timestamp < ? LIMIT ?)',
    ),
    deleteOldSends: db.prepare(
      'DELETE FROM sends WHERE rowid IN (SELECT rowid FROM sends WHERE server_timestamp < ? LIMIT ?)',
    ),
    putToken: db.prepare('INSERT OR REPLACE INTO link_tokens VALUES (?, ?, ?)'),
    takeToken: db.prepare<[string], { account_id: string; expires_at: number }>(
      'DELETE FROM link_tokens WHERE token_hash = ? RETURNING account_id, expires_at',
    ),
    expireTokens: db.prepare(
      'DELETE FROM link_tokens WHERE rowid IN (SELECT rowid FROM link_tokens WHERE expires_at <= ? LIMIT ?)',
    ),
    openChannel: db.prepare('INSERT OR REPLACE INTO provisioning VALUES (?, ?, ?)'),
    deliver: db.prepare(
      'UPDATE provisioning SET ciphertext = ? WHERE channel_id = ? AND expires_at > ?',
    ),
    closeChannel: db.prepare('DELETE FROM provisioning WHERE channel_id = ?'),
    expireChannels: db.prepare(
      'DELETE FROM provisioning WHERE rowid IN (SELECT rowid FROM provisioning WHERE expires_at <= ? LIMIT ?)',
    ),
    putAttachment: db.prepare(
      'INSERT INTO attachments (attachment_id, bytes, expires_at, owner_account) VALUES (?, ?, ?, ?)',
    ),
    expireAttachments: db.prepare(
      'DELETE FROM attachments WHERE rowid IN (SELECT rowid FROM attachments WHERE expires_at <= ? LIMIT ?)',
    ),
  };
  const done = (): Promise<void> => Promise.resolve();
  return {
    accounts: {
      ...r.accounts,
      create: (a) => {
        try {
          w.insertAccount.run(a.accountId, a.username, a.identityKey, a.createdAt);
        } catch (error) {
          if (isUniqueViolation(error)) return Promise.reject(new UsernameTakenError());
          throw error;
        }
        return done();
      },
      setIdentityKey: (id, key) => {
        w.setAccountKey.run(key, id);
        return done();
      },
      delete: (id) => {
        w.deleteAccount.run(id);
        return done();
      },
    },
    devices: {
      ...r.devices,
      add: (d) => {
        w.insertDevice.run(
          d.accountId,
          d.deviceId,
          d.registrationId,
          d.identityKey,
          d.secretHash,
          d.createdAt,
        );
        return done();
      },
      remove: (a, d) => {
        w.deleteDevice.run(a, d);
        return done();
      },
    },
    deviceLists: {
      ...r.deviceLists,
      put: (l) => {
        w.putDeviceList.run(l.accountId, l.version, l.blob);
        return done();
      },
    },
    keys: {
      ...r.keys,
      setSigned: (a, d, kind, k) => {
        w.setSigned.run(a, d, kind, k.keyId, k.publicKey, k.signature);
        return done();
      },
      addOneTime: (a, d, kind, keys) => {
        for (const k of keys) w.addOneTime.run(a, d, kind, k.keyId, k.publicKey, k.signature);
        return done();
      },
      takeOneTime: (a, d, kind) => Promise.resolve(map(w.takeOneTime.get(a, d, kind), toKey)),
    },
    messages: {
      ...r.messages,
      enqueue: (m) => {
        const info = w.enqueue.run(
          m.guid,
          m.recipientAccountId,
          m.recipientDeviceId,
          m.senderAccountId,
          m.senderDeviceId,
          m.clientMessageId,
          m.type,
          m.content,
          m.serverTimestamp,
        );
        return Promise.resolve(Number(info.lastInsertRowid));
      },
      recordSend: (s) => {
        w.recordSend.run(s.senderAccountId, s.senderDeviceId, s.clientMessageId, s.serverTimestamp);
        return done();
      },
      delete: (a, d, guids) => {
        let n = 0;
        for (const g of guids) n += w.deleteMessage.run(a, d, g).changes;
        return Promise.resolve(n);
      },
      deleteOlderThan: (before, limit) => Promise.resolve(w.deleteOld.run(before, limit).changes),
      deleteSendsOlderThan: (before, limit) =>
        Promise.resolve(w.deleteOldSends.run(before, limit).changes),
    },
    linkTokens: {
      put: (t) => {
        w.putToken.run(t.tokenHash, t.accountId, t.expiresAt);
        return done();
      },
      take: (hash, now) => {
        const row = w.takeToken.get(hash);
        return Promise.resolve(
          row !== undefined && row.expires_at > now
            ? { tokenHash: hash, accountId: row.account_id, expiresAt: row.expires_at }
            : undefined,
        );
      },
      deleteExpired: (now, limit) => Promise.resolve(w.expireTokens.run(now, limit).changes),
    },
    provisioning: {
      ...r.provisioning,
      open: (p) => {
        w.openChannel.run(p.channelId, p.ciphertext, p.expiresAt);
        return done();
      },
      deliver: (id, ciphertext, now) =>
        Promise.resolve(w.deliver.run(ciphertext, id, now).changes > 0),
      close: (id) => {
        w.closeChannel.run(id);
        return done();
      },
      deleteExpired: (now, limit) => Promise.resolve(w.expireChannels.run(now, limit).changes),
    },
    attachments: {
      ...r.attachments,
      put: (a, owner) => {
        w.putAttachment.run(a.attachmentId, a.bytes, a.expiresAt, owner);
        return done();
      },
      deleteExpired: (now, limit) => Promise.resolve(w.expireAttachments.run(now, limit).changes),
    },
    ...sqliteGroupWriters(db),
  };
}

interface PendingTransaction {
  readonly fn: (writer: Writer) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

type Read = (reader: Reader) => Promise<unknown>;

/**
 * Reads that need not wait for a running sync: authentication looks up the device record on
 * every request and socket. A device whose creation is not yet on disk can at worst be used for
 * the few milliseconds of the sync by the client that chose its secret; nothing it reads then is
 * unsynced, since its other reads still wait.
 */
const NO_SYNC_WAIT: ReadonlySet<string> = new Set(['devices.get']);

/**
 * A `Reader` whose every method goes through `route`, which picks the connection and the moment
 * (see `openSqliteStorage`).
 */
function routedReader(
  shape: Reader,
  route: (read: Read, waitForSync: boolean) => Promise<unknown>,
): Reader {
  const routed: Record<string, Record<string, unknown>> = {};
  for (const [kind, methods] of Object.entries(shape)) {
    const wrapped: Record<string, unknown> = {};
    for (const name of Object.keys(methods as object)) {
      const waitForSync = !NO_SYNC_WAIT.has(`${kind}.${name}`);
      wrapped[name] = (...args: unknown[]) =>
        route((reader) => {
          const methods = (
            reader as unknown as Record<
              string,
              Record<string, (...a: unknown[]) => Promise<unknown>>
            >
          )[kind];
          const method = methods?.[name];
          if (method === undefined) throw new Error(`no reader method ${kind}.${name}`);
          return method(...args);
        }, waitForSync);
    }
    routed[kind] = wrapped;
  }
  return routed as unknown as Reader;
}

/**
 * Opens (creating and migrating if needed) the SQLite storage in `options.dataDir`.
 *
 * Group commit: transactions requested while the previous batch was being written run one after
 * another inside a single SQLite transaction (at most `MAX_GROUP_COMMIT`, collected for one turn
 * of the event loop), each in its own savepoint (so one that throws is rolled back alone), and
 * all settle after the one COMMIT is durable.
 *
 * Durability off the event loop: the connections run with `synchronous = NORMAL` (COMMIT writes
 * the WAL without syncing it) and, with `synchronous: 'FULL'` (the default), the storage then
 * syncs the WAL file with `fdatasync` on libuv's thread pool. A transaction settles only after
 * that sync, so its caller learns of success only once its writes are on disk, as with SQLite's
 * own FULL; meanwhile the event loop keeps serving sockets and collecting the next batch, which
 * begins once the sync is done, so at most one commit is ever unsynced.
 *
 * Reads never see what is not durable, nor what is not committed: between a COMMIT and its sync,
 * reads wait for the sync (a message is never pushed before it is on disk). Otherwise they go to
 * the writing connection, whose page cache stays warm (a second connection loses its cache at
 * every commit of the first), inside one read transaction per turn of the event loop, or, while
 * a batch is open on that connection, to a second connection that sees only committed data.
 * One process owns a data directory.
 */
export function openSqliteStorage(options: SqliteStorageOptions): Storage {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, SQLITE_FILE_NAME);
  const syncWal = (options.synchronous ?? 'FULL') === 'FULL';
  const writeDb = open(path, 'NORMAL');
  migrate(writeDb);
  writeDb.pragma('wal_autocheckpoint = 0');
  const checkpointer = createCheckpointer(path);
  const readDb = open(path, 'NORMAL');
  const writer = makeWriter(writeDb);
  const warmReader = makeReader(writeDb);
  const committedReader = makeReader(readDb);
  const control = {
    begin: writeDb.prepare('BEGIN IMMEDIATE'),
    commit: writeDb.prepare('COMMIT'),
    savepoint: writeDb.prepare('SAVEPOINT parley_tx'),
    release: writeDb.prepare('RELEASE parley_tx'),
    rollbackTo: writeDb.prepare('ROLLBACK TO parley_tx'),
    readBegin: writeDb.prepare('BEGIN'),
    readEnd: writeDb.prepare('COMMIT'),
  };
  const pending: PendingTransaction[] = [];
  let running = false;
  let closed = false;
  let idle: (() => void) | undefined;
  let walFd: number | undefined;

  /** A batch is between BEGIN and COMMIT on the writing connection. */
  let batchOpen = false;
  /** The sync of the last COMMIT, while it runs (it never rejects). */
  let syncing: Promise<void> | undefined;
  /** Reads waiting for `syncing`. */
  let held: (() => void)[] = [];

  let readTransaction = false;
  const endReadTransaction = (): void => {
    if (!readTransaction) return;
    readTransaction = false;
    control.readEnd.run();
  };
  const read = (run: Read): Promise<unknown> => {
    if (batchOpen) return run(committedReader);
    if (!readTransaction) {
      readTransaction = true;
      control.readBegin.run();
      setImmediate(endReadTransaction);
    }
    return run(warmReader);
  };
  const route = (run: Read, waitForSync: boolean): Promise<unknown> => {
    if (syncing === undefined || !waitForSync) return read(run);
    return new Promise((resolve, reject) => {
      held.push(() => {
        read(run).then(resolve, reject);
      });
    });
  };

  const fsyncWal = (fd: number): Promise<void> =>
    new Promise((resolve, reject) => {
      fdatasync(fd, (error) => {
        if (error === null) resolve();
        else reject(error);
      });
    });

  const settle = (batch: readonly PendingTransaction[], outcomes: Outcome[], failure?: unknown) => {
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (failure !== undefined) item.reject(failure);
      else if (outcome === undefined) item.reject(new Error('transaction lost'));
      else if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  };

  /** Starts the sync of the COMMIT just written; settles the batch and releases reads after it. */
  const startSync = (
    fd: number,
    batch: readonly PendingTransaction[],
    outcomes: Outcome[],
  ): void => {
    syncing = fsyncWal(fd).then(
      () => {
        syncing = undefined;
        const reads = held;
        held = [];
        for (const run of reads) run();
        settle(batch, outcomes);
      },
      (error: unknown) => {
        syncing = undefined;
        const reads = held;
        held = [];
        for (const run of reads) run();
        settle(batch, outcomes, error);
      },
    );
  };

  const runBatch = async (): Promise<void> => {
    const batch = pending.splice(0, MAX_GROUP_COMMIT);
    const outcomes: Outcome[] = [];
    try {
      endReadTransaction();
      if (walFd !== undefined && fstatSync(walFd).size > MAX_WAL_BYTES) {
        writeDb.pragma('wal_checkpoint(TRUNCATE)');
      }
      control.begin.run();
      batchOpen = true;
      for (const item of batch) {
        control.savepoint.run();
        try {
          const value = await item.fn(writer);
          control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          control.rollbackTo.run();
          control.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      // At most one unsynced COMMIT: reads waiting for it must not see this one.
      if (syncing !== undefined) await syncing;
      control.commit.run();
      batchOpen = false;
      walFd ??= openSync(`${path}-wal`, 'r');
      checkpointer.committed();
    } catch (error) {
      batchOpen = false;
      if (writeDb.inTransaction) writeDb.exec('ROLLBACK');
      settle(batch, outcomes, error);
      return;
    }
    if (syncWal) startSync(walFd, batch, outcomes);
    else settle(batch, outcomes);
  };

  const runBatches = async (): Promise<void> => {
    await runBatch();
    // The next batch waits for this one's sync: while a batch is open, reads cannot use the
    // writing connection (its cache is the warm one), and what this batch settles (answers,
    // pushes, their reads) runs first. The event loop serves sockets meanwhile.
    if (syncing !== undefined) await syncing;
    if (pending.length > 0) {
      // The next batch starts in the next turn, so whatever arrives meanwhile joins it.
      setImmediate(() => {
        void runBatches();
      });
      return;
    }
    running = false;
    idle?.();
  };

  const schedule = (): void => {
    if (running) return;
    running = true;
    // Let every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      void runBatches();
    });
  };

  return {
    kind: 'sqlite',
    reader: routedReader(warmReader, route),
    transact: <T>(fn: (writer: Writer) => Promise<T>): Promise<T> => {
      if (closed) return Promise.reject(new Error('storage closed'));
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        schedule();
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (running) {
        await new Promise<void>((resolve) => {
          idle = resolve;
        });
      }
      if (syncing !== undefined) await syncing;
      await checkpointer.close();
      endReadTransaction();
      if (walFd !== undefined) closeSync(walFd);
      readDb.close();
      writeDb.close();
    },
  };
}
