/**
 * SQLite storage (better-sqlite3 12.x): one file in the data directory, WAL journal, numbered
 * migrations. Writes go through one connection, group-committed by window (`sqlite-commit.ts`);
 * with `synchronous: 'FULL'` (the default) a durable transaction is on disk before `transact`
 * resolves and before any read can see it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GROUP_COMMIT_MAX_BATCH, GROUP_COMMIT_WINDOW_MS } from '../limits.js';
import { createCheckpointer } from './sqlite-checkpointer.js';
import {
  createCommitter,
  type GroupCommitOptions,
  type Read,
  type WriteFlag,
} from './sqlite-commit.js';
import {
  toAccount,
  toDevice,
  toKey,
  type AccountRow,
  type DeviceRow,
  type KeyRow,
} from './rows.js';
import { sqliteGroupReaders, sqliteGroupWriters } from './sqlite-groups.js';
import { sqliteProfileReader, sqliteProfileWriter } from './sqlite-profiles.js';
import { queueEpoch, sqliteMessageReader, sqliteMessageWriter } from './sqlite-messages.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { QueueDepths, type DeviceEntry } from './sqlite-queue-depths.js';
import {
  UsernameTakenError,
  type AttachmentRecord,
  type DeviceListRecord,
  type DeviceRoute,
  type ProvisioningRecord,
  type Reader,
  type Storage,
  type TransactOptions,
  type Writer,
} from './types.js';

type Db = Database.Database;

export interface SqliteStorageOptions {
  /** Directory for `parley.sqlite` (created if missing). */
  readonly dataDir: string;
  /** `FULL` (default) survives power loss; `NORMAL` only process crashes, and is faster. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * When a group commit is flushed (default `GROUP_COMMIT_MAX_BATCH` transactions or
   * `GROUP_COMMIT_WINDOW_MS` after the first, whichever comes first).
   */
  readonly groupCommit?: Partial<GroupCommitOptions>;
}

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = 'parley.sqlite';

interface ChangesOnly {
  readonly changes: number;
}

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

