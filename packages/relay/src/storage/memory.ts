/**
 * In-memory storage for tests and for running without a disk. Transactions are serialised;
 * each write records how to undo itself, so a transaction that throws leaves nothing behind.
 * Reads outside a transaction see committed state only between transactions' awaits: enough
 * for tests, not a substitute for a database.
 */
import { randomBytes } from 'node:crypto';
import {
  GroupState,
  groupReaders,
  groupWriters,
  removeDeviceKeyPackages,
} from './memory-groups.js';
import { formatGuid } from './guid.js';
import { Mutex } from './mutex.js';
import {
  UsernameTakenError,
  type AccountRecord,
  type AttachmentRecord,
  type DeviceListRecord,
  type DeviceRecord,
  type KeyRecord,
  type LinkTokenRecord,
  type MessageRecord,
  type OneTimeKeyKind,
  type ProvisioningRecord,
  type QueuedMessage,
  type Reader,
  type SendRecord,
  type SignedKeyKind,
  type Storage,
  type Writer,
} from './types.js';

type Undo = () => void;

class State {
  readonly accounts = new Map<string, AccountRecord>();
  readonly usernames = new Map<string, string>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly deviceLists = new Map<string, DeviceListRecord>();
  readonly signedKeys = new Map<string, KeyRecord>();
  readonly oneTimeKeys = new Map<string, readonly KeyRecord[]>();
  readonly queues = new Map<string, readonly QueuedMessage[]>();
  readonly sends = new Map<string, SendRecord>();
  readonly linkTokens = new Map<string, LinkTokenRecord>();
  readonly provisioning = new Map<string, ProvisioningRecord>();
  readonly attachments = new Map<string, AttachmentRecord>();
  /** Attachment id → the account that uploaded it. */
  readonly attachmentOwners = new Map<string, string>();
  readonly mls = new GroupState();
  /** Account id → its delivery token hash and encrypted profile. */
  readonly profiles = new Map<string, { tokenHash?: Uint8Array; profile?: Uint8Array }>();
  /** Per-device queue counters (see `QueuedMessage.seq`): never lowered, never reused. */
  readonly counters = new Map<string, number>();
  /** This storage's guid epoch (see `guid.ts`). */
  readonly epoch = randomEpoch();
}

function randomEpoch(): string {
  return randomBytes(8).toString('hex');
}

const deviceKey = (accountId: string, deviceId: number): string => `${accountId}/${deviceId}`;
const slotKey = (accountId: string, deviceId: number, kind: string): string =>
  `${accountId}/${deviceId}/${kind}`;
const sendKey = (accountId: string, deviceId: number, id: string): string =>
  `${accountId}/${deviceId}/${id}`;

function devicesOf(s: State, accountId: string): DeviceRecord[] {
  return [...s.devices.values()]
    .filter((d) => d.accountId === accountId)
    .sort((x, y) => x.deviceId - y.deviceId);
}

function makeReader(s: State): Reader {
  return {
    accounts: {
      byId: (id) => Promise.resolve(s.accounts.get(id)),
      byUsername: (username) => {
        const id = s.usernames.get(username.toLowerCase());
        return Promise.resolve(id === undefined ? undefined : s.accounts.get(id));
      },
    },
    devices: {
      get: (a, d) => Promise.resolve(s.devices.get(deviceKey(a, d))),
      list: (a) => Promise.resolve(devicesOf(s, a)),
      routes: (a) =>
        Promise.resolve(
          devicesOf(s, a).map((d) => ({
            deviceId: d.deviceId,
            registrationId: d.registrationId,
            queueDepth: s.queues.get(deviceKey(a, d.deviceId))?.length ?? 0,
          })),
        ),
    },
    deviceLists: { get: (a) => Promise.resolve(s.deviceLists.get(a)) },
    profiles: {
      deliveryTokenHash: (a) => Promise.resolve(s.profiles.get(a)?.tokenHash),
      profile: (a) => Promise.resolve(s.profiles.get(a)?.profile),
    },
    keys: {
      signed: (a, d, kind) => Promise.resolve(s.signedKeys.get(slotKey(a, d, kind))),
      count: (a, d, kind) => Promise.resolve(s.oneTimeKeys.get(slotKey(a, d, kind))?.length ?? 0),
    },
    messages: {
      list: (a, d, afterSeq, limit) => {
        const queue = s.queues.get(deviceKey(a, d)) ?? [];
        const out: QueuedMessage[] = [];
        for (const m of queue) {
          if (out.length >= limit) break;
          if (m.seq > afterSeq) out.push(m);
        }
        return Promise.resolve(out);
      },
      depth: (a, d) => Promise.resolve(s.queues.get(deviceKey(a, d))?.length ?? 0),
      total: () => {
        let n = 0;
        for (const q of s.queues.values()) n += q.length;
        return Promise.resolve(n);
      },
      findSend: (a, d, id) => Promise.resolve(s.sends.get(sendKey(a, d, id))),
    },
    provisioning: {
      get: (id, now) => {
        const r = s.provisioning.get(id);
        return Promise.resolve(r !== undefined && r.expiresAt > now ? r : undefined);
      },
    },
    attachments: {
      get: (id, now) => {
        const r = s.attachments.get(id);
        return Promise.resolve(r !== undefined && r.expiresAt > now ? r : undefined);
      },
    },
    ...groupReaders(s.mls),
  };
}

