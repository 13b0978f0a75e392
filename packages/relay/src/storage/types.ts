/**
 * The relay's storage: one small reader and writer interface per record kind, composed into a
 * `Reader` (committed data, outside transactions) and a `Writer` (only inside `transact`, which
 * commits everything the callback did or nothing). Every method is asynchronous so a networked
 * database (PostgreSQL) fits behind the same interface; the SQLite backend answers synchronously.
 * Records are plain data; byte fields are `Uint8Array`, times are milliseconds since the epoch.
 */

import type {
  GroupReader,
  GroupWriter,
  MlsKeyPackageReader,
  MlsKeyPackageWriter,
} from './group-types.js';
import type { ProfileReader, ProfileWriter } from './profile-types.js';

export interface AccountRecord {
  readonly accountId: string;
  /** Lower-cased: usernames are unique case-insensitively. */
  readonly username: string;
  readonly identityKey: Uint8Array;
  readonly createdAt: number;
}

export interface DeviceRecord {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly identityKey: Uint8Array;
  /** SHA-256 of the device secret; the secret itself is never stored. */
  readonly secretHash: Uint8Array;
  readonly createdAt: number;
}

export interface DeviceListRecord {
  readonly accountId: string;
  readonly version: number;
  readonly blob: Uint8Array;
}

/** Which signed key slot: the EC signed prekey, or the last-resort Kyber prekey. */
export type SignedKeyKind = 'ec-signed' | 'kyber-last-resort';

/** Which one-time key pool: EC prekeys, or one-time Kyber prekeys (which carry a signature). */
export type OneTimeKeyKind = 'ec' | 'kyber';

export interface KeyRecord {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** Empty for one-time EC prekeys. */
  readonly signature: Uint8Array;
}

/** What a sender stores for one recipient device. */
export interface MessageRecord {
  readonly recipientAccountId: string;
  readonly recipientDeviceId: number;
  readonly senderAccountId: string;
  readonly senderDeviceId: number;
  readonly clientMessageId: string;
  readonly type: number;
  readonly content: Uint8Array;
  readonly serverTimestamp: number;
  /**
   * When the sender's disappearing timer ends (ms): after it the message is never delivered and
   * the sweep deletes it. Absent: kept until acknowledged or `maxMessageAgeMs`.
   */
  readonly expiresAt?: number;
}

/**
 * A queued message with its position. `seq` is the message's place in its device's queue:
 * strictly increasing per device **in commit order** (a message committed later always has a
 * larger `seq` than every message committed earlier for that device), never reused, gaps allowed.
 * So "everything up to `seq`" is a safe cumulative acknowledgement: no message below it can still
 * appear. A backend may draw them from one serial that commits in order (SQLite: one writer) or
 * from a per-device counter updated in the enqueueing transaction (a database with concurrent
 * writers, where a global serial can commit out of order). `guid` is the message's id on the
 * wire (HTTP fetch and acknowledgement, and what clients deduplicate by): unique per device, also
 * across a reset of the storage.
 */
export interface QueuedMessage extends MessageRecord {
  readonly seq: number;
  readonly guid: string;
}

/** Where a send may go: a device, its registration id and how full its queue is (no keys). */
export interface DeviceRoute {
  readonly deviceId: number;
  readonly registrationId: number;
  /** Messages in the device's queue. */
  readonly queueDepth: number;
}

/** A remembered send, for idempotency by client message id. */
export interface SendRecord {
  readonly senderAccountId: string;
  readonly senderDeviceId: number;
  readonly clientMessageId: string;
  readonly serverTimestamp: number;
}

export interface LinkTokenRecord {
  /** SHA-256 of the token, hex. */
  readonly tokenHash: string;
  readonly accountId: string;
  readonly expiresAt: number;
}

export interface ProvisioningRecord {
  readonly channelId: string;
  readonly ciphertext: Uint8Array | null;
  readonly expiresAt: number;
}

export interface AttachmentRecord {
  readonly attachmentId: string;
  readonly bytes: Uint8Array;
  readonly expiresAt: number;
}

export interface AccountReader {
  byId(accountId: string): Promise<AccountRecord | undefined>;
  byUsername(username: string): Promise<AccountRecord | undefined>;
}
export interface AccountWriter extends AccountReader {
  /** Fails with `UsernameTakenError` if the (lower-cased) username exists. */
  create(record: AccountRecord): Promise<void>;
  /** Replaces the account key (the caller replaces the device list in the same transaction). */
  setIdentityKey(accountId: string, identityKey: Uint8Array): Promise<void>;
  /**
   * Deletes the account and everything under it: devices, keys, lists, queues, sends, tokens,
   * its delivery token hash and profile.
   */
  delete(accountId: string): Promise<void>;
}

