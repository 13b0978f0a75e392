/**
 * Typed records over the storage backend: this device's account, contacts (with the accepted
 * account key and verified device list), conversations, the outbox and the seen-guid set, plus
 * the five protocol stores read from the same backend. Records are versioned UTF-8 JSON except
 * protocol records, which use the protocol package's own versioned binary formats.
 */
import { fromBase64, toBase64, utf8Decode, utf8Encode } from '@parley/bytes';
import {
  addressKey,
  deserializeIdentityKeyPair,
  deserializeKyberPreKeyRecord,
  deserializePreKeyRecord,
  deserializeSessionRecord,
  deserializeSignedPreKeyRecord,
  serializeKyberPreKeyRecord,
  serializePreKeyRecord,
  serializeSessionRecord,
  serializeSignedPreKeyRecord,
  asPublicKey,
  type IdentityKeyPair,
  type ProtocolAddress,
  type ProtocolStores,
  type PublicKey,
  type SessionChanges,
} from '@parley/protocol';
import type { Envelope } from '@parley/api';
import type { AttachmentPointer } from './content.js';
import type { DeviceEntry } from './device-list.js';
import {
  MAX_SEEN_GUIDS,
  SEEN_GUID_MAX_AGE_MS,
  SEEN_PRUNE_SLACK_MS,
  SEEN_PRUNE_TO,
} from './limits.js';
import type { StorageReader, StorageWriter } from './storage.js';
import { trackExpiry } from './expiry-index.js';
import { trackUnread } from './unread-index.js';

export const NS = {
  account: 'account',
  identity: 'identity',
  preKey: 'prekey',
  signedPreKey: 'signed-prekey',
  kyberPreKey: 'kyber-prekey',
  session: 'session',
  contact: 'contact',
  message: 'message',
  outbox: 'outbox',
  seen: 'seen',
  seenMeta: 'seen-meta',
  /** Envelopes whose processing failed for a passing reason (relay unreachable), kept to retry. */
  parked: 'parked',
} as const;

const RECORD_VERSION = 1;

function putJson(w: StorageWriter, ns: string, key: string, value: object): void {
  w.put(ns, key, utf8Encode(JSON.stringify({ rv: RECORD_VERSION, ...value })));
}
/** Stored records are written only by this module, so their shape is known. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- typed read of our own JSON
function getJson<T>(r: StorageReader, ns: string, key: string): T | undefined {
  const bytes = r.get(ns, key);
  return bytes === undefined ? undefined : (JSON.parse(utf8Decode(bytes)) as T);
}
function listJson<T>(r: StorageReader, ns: string): T[] {
  return r.list(ns).map(([, v]) => JSON.parse(utf8Decode(v)) as T);
}

/** This device and, on the primary, the account key (base64 fields). */
export interface AccountRecord {
  readonly accountId: string;
  readonly deviceId: number;
  readonly username: string;
  readonly secret: string;
  readonly registrationId: number;
  /** Serialized device identity key pair (protocol format). */
  readonly identity: string;
  /** The account public key, 33-byte form. */
  readonly accountKey: string;
  /** The account private key; present on the primary only. */
  readonly accountPrivateKey?: string;
  readonly nextPreKeyId: number;
  readonly nextKyberPreKeyId: number;
  readonly deviceListVersion: number;
  readonly ownDevices: readonly DeviceJson[];
  /** This device's MLS signature private key (Ed25519 seed, base64); its public key is listed. */
  readonly mlsSignaturePrivateKey?: string;
  /** The signed prekey the relay serves (absent: 1, made at registration). */
  readonly signedPreKeyId?: number;
  /** The last-resort Kyber prekey the relay serves (absent: 1, made at registration). */
  readonly lastResortKyberPreKeyId?: number;
  /** When those two were made; absent until the first check after registration. */
  readonly signedKeysAt?: number;
  /** Replaced signed and last-resort keys, kept for PreKey messages still on their way. */
  readonly retiredKeys?: readonly RetiredKeys[];
  /**
   * On the primary, while the account key is being changed: the new key pair (base64) and the
   * list signed by it, kept until the relay has both (so a crash in between loses nothing).
   */
  readonly pendingAccountKey?: {
    readonly publicKey: string;
    readonly privateKey: string;
    readonly version: number;
    readonly blob: string;
  };
  /** On the primary: our devices that removed themselves, to drop from the signed list. */
  readonly leavingDevices?: readonly number[];
}

