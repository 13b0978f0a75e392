/**
 * Stored group records: per group its name, status and MLS state (the state codec's versioned
 * binary form, which holds epoch secrets and private keys in the clear, so it lives only in the
 * storage backend, which encrypts every value at rest in SQLite), group messages, and the private
 * halves of this device's KeyPackages until a Welcome uses them, and the group outbox.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { AttachmentPointer } from './content.js';
import { trackExpiry } from './expiry-index.js';
import type { StorageReader, StorageWriter } from './storage.js';

export const GROUP_NS = {
  group: 'group',
  groupState: 'group-state',
  /** The state our commit leads to, kept while the relay has not confirmed it. */
  groupPending: 'group-pending',
  groupMessage: 'group-message',
  /** Group messages of ours not yet accepted by the relay (`group-outbox.ts`). */
  groupOutbox: 'group-outbox',
  keyPackage: 'mls-key-package',
  /** Members' requests to be added again after they could not follow a commit (`group-rejoin.ts`). */
  rejoin: 'group-rejoin',
} as const;

const RECORD_VERSION = 1;

/** `active`: a member; `leaving`: our Remove proposals are out; `left`/`removed`: no longer. */
export type GroupStatus = 'active' | 'leaving' | 'left' | 'removed';

export interface GroupRecord {
  /** The relay's group id: the MLS group id, base64url. */
  readonly groupId: string;
  readonly name: string;
  readonly status: GroupStatus;
  readonly createdAt: number;
  /**
   * Set when a commit for this epoch was refused (an unbacked member, an invalid commit): the
   * group cannot follow past it; its later handshakes are dropped with this code.
   */
  readonly blocked?: { readonly epoch: number; readonly code: string };
  /** Set when other members' proposals wait to be committed (a leave request). */
  readonly proposals?: boolean;
  /** The epoch and commit of our commit awaiting the relay's answer (its state: `groupPending`). */
  readonly pendingCommit?: { readonly epoch: number; readonly commit: string };
  /**
   * Once we left or were removed: the epoch the group had reached. A Welcome into this group
   * is accepted only for a later epoch, so an old Welcome replayed cannot put us back.
   */
  readonly knownEpoch?: number;
}

export interface GroupMessageRecord {
  readonly id: string;
  readonly groupId: string;
  readonly direction: 'in' | 'out';
  readonly fromAccount: string;
  readonly fromDevice: number;
  readonly text: string;
  readonly sentAt: number;
  /** Files sent with the message (pointers; the files themselves are fetched by the app). */
  readonly attachments?: readonly AttachmentPointer[];
  /** Messages sent from this device: `pending` while in the outbox, then `sent` or `failed`. */
  readonly status?: 'pending' | 'sent' | 'failed';
  /** The message this one replies to. */
  readonly replyTo?: string;
  /** One reaction per account id. */
  readonly reactions?: Readonly<Record<string, string>>;
  /** Earlier texts, oldest first, each with when it was replaced. */
  readonly edits?: readonly { readonly text: string; readonly replacedAt: number }[];
  /** Deleted for everyone by its author: text, files and history erased. */
  readonly deleted?: boolean;
  /** When it disappears from every device (ms), if the group had a timer (`disappearing.ts`). */
  readonly expiresAt?: number;
  /** Where this device saved its files (the app's paths), deleted with the message. */
  readonly savedFiles?: readonly string[];
}

/**
 * A group message of ours waiting for the relay. `content` is the encoded content (plaintext,
 * like every record encrypted at rest by the backend); `sealed` is the MLS PrivateMessage made
 * from it in `epoch`, stored with the ratchet step that made it, so a retry in the same epoch
 * posts the same bytes; `failed` is set when it can never be sent (reported once, then deleted).
 */
export interface GroupOutboxRecord {
  /** Also the content's message id, so receivers recognise a copy. */
  readonly clientMessageId: string;
  readonly groupId: string;
  readonly content: string;
  readonly createdAt: number;
  /** Order of sending within the outbox. */
  readonly seq: number;
  readonly sealed?: { readonly epoch: number; readonly message: string };
  /** A disappearing message's expiry (ms), which the relay honours. */
  readonly expiresAt?: number;
  readonly failed?: { readonly code: string; readonly reason: string };
}

/** The private half of a KeyPackage we uploaded (base64), keyed by its KeyPackageRef (hex). */
export interface KeyPackageSecret {
  readonly keyPackage: string;
  readonly initPrivateKey: string;
  readonly encryptionPrivateKey: string;
  readonly lastResort: boolean;
  /** For the last-resort one: the groups it joined (it may join each at most once). */
  readonly joined?: readonly string[];
  /** For a used last-resort one: when a new one replaced it (deleted after a grace period). */
  readonly retiredAt?: number;
}

/**
 * A member device's request to be added again (it could not follow a commit): handled by
 * removing its leaf if it still holds `leafKey`, then adding the device from a fresh KeyPackage.
 */
export interface RejoinRequest {
  readonly groupId: string;
  readonly accountId: string;
  readonly deviceId: number;
  /** The leaf's HPKE public key (base64) when the request was made. */
  readonly leafKey: string;
  readonly receivedAt: number;
}

function putJson(w: StorageWriter, ns: string, key: string, value: object): void {
  w.put(ns, key, utf8Encode(JSON.stringify({ rv: RECORD_VERSION, ...value })));
}
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own JSON
function getJson<T>(r: StorageReader, ns: string, key: string): T | undefined {
  const bytes = r.get(ns, key);
  return bytes === undefined ? undefined : (JSON.parse(utf8Decode(bytes)) as T);
}