export interface DeviceReader {
  get(accountId: string, deviceId: number): Promise<DeviceRecord | undefined>;
  /** Ascending device id. */
  list(accountId: string): Promise<DeviceRecord[]>;
  /**
   * The account's devices as a send needs them, with their queue depths (ascending device id):
   * one read instead of `list` plus a `depth` per device.
   */
  routes(accountId: string): Promise<DeviceRoute[]>;
}
export interface DeviceWriter extends DeviceReader {
  add(record: DeviceRecord): Promise<void>;
  /** Removes the device with its keys and its queue. */
  remove(accountId: string, deviceId: number): Promise<void>;
}

export interface DeviceListReader {
  get(accountId: string): Promise<DeviceListRecord | undefined>;
}
export interface DeviceListWriter extends DeviceListReader {
  /** Stores the list as the account's latest (callers check that the version increases). */
  put(record: DeviceListRecord): Promise<void>;
}

export interface KeyReader {
  signed(accountId: string, deviceId: number, kind: SignedKeyKind): Promise<KeyRecord | undefined>;
  count(accountId: string, deviceId: number, kind: OneTimeKeyKind): Promise<number>;
}
export interface KeyWriter extends KeyReader {
  setSigned(
    accountId: string,
    deviceId: number,
    kind: SignedKeyKind,
    key: KeyRecord,
  ): Promise<void>;
  /** Adds keys; a key id already stored for the device and kind is replaced. */
  addOneTime(
    accountId: string,
    deviceId: number,
    kind: OneTimeKeyKind,
    keys: readonly KeyRecord[],
  ): Promise<void>;
  /** Removes and returns one key (lowest id first); undefined when none is left. */
  takeOneTime(
    accountId: string,
    deviceId: number,
    kind: OneTimeKeyKind,
  ): Promise<KeyRecord | undefined>;
}

export interface MessageReader {
  /** Up to `limit` messages of the device's queue with `seq > afterSeq`, ascending. */
  list(
    accountId: string,
    deviceId: number,
    afterSeq: number,
    limit: number,
  ): Promise<QueuedMessage[]>;
  depth(accountId: string, deviceId: number): Promise<number>;
  /** Messages queued for all devices (for metrics). */
  total(): Promise<number>;
  findSend(
    senderAccountId: string,
    senderDeviceId: number,
    clientMessageId: string,
  ): Promise<SendRecord | undefined>;
}
export interface MessageWriter extends MessageReader {
  /** Appends to the recipient device's queue; returns it with its `seq` and `guid`. */
  enqueue(message: MessageRecord): Promise<QueuedMessage>;
  recordSend(send: SendRecord): Promise<void>;
  /**
   * Records `send` unless a send with the same sender and client message id is recorded, and
   * then returns that one's server timestamp and writes nothing: the duplicate check and the
   * record in one statement instead of `findSend` then `recordSend`. Optional: without it, the
   * relay calls those two.
   */
  claimSend?(send: SendRecord): Promise<number | undefined>;
  /** Deletes the listed messages (by guid) from the device's queue; returns how many existed. */
  delete(accountId: string, deviceId: number, guids: readonly string[]): Promise<number>;
  /** Deletes every message of the device's queue with `seq <= upTo` (a cumulative ack). */
  deleteUpTo(accountId: string, deviceId: number, upTo: number): Promise<number>;
  /**
   * Deletes up to `limit` messages older than `before`; returns how many. Backends may walk the
   * queues in commit order and stop at the first younger message (commit order follows the
   * clock, except across a clock step backwards, which can delay an expiry by that step).
   */
  deleteOlderThan(before: number, limit: number): Promise<number>;
  /** Deletes up to `limit` messages whose `expiresAt` is at or before `now`; returns how many. */
  deleteExpired(now: number, limit: number): Promise<number>;
  deleteSendsOlderThan(before: number, limit: number): Promise<number>;
}

export interface LinkTokenWriter {
  put(record: LinkTokenRecord): Promise<void>;
  /** Removes and returns the token if it exists and has not expired at `now`. */
  take(tokenHash: string, now: number): Promise<LinkTokenRecord | undefined>;
  deleteExpired(now: number, limit: number): Promise<number>;
}