export interface RetiredKeys {
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
  readonly retiredAt: number;
}

/** A device of a verified signed list, as stored (base64 keys). */
export interface DeviceJson {
  readonly deviceId: number;
  readonly identityKey: string;
  /** The MLS signature public key; absent for devices listed before groups existed. */
  readonly mlsSignatureKey?: string;
}

export interface ContactRecord {
  readonly username: string;
  readonly accountId: string;
  /** The accepted account key (33-byte form, base64). */
  readonly accountKey: string;
  /** A different key the relay now presents, not yet accepted; sending stops while set. */
  readonly pendingKey?: string;
  readonly pendingAccountId?: string;
  readonly deviceListVersion: number;
  readonly devices: readonly DeviceJson[];
}

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'received';

export interface MessageRecord {
  readonly id: string;
  /** The other party's account id. */
  readonly peer: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  readonly sentAt: number;
  readonly status: MessageStatus;
  /** Files sent with the message (pointers; the files themselves are fetched by the app). */
  readonly attachments?: readonly AttachmentPointer[];
  /** The message this one replies to. */
  readonly replyTo?: string;
  /** One reaction per account id. */
  readonly reactions?: Readonly<Record<string, string>>;
  /** Earlier texts, oldest first, each with when it was replaced. */
  readonly edits?: readonly { readonly text: string; readonly replacedAt: number }[];
  /** Deleted for everyone by its author: text, files and history erased. */
  readonly deleted?: boolean;
  /** For incoming: the sending device. */
  readonly fromDevice?: number;
  /** When it disappears from every device (ms), if the conversation had a timer. */
  readonly expiresAt?: number;
  /** Where this device saved its files (the app's paths), deleted with the message. */
  readonly savedFiles?: readonly string[];
}

export interface OutboxRecord {
  readonly clientMessageId: string;
  readonly to: string;
  /** Encoded content for the recipient's devices (base64). */
  readonly content: string;
  /** Encoded content for our other devices (base64), if any. */
  readonly syncContent?: string;
  readonly createdAt: number;
  /** A disappearing message's expiry (ms): the relay drops its envelopes unread after it. */
  readonly expiresAt?: number;
}

/**
 * An envelope that could not be processed for a passing reason (the relay unreachable while
 * we fetched the sender's device list, say). It is stored with the seen mark and acknowledged,
 * so it stops nothing behind it, and retried at each receive until `PARKED_MAX_AGE_MS`.
 */
export interface ParkedRecord {
  readonly envelope: Envelope;
  readonly parkedAt: number;
  readonly attempts: number;
  readonly reason: string;
}