/** Still a member (or leaving): the group's traffic is processed. */
export function following(g: GroupRecord | undefined): g is GroupRecord {
  return g !== undefined && (g.status === 'active' || g.status === 'leaving');
}

export const groupRecords = {
  group: (r: StorageReader, groupId: string): GroupRecord | undefined =>
    getJson<GroupRecord>(r, GROUP_NS.group, groupId),
  groups: (r: StorageReader): GroupRecord[] =>
    r.list(GROUP_NS.group).map(([, v]) => JSON.parse(utf8Decode(v)) as GroupRecord),
  putGroup: (w: StorageWriter, g: GroupRecord): void => {
    putJson(w, GROUP_NS.group, g.groupId, g);
  },
  state: (r: StorageReader, groupId: string): Uint8Array | undefined =>
    r.get(GROUP_NS.groupState, groupId),
  putState: (w: StorageWriter, groupId: string, state: Uint8Array): void => {
    w.put(GROUP_NS.groupState, groupId, state);
  },
  deleteState: (w: StorageWriter, groupId: string): void => {
    w.delete(GROUP_NS.groupState, groupId);
    w.delete(GROUP_NS.groupPending, groupId);
  },
  pending: (r: StorageReader, groupId: string): Uint8Array | undefined =>
    r.get(GROUP_NS.groupPending, groupId),
  putPending: (w: StorageWriter, groupId: string, state: Uint8Array): void => {
    w.put(GROUP_NS.groupPending, groupId, state);
  },
  deletePending: (w: StorageWriter, groupId: string): void => {
    w.delete(GROUP_NS.groupPending, groupId);
  },
  messages: (r: StorageReader, groupId: string): GroupMessageRecord[] =>
    r
      .list(GROUP_NS.groupMessage)
      .filter(([k]) => k.startsWith(`${groupId}/`))
      .map(([, v]) => JSON.parse(utf8Decode(v)) as GroupMessageRecord)
      .sort((a, b) => a.sentAt - b.sentAt),
  hasMessage: (r: StorageReader, groupId: string, id: string): boolean =>
    r.get(GROUP_NS.groupMessage, `${groupId}/${id}`) !== undefined,
  putMessage: (w: StorageWriter, m: GroupMessageRecord): void => {
    putJson(w, GROUP_NS.groupMessage, `${m.groupId}/${m.id}`, m);
    trackExpiry(w, GROUP_NS.groupMessage, `${m.groupId}/${m.id}`, m.expiresAt);
  },
  message: (r: StorageReader, groupId: string, id: string): GroupMessageRecord | undefined =>
    getJson<GroupMessageRecord>(r, GROUP_NS.groupMessage, `${groupId}/${id}`),
  /** Every group outbox entry, in sending order. */
  outbox: (r: StorageReader): GroupOutboxRecord[] =>
    r
      .list(GROUP_NS.groupOutbox)
      .map(([, v]) => JSON.parse(utf8Decode(v)) as GroupOutboxRecord)
      .sort((a, b) => a.seq - b.seq),
  outboxEntry: (r: StorageReader, id: string): GroupOutboxRecord | undefined =>
    getJson<GroupOutboxRecord>(r, GROUP_NS.groupOutbox, id),
  putOutbox: (w: StorageWriter, o: GroupOutboxRecord): void => {
    putJson(w, GROUP_NS.groupOutbox, o.clientMessageId, o);
  },
  deleteOutbox: (w: StorageWriter, id: string): void => {
    w.delete(GROUP_NS.groupOutbox, id);
  },
  /** The relay took outbox entry `id`: it leaves the outbox and its message is `sent`. */
  markSent: (w: StorageWriter, groupId: string, id: string): void => {
    w.delete(GROUP_NS.groupOutbox, id);
    const m = groupRecords.message(w, groupId, id);
    if (m?.status === 'pending') groupRecords.putMessage(w, { ...m, status: 'sent' });
  },
  keyPackage: (r: StorageReader, ref: string): KeyPackageSecret | undefined =>
    getJson<KeyPackageSecret>(r, GROUP_NS.keyPackage, ref),
  keyPackages: (r: StorageReader): (readonly [string, KeyPackageSecret])[] =>
    r
      .list(GROUP_NS.keyPackage)
      .map(([k, v]) => [k, JSON.parse(utf8Decode(v)) as KeyPackageSecret] as const),
  putKeyPackage: (w: StorageWriter, ref: string, k: KeyPackageSecret): void => {
    putJson(w, GROUP_NS.keyPackage, ref, k);
  },
  deleteKeyPackage: (w: StorageWriter, ref: string): void => {
    w.delete(GROUP_NS.keyPackage, ref);
  },
  rejoinRequests: (r: StorageReader): RejoinRequest[] =>
    r.list(GROUP_NS.rejoin).map(([, v]) => JSON.parse(utf8Decode(v)) as RejoinRequest),
  putRejoinRequest: (w: StorageWriter, q: RejoinRequest): void => {
    putJson(w, GROUP_NS.rejoin, `${q.groupId}/${q.accountId}.${String(q.deviceId)}`, q);
  },
  deleteRejoinRequest: (w: StorageWriter, q: RejoinRequest): void => {
    w.delete(GROUP_NS.rejoin, `${q.groupId}/${q.accountId}.${String(q.deviceId)}`);
  },
};