export interface ProvisioningReader {
  get(channelId: string, now: number): Promise<ProvisioningRecord | undefined>;
}
export interface ProvisioningWriter extends ProvisioningReader {
  open(record: ProvisioningRecord): Promise<void>;
  /** Stores the ciphertext in an open, unexpired channel; false if there is none. */
  deliver(channelId: string, ciphertext: Uint8Array, now: number): Promise<boolean>;
  close(channelId: string): Promise<void>;
  deleteExpired(now: number, limit: number): Promise<number>;
}

export interface AttachmentReader {
  get(attachmentId: string, now: number): Promise<AttachmentRecord | undefined>;
}
export interface AttachmentWriter extends AttachmentReader {
  /** Stores a blob uploaded by `ownerAccountId`; deleting that account deletes it. */
  put(record: AttachmentRecord, ownerAccountId: string): Promise<void>;
  deleteExpired(now: number, limit: number): Promise<number>;
}

/** Reads of committed data. */
export interface Reader {
  readonly accounts: AccountReader;
  readonly devices: DeviceReader;
  readonly deviceLists: DeviceListReader;
  readonly keys: KeyReader;
  readonly messages: MessageReader;
  readonly provisioning: ProvisioningReader;
  readonly attachments: AttachmentReader;
  readonly mlsKeyPackages: MlsKeyPackageReader;
  readonly groups: GroupReader;
  readonly profiles: ProfileReader;
}

/** Reads and writes inside one transaction; reads see the transaction's own writes. */
export interface Writer {
  readonly accounts: AccountWriter;
  readonly devices: DeviceWriter;
  readonly deviceLists: DeviceListWriter;
  readonly keys: KeyWriter;
  readonly messages: MessageWriter;
  readonly linkTokens: LinkTokenWriter;
  readonly provisioning: ProvisioningWriter;
  readonly attachments: AttachmentWriter;
  readonly mlsKeyPackages: MlsKeyPackageWriter;
  readonly groups: GroupWriter;
  readonly profiles: ProfileWriter;
}

/** A device's queue acknowledged up to `upTo` (cumulative). */
export interface AckFloor {
  readonly accountId: string;
  readonly deviceId: number;
  readonly upTo: number;
}

export interface TransactOptions {
  /**
   * `false`: the promise may resolve once the transaction is committed but before it is on
   * disk, and the backend need not sync for it (a later durable commit carries it to disk).
   * For writes whose loss in a power failure is harmless, such as deleting acknowledged messages
   * (a lost delete means a re-delivery, which clients deduplicate). Default `true`.
   */
  readonly durable?: boolean;
  /**
   * The transaction uses only what a send uses (`findSend`, `routes`, `accounts.byId`,
   * `recordSend`, `enqueue`): a backend that coalesces a window's statements may do so for it
   * even when it is alone in its window. Default `false`.
   */
  readonly sendPath?: boolean;
}

export interface Storage {
  /** Backend name for health and logs (`memory`, `sqlite`). */
  readonly kind: string;
  readonly reader: Reader;
  /**
   * Runs `fn` in one transaction: everything it wrote is committed (durably, for persistent
   * backends, unless `options.durable` is false) before the returned promise resolves, or
   * nothing is if it throws. Transactions are serialisable; `fn` should not wait on anything but
   * the writer. Backends may commit several transactions together (group commit): each still
   * commits or rolls back alone. `fn` may be run more than once (a backend may retry it, as a
   * database retries a serialisation failure), so it must have no effect but through the
   * writer and its result.
   */
  transact<T>(fn: (writer: Writer) => Promise<T>, options?: TransactOptions): Promise<T>;
  /**
   * Optional: deletes acknowledged messages (for each device, its queue up to `upTo`) in one
   * statement of their own that need not be synced, as a non-durable transaction of
   * `deleteUpTo`s would; resolves to how many were deleted. A backend with round trips offers
   * it to save the transaction's (PostgreSQL); without it the relay uses `transact`.
   */
  deleteAcknowledged?(acks: readonly AckFloor[]): Promise<number>;
  /** Waits for running transactions, then releases the backend. */
  close(): Promise<void>;
}

/** Thrown by `AccountWriter.create` when the username is taken. */
export class UsernameTakenError extends Error {
  override readonly name = 'UsernameTakenError';
  constructor() {
    super('username taken');
  }
}

/**
 * Thrown by a networked backend when its database cannot be reached: nothing of the transaction
 * was committed (or, for a lost COMMIT answer, it may have been: retries are idempotent). The
 * relay answers UNAVAILABLE, which clients retry.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor() {
    super('storage unavailable');
  }
}
