/**
 * The SQLite backend's MLS KeyPackages and groups (tables of migration 2; the delivery token
 * hash, migration 7). One commit per epoch
 * is enforced twice: `advance` moves the epoch only from the expected value, and the log's
 * primary key is (group, epoch).
 */
import type Database from 'better-sqlite3';
import {
  GroupExistsError,
  sortMembers,
  tokenHashes,
  type GroupMemberRecord,
  type GroupReader,
  type GroupWriter,
  type MlsKeyPackageReader,
  type MlsKeyPackageWriter,
} from './group-types.js';
import { toHandshake, type HandshakeRow } from './rows.js';

type Db = Database.Database;

export function sqliteGroupReaders(db: Db): {
  readonly mlsKeyPackages: MlsKeyPackageReader;
  readonly groups: GroupReader;
} {
  const q = {
    count: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM mls_key_packages WHERE account_id = ? AND device_id = ?',
    ),
    lastResort: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM mls_last_resort_key_packages WHERE account_id = ? AND device_id = ?',
    ),
    group: db.prepare<
      [string],
      {
        epoch: number;
        created_at: number;
        delivery_token_hash: Uint8Array | null;
        previous_token_hash: Uint8Array | null;
      }
    >(
      'SELECT epoch, created_at, delivery_token_hash, previous_token_hash FROM groups WHERE group_id = ?',
    ),
    members: db.prepare<[string], { account_id: string; device_id: number }>(
      'SELECT account_id, device_id FROM group_members WHERE group_id = ? ORDER BY account_id, device_id',
    ),
    handshakes: db.prepare<[string, number, number], HandshakeRow>(
      'SELECT * FROM group_handshakes WHERE group_id = ? AND epoch >= ? ORDER BY epoch LIMIT ?',
    ),
  };
  return {
    mlsKeyPackages: {
      count: (a, d) => Promise.resolve(q.count.get(a, d)?.n ?? 0),
      hasLastResort: (a, d) => Promise.resolve((q.lastResort.get(a, d)?.n ?? 0) > 0),
    },
    groups: {
      get: (groupId) => {
        const row = q.group.get(groupId);
        if (row === undefined) return Promise.resolve(undefined);
        const members = q.members
          .all(groupId)
          .map((m) => ({ accountId: m.account_id, deviceId: m.device_id }));
        return Promise.resolve({
          groupId,
          epoch: row.epoch,
          members,
          createdAt: row.created_at,
          ...tokenHashes(row.delivery_token_hash, row.previous_token_hash),
        });
      },
      handshakes: (groupId, fromEpoch, limit) =>
        Promise.resolve(q.handshakes.all(groupId, fromEpoch, limit).map(toHandshake)),
    },
  };
}

export function sqliteGroupWriters(db: Db): {
  readonly mlsKeyPackages: MlsKeyPackageWriter;
  readonly groups: GroupWriter;
} {
  const r = sqliteGroupReaders(db);
  const w = {
    addKeyPackage: db.prepare(
      'INSERT INTO mls_key_packages (account_id, device_id, key_package) VALUES (?, ?, ?)',
    ),
    setLastResort: db.prepare(
      'INSERT OR REPLACE INTO mls_last_resort_key_packages VALUES (?, ?, ?)',
    ),
    takeKeyPackage: db.prepare<[string, number], { key_package: Uint8Array }>(
      `DELETE FROM mls_key_packages WHERE seq = (
         SELECT seq FROM mls_key_packages WHERE account_id = ? AND device_id = ? ORDER BY seq LIMIT 1
       ) RETURNING key_package`,
    ),
    lastResort: db.prepare<[string, number], { key_package: Uint8Array }>(
      'SELECT key_package FROM mls_last_resort_key_packages WHERE account_id = ? AND device_id = ?',
    ),
    insertGroup: db.prepare(
      'INSERT INTO groups (group_id, epoch, created_at, delivery_token_hash) VALUES (?, ?, ?, ?)',
    ),
    groupExists: db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM groups WHERE group_id = ?',
    ),
    insertMember: db.prepare('INSERT INTO group_members VALUES (?, ?, ?)'),
    deleteMembers: db.prepare('DELETE FROM group_members WHERE group_id = ?'),
    advanceEpoch: db.prepare<[Uint8Array | null, string, number], { changes: number }>(
      `UPDATE groups SET epoch = epoch + 1, previous_token_hash = delivery_token_hash,
         delivery_token_hash = ? WHERE group_id = ? AND epoch = ?`,
    ),
    insertHandshake: db.prepare('INSERT INTO group_handshakes VALUES (?, ?, ?, ?, ?, ?)'),
  };
  const setMembers = (groupId: string, members: readonly GroupMemberRecord[]): void => {
    w.deleteMembers.run(groupId);
    for (const m of sortMembers(members)) w.insertMember.run(groupId, m.accountId, m.deviceId);
  };
  return {
    mlsKeyPackages: {
      ...r.mlsKeyPackages,
      add: (a, d, packages) => {
        for (const p of packages) w.addKeyPackage.run(a, d, p);
        return Promise.resolve();
      },
      setLastResort: (a, d, keyPackage) => {
        w.setLastResort.run(a, d, keyPackage);
        return Promise.resolve();
      },
      claim: (a, d) => {
        const taken = w.takeKeyPackage.get(a, d);
        if (taken !== undefined) {
          return Promise.resolve({ keyPackage: taken.key_package, lastResort: false });
        }
        const last = w.lastResort.get(a, d);
        return Promise.resolve(
          last === undefined ? undefined : { keyPackage: last.key_package, lastResort: true },
        );
      },
    },
    groups: {
      ...r.groups,
      create: (record) => {
        if ((w.groupExists.get(record.groupId)?.n ?? 0) > 0) {
          return Promise.reject(new GroupExistsError());
        }
        w.insertGroup.run(
          record.groupId,
          record.epoch,
          record.createdAt,
          record.deliveryTokenHash ?? null,
        );
        setMembers(record.groupId, record.members);
        return Promise.resolve();
      },
      advance: (h, members, nextDeliveryTokenHash) => {
        if (w.advanceEpoch.run(nextDeliveryTokenHash ?? null, h.groupId, h.epoch).changes !== 1)
          return Promise.resolve(false);
        w.insertHandshake.run(
          h.groupId,
          h.epoch,
          h.senderAccountId,
          h.senderDeviceId,
          h.commit,
          h.serverTimestamp,
        );
        setMembers(h.groupId, members);
        return Promise.resolve(true);
      },
    },
  };
}