function makeReader(db: Db, epoch: string): Reader {
  const q = {
    accountById: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE account_id = ?'),
    accountByName: db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE username = ?'),
    device: db.prepare<[string, number], DeviceRow>(
      'SELECT * FROM devices WHERE account_id = ? AND device_id = ?',
    ),
    devices: db.prepare<[string], DeviceRow>(
      'SELECT * FROM devices WHERE account_id = ? ORDER BY device_id',
    ),
    routes: db
      .prepare<[string], [number, number, number]>(
        `SELECT d.device_id, d.registration_id,
           (SELECT count(*) FROM messages m
             WHERE m.recipient_account = d.account_id AND m.recipient_device = d.device_id)
         FROM devices d WHERE d.account_id = ? ORDER BY d.device_id`,
      )
      .raw(),
    deviceList: db.prepare<[string], { version: number; blob: Uint8Array }>(
      'SELECT version, blob FROM device_lists WHERE account_id = ?',
    ),
    signed: db.prepare<[string, number, string], KeyRow>(
      'SELECT key_id, public_key, signature FROM signed_keys WHERE account_id = ? AND device_id = ? AND kind = ?',
    ),
    count: db.prepare<[string, number, string], { n: number }>(
      'SELECT count(*) AS n FROM one_time_keys WHERE account_id = ? AND device_id = ? AND kind = ?',
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
      routes: (a) =>
        Promise.resolve(
          q.routes.all(a).map(([deviceId, registrationId, queueDepth]) => ({
            deviceId,
            registrationId,
            queueDepth,
          })),
        ),
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
    messages: sqliteMessageReader(db, epoch),
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
    profiles: sqliteProfileReader(db),
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

/** The writer; `depths` holds the queue depths its `routes` and `messages.depth` answer. */
function makeWriter(db: Db, epoch: string, depths: QueueDepths): Writer {
  const r = makeReader(db, epoch);
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
      // Devices and depths from memory (`QueueDepths`): no statement per send.
      routes: (a) => {
        const rows = depths.devices(a);
        const out = new Array<DeviceRoute>(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const [deviceId, registrationId] = rows[i] as DeviceEntry;
          out[i] = { deviceId, registrationId, queueDepth: depths.get(a, deviceId) };
        }
        return Promise.resolve(out);
      },
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
    messages: sqliteMessageWriter(db, epoch, depths),
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
    profiles: sqliteProfileWriter(db),
  };
}

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
 * Writes that keep `QueueDepths` right by themselves (they update it) or leave `messages` alone;
 * every other write forgets the depths (account and device removals cascade to queues, the
 * sweeps delete from them).
 */
const DEPTH_KEEPING_WRITES: ReadonlySet<string> = new Set([
  'messages.enqueue',
  'messages.delete',
  'messages.deleteUpTo',
  'messages.claimSend',
  'messages.recordSend',
  'messages.deleteSendsOlderThan',
]);

/**
 * `writer` with every method that is not a read (not in `reader`) setting `flag.wrote`, so the
 * committer knows whether a transaction that threw left anything to undo, and forgetting the
 * queue depths unless it keeps them (`DEPTH_KEEPING_WRITES`).
 */
function trackWrites(writer: Writer, reader: Reader, flag: WriteFlag, depths: QueueDepths): Writer {
  const tracked: Record<string, Record<string, unknown>> = {};
  for (const [kind, methods] of Object.entries(writer)) {
    const reads = new Set(Object.keys((reader as unknown as Record<string, object>)[kind] ?? {}));
    const wrapped: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(methods as Record<string, unknown>)) {
      const f = method as (...a: unknown[]) => unknown;
      wrapped[name] = reads.has(name)
        ? f
        : DEPTH_KEEPING_WRITES.has(`${kind}.${name}`)
          ? (...args: unknown[]) => {
              flag.wrote = true;
              return f(...args);
            }
          : (...args: unknown[]) => {
              flag.wrote = true;
              depths.forget();
              return f(...args);
            };
    }
    tracked[kind] = wrapped;
  }
  return tracked as unknown as Writer;
}

/**
 * Opens (creating and migrating if needed) the SQLite storage in `options.dataDir`.
 *
 * The connections run with `synchronous = NORMAL` (COMMIT writes the WAL without syncing it);
 * with `synchronous: 'FULL'` (the default) the committer syncs the WAL itself, off the event
 * loop, before durable transactions settle (`sqlite-commit.ts`). Automatic checkpoints are off;
 * a worker thread runs them (`sqlite-checkpointer.ts`). One process owns a data directory.
 */
export function openSqliteStorage(options: SqliteStorageOptions): Storage {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, SQLITE_FILE_NAME);
  const writeDb = open(path, 'NORMAL');
  migrate(writeDb);
  writeDb.pragma('wal_autocheckpoint = 0');
  const epoch = queueEpoch(writeDb);
  const checkpointer = createCheckpointer(path);
  const readDb = open(path, 'NORMAL');
  const warmReader = makeReader(writeDb, epoch);
  const writeFlag: WriteFlag = { wrote: false };
  const depthCount = writeDb
    .prepare<[string, number], number>(
      'SELECT count(*) FROM messages WHERE recipient_account = ? AND recipient_device = ?',
    )
    .pluck();
  const deviceList = writeDb
    .prepare<[string], [number, number]>(
      'SELECT device_id, registration_id FROM devices WHERE account_id = ? ORDER BY device_id',
    )
    .raw();
  const depths = new QueueDepths(
    (a, d) => depthCount.get(a, d) ?? 0,
    (a) => deviceList.all(a),
  );
  const committer = createCommitter({
    writeDb,
    writeFlag,
    walPath: `${path}-wal`,
    writer: trackWrites(makeWriter(writeDb, epoch, depths), warmReader, writeFlag, depths),
    rolledBack: () => {
      depths.forget();
    },
    warmReader,
    committedReader: makeReader(readDb, epoch),
    syncWal: (options.synchronous ?? 'FULL') === 'FULL',
    options: {
      maxBatch: options.groupCommit?.maxBatch ?? GROUP_COMMIT_MAX_BATCH,
      windowMs: options.groupCommit?.windowMs ?? GROUP_COMMIT_WINDOW_MS,
    },
    committed: () => {
      checkpointer.committed();
    },
  });
  let closed = false;
  return {
    kind: 'sqlite',
    reader: routedReader(warmReader, (run, wait) => committer.route(run, wait)),
    transact: <T>(fn: (writer: Writer) => Promise<T>, opts?: TransactOptions): Promise<T> =>
      closed
        ? Promise.reject(new Error('storage closed'))
        : committer.transact(fn, opts?.durable ?? true),
    close: async () => {
      if (closed) return;
      closed = true;
      await committer.close();
      await checkpointer.close();
      readDb.close();
      writeDb.close();
    },
  };
}