export const records = {
  account: (r: StorageReader): AccountRecord | undefined =>
    getJson<AccountRecord>(r, NS.account, 'self'),
  putAccount: (w: StorageWriter, a: AccountRecord): void => {
    putJson(w, NS.account, 'self', a);
  },
  contact: (r: StorageReader, username: string): ContactRecord | undefined =>
    getJson<ContactRecord>(r, NS.contact, username),
  contacts: (r: StorageReader): ContactRecord[] => listJson<ContactRecord>(r, NS.contact),
  putContact: (w: StorageWriter, c: ContactRecord): void => {
    putJson(w, NS.contact, c.username, c);
  },
  message: (r: StorageReader, id: string): MessageRecord | undefined =>
    getJson<MessageRecord>(r, NS.message, id),
  messages: (r: StorageReader): MessageRecord[] =>
    listJson<MessageRecord>(r, NS.message).sort((a, b) => a.sentAt - b.sentAt),
  putMessage: (w: StorageWriter, m: MessageRecord): void => {
    putJson(w, NS.message, m.id, m);
    trackUnread(w, m);
    trackExpiry(w, NS.message, m.id, m.expiresAt);
  },
  deleteMessage: (w: StorageWriter, id: string): void => {
    w.delete(NS.message, id);
  },
  outbox: (r: StorageReader): OutboxRecord[] =>
    listJson<OutboxRecord>(r, NS.outbox).sort((a, b) => a.createdAt - b.createdAt),
  putOutbox: (w: StorageWriter, o: OutboxRecord): void => {
    putJson(w, NS.outbox, o.clientMessageId, o);
  },
  deleteOutbox: (w: StorageWriter, id: string): void => {
    w.delete(NS.outbox, id);
  },
  parked: (r: StorageReader): ParkedRecord[] =>
    listJson<ParkedRecord>(r, NS.parked).sort((a, b) => a.parkedAt - b.parkedAt),
  parkedCount: (r: StorageReader): number => r.list(NS.parked).length,
  putParked: (w: StorageWriter, p: ParkedRecord): void => {
    putJson(w, NS.parked, p.envelope.guid, p);
  },
  deleteParked: (w: StorageWriter, guid: string): void => {
    w.delete(NS.parked, guid);
  },
  seen: (r: StorageReader, guid: string): boolean => r.get(NS.seen, guid) !== undefined,
  /** Adds a guid to the seen set and, in the same transaction, prunes the set when due. */
  markSeen: (w: StorageWriter, guid: string, at: number): void => {
    const before = getJson<SeenMeta>(w, NS.seenMeta, SEEN_META_KEY) ?? countSeen(w, at);
    const existed = w.get(NS.seen, guid) !== undefined;
    w.put(NS.seen, guid, utf8Encode(String(at)));
    const meta: SeenMeta = {
      count: before.count + (existed ? 0 : 1),
      oldest: Math.min(before.oldest, at),
    };
    const due =
      meta.count > MAX_SEEN_GUIDS || meta.oldest < at - SEEN_GUID_MAX_AGE_MS - SEEN_PRUNE_SLACK_MS;
    putJson(w, NS.seenMeta, SEEN_META_KEY, due ? pruneSeen(w, at) : meta);
  },
  /** How many guids the seen set holds (tests). */
  seenCount: (r: StorageReader): number => r.list(NS.seen).length,
};

/** The seen set's size and oldest timestamp, kept so pruning does not scan on every add. */
interface SeenMeta {
  readonly count: number;
  readonly oldest: number;
}
const SEEN_META_KEY = 'meta';

function seenEntries(r: StorageReader): (readonly [string, number])[] {
  return r
    .list(NS.seen)
    .map(([guid, v]) => {
      const t = Number(utf8Decode(v));
      return [guid, Number.isFinite(t) ? t : 0] as const;
    })
    .sort((a, b) => a[1] - b[1]);
}

/** Counts the set (once, for a store written before the count was kept); `now` if it is empty. */
function countSeen(r: StorageReader, now: number): SeenMeta {
  const entries = seenEntries(r);
  return { count: entries.length, oldest: entries[0]?.[1] ?? now };
}

/** Drops guids older than the maximum age, then the oldest beyond `SEEN_PRUNE_TO`. */
function pruneSeen(w: StorageWriter, now: number): SeenMeta {
  const entries = seenEntries(w);
  const cutoff = now - SEEN_GUID_MAX_AGE_MS;
  const young = entries.findIndex(([, t]) => t >= cutoff);
  const firstKept = Math.max(young < 0 ? entries.length : young, entries.length - SEEN_PRUNE_TO);
  for (const [guid] of entries.slice(0, firstKept)) w.delete(NS.seen, guid);
  const kept = entries.slice(firstKept);
  return { count: kept.length, oldest: kept[0]?.[1] ?? now };
}

export function entriesToJson(devices: readonly DeviceEntry[]): DeviceJson[] {
  return devices.map((d) => ({
    deviceId: d.deviceId,
    identityKey: toBase64(d.identityKey),
    ...(d.mlsSignatureKey && { mlsSignatureKey: toBase64(d.mlsSignatureKey) }),
  }));
}