function makeWriter(s: State, undo: Undo[]): Writer {
  const r = makeReader(s);
  function set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const old = map.get(key);
    map.set(key, value);
    undo.push(() => {
      if (had) map.set(key, old as V);
      else map.delete(key);
    });
  }
  function del<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const old = map.get(key) as V;
    map.delete(key);
    undo.push(() => map.set(key, old));
  }
  function removeDevice(accountId: string, deviceId: number): void {
    removeDeviceKeyPackages(s.mls, { set, del }, accountId, deviceId);
    del(s.devices, deviceKey(accountId, deviceId));
    del(s.queues, deviceKey(accountId, deviceId));
    for (const kind of ['ec-signed', 'kyber-last-resort', 'ec', 'kyber']) {
      del(s.signedKeys, slotKey(accountId, deviceId, kind));
      del(s.oneTimeKeys, slotKey(accountId, deviceId, kind));
    }
  }
  function deleteWhere<K, V>(map: Map<K, V>, pred: (v: V) => boolean, limit: number): number {
    let n = 0;
    for (const [k, v] of [...map]) {
      if (n >= limit) break;
      if (pred(v)) {
        del(map, k);
        n++;
      }
    }
    return n;
  }
  return {
    accounts: {
      ...r.accounts,
      create: (rec) => {
        if (s.usernames.has(rec.username)) return Promise.reject(new UsernameTakenError());
        set(s.accounts, rec.accountId, rec);
        set(s.usernames, rec.username, rec.accountId);
        return Promise.resolve();
      },
      setIdentityKey: (accountId, identityKey) => {
        const acct = s.accounts.get(accountId);
        if (acct !== undefined) set(s.accounts, accountId, { ...acct, identityKey });
        return Promise.resolve();
      },
      delete: (accountId) => {
        const acct = s.accounts.get(accountId);
        if (acct === undefined) return Promise.resolve();
        for (const d of [...s.devices.values()]) {
          if (d.accountId === accountId) removeDevice(accountId, d.deviceId);
        }
        del(s.usernames, acct.username);
        del(s.accounts, accountId);
        del(s.deviceLists, accountId);
        del(s.profiles, accountId);
        deleteWhere(s.sends, (x) => x.senderAccountId === accountId, Infinity);
        deleteWhere(s.linkTokens, (x) => x.accountId === accountId, Infinity);
        for (const [id, owner] of [...s.attachmentOwners]) {
          if (owner !== accountId) continue;
          del(s.attachments, id);
          del(s.attachmentOwners, id);
        }
        return Promise.resolve();
      },
    },
    devices: {
      ...r.devices,
      add: (rec) => {
        set(s.devices, deviceKey(rec.accountId, rec.deviceId), rec);
        return Promise.resolve();
      },
      remove: (a, d) => {
        removeDevice(a, d);
        return Promise.resolve();
      },
    },
    profiles: {
      ...r.profiles,
      setDeliveryTokenHash: (a, hash) => {
        const profile = s.profiles.get(a)?.profile;
        set(s.profiles, a, {
          ...(profile === undefined ? {} : { profile }),
          ...(hash === null ? {} : { tokenHash: hash.slice() }),
        });
        return Promise.resolve();
      },
      setProfile: (a, profile) => {
        set(s.profiles, a, { ...s.profiles.get(a), profile: profile.slice() });
        return Promise.resolve();
      },
    },
    deviceLists: {
      ...r.deviceLists,
      put: (rec) => {
        set(s.deviceLists, rec.accountId, rec);
        return Promise.resolve();
      },
    },
    keys: {
      ...r.keys,
      setSigned: (a, d, kind: SignedKeyKind, key) => {
        set(s.signedKeys, slotKey(a, d, kind), key);
        return Promise.resolve();
      },
      addOneTime: (a, d, kind: OneTimeKeyKind, keys) => {
        const k = slotKey(a, d, kind);
        const ids = new Set(keys.map((x) => x.keyId));
        const kept = (s.oneTimeKeys.get(k) ?? []).filter((x) => !ids.has(x.keyId));
        set(
          s.oneTimeKeys,
          k,
          [...kept, ...keys].sort((x, y) => x.keyId - y.keyId),
        );
        return Promise.resolve();
      },
      takeOneTime: (a, d, kind) => {
        const k = slotKey(a, d, kind);
        const [first, ...rest] = s.oneTimeKeys.get(k) ?? [];
        if (first !== undefined) set(s.oneTimeKeys, k, rest);
        return Promise.resolve(first);
      },
    },
    messages: {
      ...r.messages,
      enqueue: (m: MessageRecord) => {
        const k = deviceKey(m.recipientAccountId, m.recipientDeviceId);
        // A per-device counter, as a database with concurrent writers would keep one. Not
        // undone on rollback: a sequence number is never reused.
        const seq = (s.counters.get(k) ?? 0) + 1;
        s.counters.set(k, seq);
        const queued: QueuedMessage = { ...m, seq, guid: formatGuid(seq, s.epoch) };
        set(s.queues, k, [...(s.queues.get(k) ?? []), queued]);
        return Promise.resolve(queued);
      },
      recordSend: (send) => {
        set(
          s.sends,
          sendKey(send.senderAccountId, send.senderDeviceId, send.clientMessageId),
          send,
        );
        return Promise.resolve();
      },
      claimSend: (send) => {
        const k = sendKey(send.senderAccountId, send.senderDeviceId, send.clientMessageId);
        const prior = s.sends.get(k);
        if (prior !== undefined) return Promise.resolve(prior.serverTimestamp);
        set(s.sends, k, send);
        return Promise.resolve(undefined);
      },
      delete: (a, d, guids) => {
        const k = deviceKey(a, d);
        const queue = s.queues.get(k) ?? [];
        const drop = new Set(guids);
        const kept = queue.filter((m) => !drop.has(m.guid));
        if (kept.length !== queue.length) set(s.queues, k, kept);
        return Promise.resolve(queue.length - kept.length);
      },
      deleteUpTo: (a, d, upTo) => {
        const k = deviceKey(a, d);
        const queue = s.queues.get(k) ?? [];
        const kept = queue.filter((m) => m.seq > upTo);
        if (kept.length !== queue.length) set(s.queues, k, kept);
        return Promise.resolve(queue.length - kept.length);
      },
      deleteOlderThan: (before, limit) => {
        let n = 0;
        for (const [k, queue] of [...s.queues]) {
          if (n >= limit) break;
          const kept = queue.filter((m) => {
            if (n < limit && m.serverTimestamp < before) {
              n++;
              return false;
            }
            return true;
          });
          if (kept.length !== queue.length) set(s.queues, k, kept);
        }
        return Promise.resolve(n);
      },
      deleteExpired: (now, limit) => {
        let n = 0;
        for (const [k, queue] of [...s.queues]) {
          if (n >= limit) break;
          const kept = queue.filter((m) => {
            if (n < limit && m.expiresAt !== undefined && m.expiresAt <= now) {
              n++;
              return false;
            }
            return true;
          });
          if (kept.length !== queue.length) set(s.queues, k, kept);
        }
        return Promise.resolve(n);
      },
      deleteSendsOlderThan: (before, limit) =>
        Promise.resolve(deleteWhere(s.sends, (x) => x.serverTimestamp < before, limit)),
    },
    linkTokens: {
      put: (rec) => {
        set(s.linkTokens, rec.tokenHash, rec);
        return Promise.resolve();
      },
      take: (hash, now) => {
        const rec = s.linkTokens.get(hash);
        if (rec === undefined) return Promise.resolve(undefined);
        del(s.linkTokens, hash);
        return Promise.resolve(rec.expiresAt > now ? rec : undefined);
      },
      deleteExpired: (now, limit) =>
        Promise.resolve(deleteWhere(s.linkTokens, (x) => x.expiresAt <= now, limit)),
    },
    provisioning: {
      ...r.provisioning,
      open: (rec) => {
        set(s.provisioning, rec.channelId, rec);
        return Promise.resolve();
      },
      deliver: (id, ciphertext, now) => {
        const rec = s.provisioning.get(id);
        if (rec === undefined || rec.expiresAt <= now) return Promise.resolve(false);
        set(s.provisioning, id, { ...rec, ciphertext });
        return Promise.resolve(true);
      },
      close: (id) => {
        del(s.provisioning, id);
        return Promise.resolve();
      },
      deleteExpired: (now, limit) =>
        Promise.resolve(deleteWhere(s.provisioning, (x) => x.expiresAt <= now, limit)),
    },
    attachments: {
      ...r.attachments,
      put: (rec, owner) => {
        set(s.attachments, rec.attachmentId, rec);
        set(s.attachmentOwners, rec.attachmentId, owner);
        return Promise.resolve();
      },
      deleteExpired: (now, limit) => {
        const n = deleteWhere(s.attachments, (x) => x.expiresAt <= now, limit);
        for (const id of [...s.attachmentOwners.keys()]) {
          if (!s.attachments.has(id)) del(s.attachmentOwners, id);
        }
        return Promise.resolve(n);
      },
    },
    ...groupWriters(s.mls, { set, del }),
  };
}

/** A fresh, empty in-memory storage. */
export function createMemoryStorage(): Storage {
  const state = new State();
  const mutex = new Mutex();
  let closed = false;
  return {
    kind: 'memory',
    reader: makeReader(state),
    // Every transaction is durable as far as this backend goes; `durable: false` changes nothing.
    transact: (fn) =>
      mutex.run(async () => {
        if (closed) throw new Error('storage closed');
        const undo: Undo[] = [];
        try {
          return await fn(makeWriter(state, undo));
        } catch (error) {
          for (const step of undo.reverse()) step();
          throw error;
        }
      }),
    close: () =>
      mutex.run(() => {
        closed = true;
        return Promise.resolve();
      }),
  };
}
