/**
 * The in-memory backend's MLS KeyPackages and groups. Writes go through the transaction's
 * `set`/`del`, so a transaction that throws undoes them like every other write.
 */
import {
  GroupExistsError,
  sortMembers,
  type GroupReader,
  type GroupRecord,
  type GroupWriter,
  type HandshakeRecord,
  type MlsKeyPackageReader,
  type MlsKeyPackageWriter,
} from './group-types.js';

export class GroupState {
  /** One-time KeyPackages by `accountId/deviceId`, oldest first. */
  readonly keyPackages = new Map<string, readonly Uint8Array[]>();
  readonly lastResort = new Map<string, Uint8Array>();
  readonly groups = new Map<string, GroupRecord>();
  readonly handshakes = new Map<string, readonly HandshakeRecord[]>();
}

/** The transaction's undoable map operations. */
export interface UndoableMaps {
  set<K, V>(map: Map<K, V>, key: K, value: V): void;
  del<K, V>(map: Map<K, V>, key: K): void;
}

const deviceKey = (accountId: string, deviceId: number): string => `${accountId}/${deviceId}`;

export function groupReaders(s: GroupState): {
  readonly mlsKeyPackages: MlsKeyPackageReader;
  readonly groups: GroupReader;
} {
  return {
    mlsKeyPackages: {
      count: (a, d) => Promise.resolve(s.keyPackages.get(deviceKey(a, d))?.length ?? 0),
      hasLastResort: (a, d) => Promise.resolve(s.lastResort.has(deviceKey(a, d))),
    },
    groups: {
      get: (id) => Promise.resolve(s.groups.get(id)),
      handshakes: (id, fromEpoch, limit) =>
        Promise.resolve(
          (s.handshakes.get(id) ?? []).filter((h) => h.epoch >= fromEpoch).slice(0, limit),
        ),
    },
  };
}

export function groupWriters(
  s: GroupState,
  maps: UndoableMaps,
): { readonly mlsKeyPackages: MlsKeyPackageWriter; readonly groups: GroupWriter } {
  const r = groupReaders(s);
  return {
    mlsKeyPackages: {
      ...r.mlsKeyPackages,
      add: (a, d, packages) => {
        const key = deviceKey(a, d);
        maps.set(s.keyPackages, key, [...(s.keyPackages.get(key) ?? []), ...packages]);
        return Promise.resolve();
      },
      setLastResort: (a, d, keyPackage) => {
        maps.set(s.lastResort, deviceKey(a, d), keyPackage);
        return Promise.resolve();
      },
      claim: (a, d) => {
        const key = deviceKey(a, d);
        const [first, ...rest] = s.keyPackages.get(key) ?? [];
        if (first !== undefined) {
          maps.set(s.keyPackages, key, rest);
          return Promise.resolve({ keyPackage: first, lastResort: false });
        }
        const last = s.lastResort.get(key);
        return Promise.resolve(
          last === undefined ? undefined : { keyPackage: last, lastResort: true },
        );
      },
    },
    groups: {
      ...r.groups,
      create: (record) => {
        if (s.groups.has(record.groupId)) return Promise.reject(new GroupExistsError());
        maps.set(s.groups, record.groupId, { ...record, members: sortMembers(record.members) });
        return Promise.resolve();
      },
      advance: (handshake, members, nextDeliveryTokenHash) => {
        const group = s.groups.get(handshake.groupId);
        if (group?.epoch !== handshake.epoch) return Promise.resolve(false);
        maps.set(s.groups, group.groupId, {
          groupId: group.groupId,
          createdAt: group.createdAt,
          epoch: group.epoch + 1,
          members: sortMembers(members),
          ...(nextDeliveryTokenHash === undefined
            ? {}
            : { deliveryTokenHash: nextDeliveryTokenHash }),
          ...(group.deliveryTokenHash === undefined
            ? {}
            : { previousTokenHash: group.deliveryTokenHash }),
        });
        maps.set(s.handshakes, group.groupId, [
          ...(s.handshakes.get(group.groupId) ?? []),
          handshake,
        ]);
        return Promise.resolve(true);
      },
    },
  };
}

/** Drops a removed device's KeyPackages (its group memberships stay until a commit). */
export function removeDeviceKeyPackages(
  s: GroupState,
  maps: UndoableMaps,
  accountId: string,
  deviceId: number,
): void {
  maps.del(s.keyPackages, deviceKey(accountId, deviceId));
  maps.del(s.lastResort, deviceKey(accountId, deviceId));
}