export function jsonToEntries(devices: readonly DeviceJson[]): DeviceEntry[] {
  return devices.map((d) => ({
    deviceId: d.deviceId,
    identityKey: fromBase64(d.identityKey),
    ...(d.mlsSignatureKey !== undefined && { mlsSignatureKey: fromBase64(d.mlsSignatureKey) }),
  }));
}

export function deviceIdentity(a: AccountRecord): IdentityKeyPair {
  return deserializeIdentityKeyPair(fromBase64(a.identity));
}

/** Writes an operation's changes (the protocol's `commitChanges`, inside our transaction). */
export function applyChanges(w: StorageWriter, changes: SessionChanges): void {
  const key = addressKey(changes.address);
  w.put(NS.identity, key, changes.identity);
  w.put(NS.session, key, serializeSessionRecord(changes.session));
  if (changes.removePreKeyId !== undefined) w.delete(NS.preKey, String(changes.removePreKeyId));
  const kyber = changes.kyberPreKeyUsed;
  if (kyber !== undefined) {
    const bytes = w.get(NS.kyberPreKey, String(kyber.id));
    if (bytes !== undefined && !deserializeKyberPreKeyRecord(bytes).lastResort)
      w.delete(NS.kyberPreKey, String(kyber.id));
  }
}

/**
 * The protocol stores, reading the backend. They accept every device identity: which device
 * keys are trusted is decided before any session is used, from verified signed device lists.
 * Writes go through {@link applyChanges}; the write methods here exist for the interface.
 */
export function protocolStores(
  r: StorageReader & { transact?: (fn: (w: StorageWriter) => void) => void },
  account: () => AccountRecord,
): ProtocolStores {
  const write = (fn: (w: StorageWriter) => void): Promise<void> => {
    if (r.transact === undefined) throw new Error('read-only stores');
    r.transact(fn);
    return Promise.resolve();
  };
  return {
    identity: {
      getIdentityKeyPair: () => Promise.resolve(deviceIdentity(account())),
      getLocalRegistrationId: () => Promise.resolve(account().registrationId),
      isTrustedIdentity: () => Promise.resolve(true),
      saveIdentity: (a: ProtocolAddress, k: PublicKey) =>
        write((w) => w.put(NS.identity, addressKey(a), k)),
      getIdentity: (a: ProtocolAddress) => {
        const bytes = r.get(NS.identity, addressKey(a));
        return Promise.resolve(bytes && asPublicKey(bytes));
      },
    },
    preKeys: {
      getPreKey: (id) => {
        const b = r.get(NS.preKey, String(id));
        return Promise.resolve(b && deserializePreKeyRecord(b));
      },
      savePreKey: (rec) =>
        write((w) => w.put(NS.preKey, String(rec.id), serializePreKeyRecord(rec))),
      removePreKey: (id) => write((w) => w.delete(NS.preKey, String(id))),
    },
    signedPreKeys: {
      getSignedPreKey: (id) => {
        const b = r.get(NS.signedPreKey, String(id));
        return Promise.resolve(b && deserializeSignedPreKeyRecord(b));
      },
      saveSignedPreKey: (rec) =>
        write((w) => w.put(NS.signedPreKey, String(rec.id), serializeSignedPreKeyRecord(rec))),
    },
    kyberPreKeys: {
      getKyberPreKey: (id) => {
        const b = r.get(NS.kyberPreKey, String(id));
        return Promise.resolve(b && deserializeKyberPreKeyRecord(b));
      },
      saveKyberPreKey: (rec) =>
        write((w) => w.put(NS.kyberPreKey, String(rec.id), serializeKyberPreKeyRecord(rec))),
      markKyberPreKeyUsed: () => Promise.resolve(),
    },
    sessions: {
      loadSession: (a) => {
        const b = r.get(NS.session, addressKey(a));
        return Promise.resolve(b && deserializeSessionRecord(b));
      },
      storeSession: (a, rec) =>
        write((w) => w.put(NS.session, addressKey(a), serializeSessionRecord(rec))),
    },
  };
}
