/**
 * The client: accounts, contacts, sending through a durable outbox, receiving with store-and-ack
 * in one transaction, receipts, sent-message sync, safety numbers. It holds no state outside
 * the storage backend, so a process may stop at any await and a new one continues.
 */
import {
  GROUP_MESSAGE_TYPES,
  type Envelope,
  type PreKeyBundleDevice,
  type SignedPreKey as SignedPreKeyUpload,
} from '@parley/api';
import { constantTimeEqual, fromBase64, toBase64, toHex, utf8Encode } from '@parley/bytes';
import type { Primitives } from '@parley/primitives';
import {
  ProtocolError,
  addressKey,
  decrypt,
  deserializeKyberPublicKey,
  deserializePublicKey,
  encrypt,
  generateIdentityKeyPair,
  generateKyberPreKey,
  generatePreKey,
  generateRegistrationId,
  generateSignedPreKey,
  hasSession,
  processPreKeyBundle,
  serializeIdentityKeyPair,
  serializeKyberPreKeyRecord,
  serializeKyberPublicKey,
  serializePreKeyRecord,
  serializePublicKey,
  serializeSignedPreKeyRecord,
  type KyberPreKeyRecord,
  type PreKeyBundle,
  type ProtocolAddress,
  type ProtocolContext,
  type SignedPreKeyRecord,
} from '@parley/protocol';
import { decodeContent, encodeContent, type Content } from './content.js';
import { signDeviceList, verifyDeviceList, type DeviceList } from './device-list.js';
import { ClientError } from './errors.js';
import { GROUP_NS } from './group-records.js';
import { GroupEngine, type GroupEvent, type GroupSendResult, type GroupSummary } from './groups.js';
import type { GroupMessageRecord } from './group-records.js';
import { safetyNumber, type SafetyNumber } from './fingerprint.js';
import { RelayCallError, type DeviceCredentials, type RelayHttp } from './http.js';
import {
  formatLinkCode,
  openProvisioning,
  parseLinkCode,
  sealProvisioning,
} from './provisioning.js';
import {
  LINK_POLL_MS,
  LINK_WAIT_MS,
  MAX_FETCH_PAGES_PER_RECEIVE,
  MAX_MISMATCH_RETRIES,
  MAX_OUTBOX_ENTRIES,
  PREKEY_BATCH,
  MAX_RETIRED_KEYS,
  RETIRED_KEY_GRACE_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from './limits.js';
import {
  NS,
  applyChanges,
  deviceIdentity,
  entriesToJson,
  jsonToEntries,
  protocolStores,
  records,
  type AccountRecord,
  type ContactRecord,
  type DeviceJson,
  type MessageRecord,
  type OutboxRecord,
} from './state.js';
import type { StorageBackend, StorageWriter } from './storage.js';

const DEVICE_SECRET_BYTES = 32;
const ID_BYTES = 16;

export interface ClientOptions {
  readonly backend: StorageBackend;
  readonly primitives: Primitives;
  readonly relay: RelayHttp;
  /** Clock, ms since the epoch. */
  readonly now?: () => number;
  /** Waits `ms` (linking polls); default: a resolved promise, i.e. no waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A link in progress on the new device: show `code`, then await `complete()`. */
export interface PendingLink {
  readonly code: string;
  complete(): Promise<AccountRecord>;
}

/** What `receive` reports, one event per envelope (contents only for messages shown to users). */
export type ClientEvent =
  | { readonly type: 'message'; readonly message: MessageRecord; readonly from: string }
  | { readonly type: 'sent-sync'; readonly message: MessageRecord; readonly to: string }
  | {
      readonly type: 'receipt';
      readonly receipt: 'delivered' | 'read';
      readonly ids: readonly string[];
      readonly from: string;
    }
  /** An envelope that could not be used (undecryptable, from an unlisted device…); it was dropped. */
  | { readonly type: 'dropped'; readonly reason: string; readonly senderAccountId: string }
  | GroupEvent;

/** Envelope types the relay uses for groups (commit, Welcome, application/proposal). */
const GROUP_ENVELOPE_TYPES: readonly number[] = Object.values(GROUP_MESSAGE_TYPES);

export interface SendResult {
  readonly messageId: string;
  readonly serverTimestamp: number;
}

interface Target {
  readonly accountId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly content: Uint8Array;
}

function keyBody(serialized: Uint8Array): Uint8Array {
  return deserializePublicKey(serialized);
}

export class ParleyClient {
  readonly #p: Primitives;
  readonly #db: StorageBackend;
  readonly #relay: RelayHttp;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #groups: GroupEngine;
  /** Operations that touch sessions run one at a time, so no ratchet step is lost to a race. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ClientOptions) {
    this.#p = options.primitives;
    this.#db = options.backend;
    this.#relay = options.relay;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? (() => Promise.resolve());
    this.#groups = new GroupEngine({
      primitives: this.#p,
      db: this.#db,
      relay: this.#relay,
      now: () => this.#now(),
      account: () => this.#requireAccount(),
      auth: () => this.#auth(),
      id: () => this.#id(),
      deviceList: (accountId) => this.#verifiedDevices(accountId),
      resolveContact: (username) => this.#resolveContact(username),
      username: (accountId) =>
        accountId === this.account?.accountId
          ? this.account.username
          : (this.#contactByAccount(accountId)?.username ?? accountId),
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** This device's account, or undefined before `register`. */
  get account(): AccountRecord | undefined {
    return records.account(this.#db);
  }

  #requireAccount(): AccountRecord {
    const a = this.account;
    if (a === undefined) throw new ClientError('MISUSE', 'not registered: run register first');
    return a;
  }

  #auth(a: AccountRecord = this.#requireAccount()): DeviceCredentials {
    return { accountId: a.accountId, deviceId: a.deviceId, secret: a.secret };
  }

  #ctx(a: AccountRecord): ProtocolContext {
    return {
      primitives: this.#p,
      stores: protocolStores(this.#db, () => this.#requireAccount()),
      localAddress: { name: a.accountId, deviceId: a.deviceId },
    };
  }

  #id(): string {
    return toHex(this.#p.randomBytes(ID_BYTES));
  }

  /** Creates the account key, the first device, its prekeys and the signed device list. */
  async register(username: string): Promise<AccountRecord> {
    if (this.account !== undefined)
      throw new ClientError('MISUSE', 'this home is already registered');
    const p = this.#p;
    const accountKey = generateIdentityKeyPair(p);
    const identity = generateIdentityKeyPair(p);
    const mlsKey = p.ed25519.generateKeyPair();
    const registrationId = generateRegistrationId(p);
    const secret = toBase64(p.randomBytes(DEVICE_SECRET_BYTES));
    let created;
    try {
      created = await this.#relay.createAccount({
        username,
        identityKey: toBase64(serializePublicKey(accountKey.publicKey)),
        device: {
          secret,
          registrationId,
          identityKey: toBase64(serializePublicKey(identity.publicKey)),
        },
      });
    } catch (e) {
      if (e instanceof RelayCallError && e.relayCode === 'USERNAME_TAKEN')
        throw new ClientError('USERNAME_TAKEN', `the username ${username} is taken`);
      throw e;
    }
    const account: AccountRecord = {
      accountId: created.accountId,
      deviceId: created.deviceId,
      username: username.toLowerCase(),
      secret,
      registrationId,
      identity: toBase64(serializeIdentityKeyPair(identity)),
      accountKey: toBase64(serializePublicKey(accountKey.publicKey)),
      accountPrivateKey: toBase64(accountKey.privateKey),
      nextPreKeyId: 1,
      nextKyberPreKeyId: 2,
      deviceListVersion: 0,
      ownDevices: [],
      mlsSignaturePrivateKey: toBase64(mlsKey.privateKey),
    };
    this.#db.transact((w) => records.putAccount(w, account));
    await this.#publishDeviceList([
      {
        deviceId: created.deviceId,
        identityKey: serializePublicKey(identity.publicKey),
        mlsSignatureKey: mlsKey.publicKey,
      },
    ]);
    await this.#uploadPreKeys(true);
    await this.#groups.uploadKeyPackages(true);
    return this.#requireAccount();
  }

  /** On a new device: opens a provisioning channel and returns the code to show the primary. */
  async startLink(): Promise<PendingLink> {
    if (this.account !== undefined)
      throw new ClientError('MISUSE', 'this home is already registered');
    const p = this.#p;
    const eph = p.x25519.generateKeyPair();
    const identity = generateIdentityKeyPair(p);
    const mlsKey = p.ed25519.generateKeyPair();
    const { channelId } = await this.#relay.openProvisioning();
    const code = formatLinkCode({
      channelId,
      ephemeralKey: eph.publicKey,
      identityKey: serializePublicKey(identity.publicKey),
      mlsSignatureKey: mlsKey.publicKey,
    });
    const complete = async (): Promise<AccountRecord> => {
      const deadline = this.#now() + LINK_WAIT_MS;
      let ciphertext: string | null = null;
      while (ciphertext === null) {
        if (this.#now() > deadline)
          throw new ClientError('MISUSE', 'the primary did not approve the link in time');
        ({ ciphertext } = await this.#relay.pollProvisioning(channelId));
        if (ciphertext === null) await this.#sleep(LINK_POLL_MS);
      }
      const payload = openProvisioning(p, channelId, eph.privateKey, ciphertext);
      eph.privateKey.fill(0);
      const registrationId = generateRegistrationId(p);
      const secret = toBase64(p.randomBytes(DEVICE_SECRET_BYTES));
      const linked = await this.#relay.linkDevice({
        linkToken: payload.linkToken,
        device: {
          secret,
          registrationId,
          identityKey: toBase64(serializePublicKey(identity.publicKey)),
        },
      });
      const account: AccountRecord = {
        accountId: linked.accountId,
        deviceId: linked.deviceId,
        username: payload.username,
        secret,
        registrationId,
        identity: toBase64(serializeIdentityKeyPair(identity)),
        accountKey: payload.accountKey,
        nextPreKeyId: 1,
        nextKyberPreKeyId: 2,
        deviceListVersion: 0,
        ownDevices: [],
        mlsSignaturePrivateKey: toBase64(mlsKey.privateKey),
      };
      this.#db.transact((w) => records.putAccount(w, account));
      await this.#uploadPreKeys(true);
      await this.#groups.uploadKeyPackages(true);
      return this.#requireAccount();
    };
    return { code, complete };
  }

  /**
   * On the primary: sends the new device what it needs, waits until it has joined the relay with
   * the identity key from the code, then signs a device list that includes it.
   */
  async approveLink(codeText: string): Promise<number> {
    const a = this.#requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary device can approve a link');
    const code = parseLinkCode(codeText);
    const { linkToken } = await this.#relay.linkToken(this.#auth(a));
    await this.#relay.putProvisioning(
      this.#auth(a),
      code.channelId,
      sealProvisioning(this.#p, code, {
        accountId: a.accountId,
        username: a.username,
        accountKey: a.accountKey,
        linkToken,
      }),
    );
    const wanted = toBase64(code.identityKey);
    const deadline = this.#now() + LINK_WAIT_MS;
    for (;;) {
      const { devices } = await this.#relay.devices(this.#auth(a));
      const joined = devices.find((d) => d.identityKey === wanted);
      if (joined !== undefined) {
        const own = await this.#ownDevices(a);
        await this.#publishDeviceList([
          ...jsonToEntries(own.filter((d) => d.deviceId !== joined.deviceId)),
          {
            deviceId: joined.deviceId,
            identityKey: code.identityKey,
            ...(code.mlsSignatureKey && { mlsSignatureKey: code.mlsSignatureKey }),
          },
        ]);
        return joined.deviceId;
      }
      if (this.#now() > deadline)
        throw new ClientError('MISUSE', 'the new device did not join in time');
      await this.#sleep(LINK_POLL_MS);
    }
  }

  /** Signs and publishes a new device list with the next version (primary only). */
  async #publishDeviceList(devices: DeviceList['devices']): Promise<void> {
    const a = this.#requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary device holds the account key');
    const version = a.deviceListVersion + 1;
    const blob = signDeviceList(this.#p, fromBase64(a.accountPrivateKey), {
      accountId: a.accountId,
      version,
      timestamp: this.#now(),
      devices,
    });
    await this.#relay.putDeviceList(this.#auth(a), { version, blob });
    this.#db.transact((w) =>
      records.putAccount(w, {
        ...a,
        deviceListVersion: version,
        ownDevices: entriesToJson(devices),
      }),
    );
  }

  /** Generates and uploads one-time prekeys (and, with `initial`, the signed and last-resort ones). */
  async #uploadPreKeys(initial: boolean): Promise<void> {
    const a = this.#requireAccount();
    const p = this.#p;
    const identity = deviceIdentity(a);
    const now = this.#now();
    const pre = Array.from({ length: PREKEY_BATCH }, (_, i) =>
      generatePreKey(p, a.nextPreKeyId + i),
    );
    const kyber = Array.from({ length: PREKEY_BATCH }, (_, i) =>
      generateKyberPreKey(p, identity, a.nextKyberPreKeyId + i, now, false),
    );
    const signed = initial ? generateSignedPreKey(p, identity, 1, now) : undefined;
    const lastResort = initial ? generateKyberPreKey(p, identity, 1, now, true) : undefined;
    this.#db.transact((w) => {
      for (const k of pre) w.put(NS.preKey, String(k.id), serializePreKeyRecord(k));
      for (const k of [...kyber, ...(lastResort ? [lastResort] : [])])
        w.put(NS.kyberPreKey, String(k.id), serializeKyberPreKeyRecord(k));
      if (signed) w.put(NS.signedPreKey, String(signed.id), serializeSignedPreKeyRecord(signed));
      records.putAccount(w, {
        ...a,
        nextPreKeyId: a.nextPreKeyId + PREKEY_BATCH,
        nextKyberPreKeyId: a.nextKyberPreKeyId + PREKEY_BATCH,
      });
    });
    await this.#relay.uploadKeys(this.#auth(a), {
      ...(signed && { signedPreKey: signedPreKeyUpload(signed) }),
      ...(lastResort && { kyberLastResortPreKey: kyberUpload(lastResort) }),
      kyberPreKeys: kyber.map(kyberUpload),
      preKeys: pre.map((k) => ({
        keyId: k.id,
        publicKey: toBase64(serializePublicKey(k.keyPair.publicKey)),
      })),
    });
  }

  /**
   * Replaces the signed prekey and the last-resort Kyber prekey once they are
   * `SIGNED_PREKEY_ROTATION_MS` old (`receive` calls this); replaced ones are kept
   * `RETIRED_KEY_GRACE_MS` for PreKey messages still on their way, then deleted. True if it
   * rotated.
   */
  rotateSignedPreKeys(): Promise<boolean> {
    return this.#serial(() => this.#rotateSignedPreKeys());
  }

  async #rotateSignedPreKeys(): Promise<boolean> {
    const a = this.#requireAccount();
    const now = this.#now();
    if (a.signedKeysAt === undefined) {
      this.#db.transact((w) => records.putAccount(w, { ...a, signedKeysAt: now }));
      return false;
    }
    if (now - a.signedKeysAt < SIGNED_PREKEY_ROTATION_MS) return false;
    const identity = deviceIdentity(a);
    const signed = generateSignedPreKey(this.#p, identity, (a.signedPreKeyId ?? 1) + 1, now);
    const lastResort = generateKyberPreKey(this.#p, identity, a.nextKyberPreKeyId, now, true);
    // Stored before the upload, so a bundle the relay serves always has its private keys here;
    // if the upload fails, the next attempt writes the same ids again.
    this.#db.transact((w) => {
      w.put(NS.signedPreKey, String(signed.id), serializeSignedPreKeyRecord(signed));
      w.put(NS.kyberPreKey, String(lastResort.id), serializeKyberPreKeyRecord(lastResort));
    });
    await this.#relay.uploadKeys(this.#auth(a), {
      signedPreKey: signedPreKeyUpload(signed),
      kyberLastResortPreKey: kyberUpload(lastResort),
    });
    this.#db.transact((w) => {
      const current = records.account(w) ?? a;
      const retired = [
        ...(current.retiredKeys ?? []),
        {
          signedPreKeyId: current.signedPreKeyId ?? 1,
          kyberPreKeyId: current.lastResortKyberPreKeyId ?? 1,
          retiredAt: now,
        },
      ];
      const keep = retired
        .filter((r) => now - r.retiredAt < RETIRED_KEY_GRACE_MS)
        .slice(-MAX_RETIRED_KEYS);
      for (const r of retired) {
        if (keep.includes(r)) continue;
        w.delete(NS.signedPreKey, String(r.signedPreKeyId));
        w.delete(NS.kyberPreKey, String(r.kyberPreKeyId));
      }
      records.putAccount(w, {
        ...current,
        signedPreKeyId: signed.id,
        lastResortKyberPreKeyId: lastResort.id,
        nextKyberPreKeyId: Math.max(current.nextKyberPreKeyId, lastResort.id + 1),
        signedKeysAt: now,
        retiredKeys: keep,
      });
    });
    return true;
  }

  /** Uploads more one-time prekeys when the relay says they run low. */
  topUpPreKeys(): Promise<boolean> {
    return this.#serial(() => this.#topUpPreKeys());
  }

  async #topUpPreKeys(): Promise<boolean> {
    const status = await this.#relay.keyStatus(this.#auth());
    if (!status.low) return false;
    await this.#uploadPreKeys(false);
    return true;
  }

  /** The relay's view of this account's devices. */
  async devices(): Promise<{ deviceId: number; createdAt: number; signed: boolean }[]> {
    const a = this.#requireAccount();
    const { devices } = await this.#relay.devices(this.#auth(a));
    const own = await this.#ownDevices(a);
    return devices.map((d) => ({
      deviceId: d.deviceId,
      createdAt: d.createdAt,
      signed: own.some((o) => o.deviceId === d.deviceId),
    }));
  }

  /** Removes a device: a new signed list without it, then the relay drops it (primary only). */
  async removeDevice(deviceId: number): Promise<void> {
    const a = this.#requireAccount();
    if (deviceId === a.deviceId)
      throw new ClientError('MISUSE', 'a device cannot remove itself here');
    const own = await this.#ownDevices(a);
    await this.#publishDeviceList(jsonToEntries(own.filter((d) => d.deviceId !== deviceId)));
    await this.#relay.removeDevice(this.#auth(a), deviceId);
  }

  /** Deletes the account at the relay and forgets it locally. */
  async deleteAccount(): Promise<void> {
    await this.#relay.deleteAccount(this.#auth());
    this.#db.transact((w) => {
      for (const ns of [...Object.values(NS), ...Object.values(GROUP_NS)])
        for (const [k] of w.list(ns)) w.delete(ns, k);
    });
  }

  /** Our own devices from our signed list (refetched so other devices' changes are seen). */
  async #ownDevices(a: AccountRecord): Promise<AccountRecord['ownDevices']> {
    const signed = await this.#relay.deviceList(this.#auth(a), a.accountId);
    const list = verifyDeviceList(
      this.#p,
      keyBody(fromBase64(a.accountKey)),
      a.accountId,
      signed.blob,
      a.deviceListVersion,
    );
    const devices = entriesToJson(list.devices);
    this.#db.transact((w) => {
      const current = records.account(w) ?? a;
      records.putAccount(w, { ...current, deviceListVersion: list.version, ownDevices: devices });
    });
    return devices;
  }

  /** Any account's devices from its verified signed list (an unknown account is trusted on first use). */
  async #verifiedDevices(accountId: string): Promise<readonly DeviceJson[]> {
    const a = this.#requireAccount();
    if (accountId === a.accountId) return this.#ownDevices(a);
    let contact = this.#contactByAccount(accountId);
    if (contact === undefined) {
      const info = await this.#relay.account(this.#auth(a), accountId);
      contact = this.#trust(info.username.toLowerCase(), info.accountId, info.identityKey);
    }
    if (contact.pendingKey !== undefined)
      throw new ClientError('KEY_CHANGED', `${contact.username}'s key changed`);
    return this.#contactDevices(contact);
  }

  /**
   * Creates an MLS group named `name` (the name stays inside MLS) with every signed device of
   * each user and our own other devices.
   */
  createGroup(
    name: string,
    usernames: readonly string[] = [],
  ): Promise<{ groupId: string; events: GroupEvent[] }> {
    return this.#serial(() => this.#groups.create(name, usernames));
  }

  /** Adds users (all devices in their signed lists) to a group (name, id or id prefix). */
  addToGroup(group: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    return this.#serial(() => this.#groups.add(group, usernames));
  }

  /** Removes every device of each user from a group. */
  removeFromGroup(group: string, usernames: readonly string[]): Promise<GroupEvent[]> {
    return this.#serial(() => this.#groups.remove(group, usernames));
  }

  /** Leaves a group with all our devices (another member commits it). */
  leaveGroup(group: string): Promise<GroupEvent[]> {
    return this.#serial(() => this.#groups.leave(group));
  }

  /** Our groups and their rosters, as the MLS state says. */
  groups(): GroupSummary[] {
    return this.#groups.list();
  }

  /** A group's messages, oldest first. */
  groupHistory(group: string): GroupMessageRecord[] {
    return this.#groups.history(group);
  }

  /**
   * Sends text to every member device of a group through the durable group outbox: `sent`, or
   * `queued` when the relay cannot take it now (a later flush sends it, exactly once, in order).
   */
  sendToGroup(group: string, text: string): Promise<GroupSendResult> {
    return this.#serial(() => this.#groups.send(group, text));
  }

  /**
   * Group work after envelopes were processed outside `receive` (the live connection): commits
   * other members' leave requests, re-proposes our own leave, tops up KeyPackages.
   */
  groupMaintenance(): Promise<GroupEvent[]> {
    return this.#serial(() => this.#groups.maintain());
  }

  /**
   * Looks a username up and applies trust on first use to its account key. A key (or account)
   * that differs from the accepted one is recorded as pending and sending refuses (`KEY_CHANGED`).
   */
  async #resolveContact(username: string): Promise<ContactRecord> {
    const name = username.toLowerCase();
    let found;
    try {
      found = await this.#relay.accountByUsername(this.#auth(), name);
    } catch (e) {
      if (
        e instanceof RelayCallError &&
        (e.relayCode === 'ACCOUNT_NOT_FOUND' || e.relayCode === 'INVALID_REQUEST')
      )
        throw new ClientError('UNKNOWN_USER', `no user named ${name}`);
      throw e;
    }
    return this.#trust(name, found.accountId, found.identityKey);
  }

  #trust(username: string, accountId: string, identityKey: string): ContactRecord {
    return this.#db.transact((w) => {
      const known = records.contact(w, username);
      if (known === undefined) {
        const c: ContactRecord = {
          username,
          accountId,
          accountKey: identityKey,
          deviceListVersion: 0,
          devices: [],
        };
        records.putContact(w, c);
        return c;
      }
      const same =
        known.accountId === accountId &&
        constantTimeEqual(fromBase64(known.accountKey), fromBase64(identityKey));
      if (same) return known;
      const c: ContactRecord = { ...known, pendingKey: identityKey, pendingAccountId: accountId };
      records.putContact(w, c);
      return c;
    });
  }

  #contactByAccount(accountId: string): ContactRecord | undefined {
    return records.contacts(this.#db).find((c) => c.accountId === accountId);
  }

  /** Accepts a contact's new account key after a change (the user checked the safety number). */
  acceptKey(username: string): void {
    this.#db.transact((w) => {
      const c = records.contact(w, username.toLowerCase());
      if (c?.pendingKey === undefined)
        throw new ClientError('MISUSE', `no key change to accept for ${username}`);
      records.putContact(w, {
        username: c.username,
        accountId: c.pendingAccountId ?? c.accountId,
        accountKey: c.pendingKey,
        deviceListVersion: c.pendingAccountId === undefined ? c.deviceListVersion : 0,
        devices: [],
      });
    });
  }

  /** The safety number with `username` (after a key change: the new key's, marked `pending`). */
  async safetyNumber(username: string): Promise<SafetyNumber & { readonly keyChanged: boolean }> {
    const a = this.#requireAccount();
    const c = await this.#resolveContact(username);
    const remoteKey = c.pendingKey ?? c.accountKey;
    const remoteId = c.pendingAccountId ?? c.accountId;
    const n = safetyNumber(
      this.#p,
      { id: utf8Encode(a.accountId), key: fromBase64(a.accountKey) },
      { id: utf8Encode(remoteId), key: fromBase64(remoteKey) },
    );
    return { ...n, keyChanged: c.pendingKey !== undefined };
  }

  /** The conversation with `username`, oldest first. */
  history(username: string): MessageRecord[] {
    const c = records.contact(this.#db, username.toLowerCase());
    if (c === undefined) return [];
    return records.messages(this.#db).filter((m) => m.peer === c.accountId);
  }

  message(id: string): MessageRecord | undefined {
    return records.message(this.#db, id);
  }

  /** Sends text to every device of `username` and a copy to our other devices. */
  send(username: string, text: string): Promise<SendResult> {
    return this.#serial(() => this.#send(username, text));
  }

  async #send(username: string, text: string): Promise<SendResult> {
    const a = this.#requireAccount();
    const c = await this.#resolveContact(username);
    if (c.pendingKey !== undefined)
      throw new ClientError(
        'KEY_CHANGED',
        `${c.username}'s key changed; verify it, then accept it`,
      );
    const id = this.#id();
    const sentAt = this.#now();
    const entry: OutboxRecord = {
      clientMessageId: id,
      to: c.accountId,
      content: toBase64(encodeContent({ kind: 'text', id, text, sentAt })),
      syncContent: toBase64(encodeContent({ kind: 'sent', to: c.accountId, id, text, sentAt })),
      createdAt: sentAt,
    };
    this.#db.transact((w) => {
      if (records.outbox(w).length >= MAX_OUTBOX_ENTRIES)
        throw new ClientError('MISUSE', 'the outbox is full; run receive or check the relay');
      records.putOutbox(w, entry);
      records.putMessage(w, {
        id,
        peer: c.accountId,
        direction: 'out',
        text,
        sentAt,
        status: 'pending',
      });
    });
    const serverTimestamp = await this.#deliver(a, entry);
    return { messageId: id, serverTimestamp };
  }

  /** Sends a read receipt for every received, unread message from `username`. */
  markRead(username: string): Promise<number> {
    return this.#serial(() => this.#markRead(username));
  }

  async #markRead(username: string): Promise<number> {
    const unread = this.history(username).filter(
      (m) => m.direction === 'in' && m.status === 'received',
    );
    const c = records.contact(this.#db, username.toLowerCase());
    if (c === undefined || unread.length === 0) return 0;
    this.#db.transact((w) => {
      for (const m of unread) records.putMessage(w, { ...m, status: 'read' });
      this.#queueReceipt(
        w,
        c.accountId,
        'read',
        unread.map((m) => m.id),
      );
    });
    await this.#flushOutbox();
    return unread.length;
  }

  #queueReceipt(w: StorageWriter, to: string, receipt: 'delivered' | 'read', ids: string[]): void {
    const id = this.#id();
    records.putOutbox(w, {
      clientMessageId: id,
      to,
      content: toBase64(encodeContent({ kind: 'receipt', receipt, ids })),
      createdAt: this.#now(),
    });
  }

  /**
   * Retries every outbox entry, 1:1 and group (a group whose epoch moved on waits for the next
   * `receive`); returns how many are still waiting.
   */
  flushOutbox(): Promise<number> {
    return this.#serial(async () => {
      const waiting = await this.#flushOutbox();
      return waiting + (await this.#groups.flushOutbox(false)).waiting;
    });
  }

  async #flushOutbox(): Promise<number> {
    const a = this.#requireAccount();
    let waiting = 0;
    for (const entry of records.outbox(this.#db)) {
      try {
        await this.#deliver(a, entry);
      } catch (e) {
        if (!(e instanceof ClientError)) throw e;
        waiting++;
      }
    }
    return waiting;
  }

  /** Encrypts an outbox entry for the verified devices and posts it until the relay has it. */
  async #deliver(a: AccountRecord, entry: OutboxRecord): Promise<number> {
    const contact = this.#contactByAccount(entry.to);
    if (contact === undefined) throw new ClientError('MISUSE', 'unknown recipient');
    if (contact.pendingKey !== undefined)
      throw new ClientError(
        'KEY_CHANGED',
        `${contact.username}'s key changed; verify it, then accept it`,
      );
    const excluded = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const theirs = await this.#contactDevices(contact);
      const ours =
        entry.syncContent === undefined
          ? []
          : (await this.#ownDevices(a)).filter((d) => d.deviceId !== a.deviceId);
      const targets: Target[] = [
        ...theirs.map((d) => ({
          accountId: contact.accountId,
          deviceId: d.deviceId,
          identityKey: fromBase64(d.identityKey),
          content: fromBase64(entry.content),
        })),
        ...ours.map((d) => ({
          accountId: a.accountId,
          deviceId: d.deviceId,
          identityKey: fromBase64(d.identityKey),
          content: fromBase64(entry.syncContent ?? ''),
        })),
      ].filter((t) => !excluded.has(`${t.accountId}.${t.deviceId}`));
      const destinations = [];
      for (const t of targets) destinations.push(await this.#encryptFor(a, t));
      try {
        const result = await this.#relay.send(this.#auth(a), {
          clientMessageId: entry.clientMessageId,
          destinations,
        });
        this.#db.transact((w) => {
          records.deleteOutbox(w, entry.clientMessageId);
          const m = records.message(w, entry.clientMessageId);
          if (m?.status === 'pending') records.putMessage(w, { ...m, status: 'sent' });
        });
        return result.serverTimestamp;
      } catch (e) {
        if (
          !(e instanceof RelayCallError) ||
          e.relayCode !== 'DEVICE_MISMATCH' ||
          attempt >= MAX_MISMATCH_RETRIES
        )
          throw e;
        this.#handleMismatch(e.body.details, targets, excluded);
      }
    }
  }

  /** Applies a `DEVICE_MISMATCH`: drop stale sessions, skip extra devices, refuse unlisted ones. */
  #handleMismatch(details: unknown, targets: readonly Target[], excluded: Set<string>): void {
    const accounts = (details as { accounts?: unknown } | undefined)?.accounts;
    if (!Array.isArray(accounts)) throw new ClientError('RELAY', 'malformed device mismatch');
    for (const m of accounts as {
      accountId: string;
      missing: number[];
      extra: number[];
      stale: number[];
    }[]) {
      for (const id of m.extra) excluded.add(`${m.accountId}.${id}`);
      this.#db.transact((w) => {
        for (const id of m.stale)
          w.delete(NS.session, addressKey({ name: m.accountId, deviceId: id }));
      });
      for (const id of m.missing) {
        if (!targets.some((t) => t.accountId === m.accountId && t.deviceId === id))
          throw new ClientError(
            'UNTRUSTED_DEVICES',
            `the relay lists device ${id} that the account's signed device list does not contain; nothing was sent`,
          );
      }
    }
  }

  /** A contact's devices from its signed list, verified under the accepted account key. */
  async #contactDevices(c: ContactRecord): Promise<ContactRecord['devices']> {
    const signed = await this.#relay.deviceList(this.#auth(), c.accountId);
    const list = verifyDeviceList(
      this.#p,
      keyBody(fromBase64(c.accountKey)),
      c.accountId,
      signed.blob,
      c.deviceListVersion,
    );
    const devices = entriesToJson(list.devices);
    this.#db.transact((w) => {
      const current = records.contact(w, c.username) ?? c;
      records.putContact(w, { ...current, deviceListVersion: list.version, devices });
    });
    return devices;
  }

  /** Ensures a session whose identity is the listed key, then encrypts; commits the ratchet step. */
  async #encryptFor(
    a: AccountRecord,
    t: Target,
  ): Promise<{
    accountId: string;
    deviceId: number;
    registrationId: number;
    type: number;
    content: string;
  }> {
    const address: ProtocolAddress = { name: t.accountId, deviceId: t.deviceId };
    const ctx = this.#ctx(a);
    const key = addressKey(address);
    const knownIdentity = this.#db.get(NS.identity, key);
    const listed = keyBody(t.identityKey);
    if (knownIdentity !== undefined && !constantTimeEqual(knownIdentity, listed)) {
      this.#db.transact((w) => {
        w.delete(NS.session, key);
        w.delete(NS.identity, key);
      });
    }
    if (!(await hasSession(ctx, address))) {
      const response = await this.#relay.bundles(this.#auth(a), t.accountId, t.deviceId);
      const device = response.devices.find((d) => d.deviceId === t.deviceId);
      if (device === undefined)
        throw new ClientError('RELAY', 'the relay returned no keys for a listed device');
      const bundle = toBundle(device);
      if (!constantTimeEqual(bundle.identityKey, listed))
        throw new ClientError(
          'UNTRUSTED_DEVICES',
          'a device key from the relay does not match the signed device list',
        );
      const started = await processPreKeyBundle(ctx, address, bundle, this.#now());
      this.#db.transact((w) => {
        applyChanges(w, started.changes);
      });
    }
    const sent = await encrypt(ctx, address, t.content, this.#now());
    this.#db.transact((w) => applyChanges(w, sent.changes));
    // The registration id the relay checks: the session's (set from the bundle or the PreKey message).
    const registrationId = sent.changes.session.current?.remoteRegistrationId ?? 0;
    return {
      accountId: t.accountId,
      deviceId: t.deviceId,
      registrationId,
      type: sent.output.type,
      content: toBase64(sent.output.serialized),
    };
  }

  /** Fetches and processes everything queued; each message is stored and marked seen in one transaction, then acknowledged. */
  receive(): Promise<ClientEvent[]> {
    return this.#serial(() => this.#receive());
  }

  async #receive(): Promise<ClientEvent[]> {
    const a = this.#requireAccount();
    const events: ClientEvent[] = [];
    let usedPreKey = false;
    for (let page = 0; page < MAX_FETCH_PAGES_PER_RECEIVE; page++) {
      const { messages, more } = await this.#relay.fetchMessages(this.#auth(a));
      const acks = messages.map((m) => m.guid);
      if (messages.some((m) => m.type === 3 && !records.seen(this.#db, m.guid))) usedPreKey = true;
      events.push(...(await this.#processEnvelopes(messages)));
      if (acks.length > 0) await this.#relay.ack(this.#auth(a), acks);
      if (!more) break;
    }
    if (usedPreKey) await this.#topUpPreKeys();
    await this.#flushOutbox();
    try {
      await this.#rotateSignedPreKeys();
    } catch (e) {
      // Retried at the next receive; the keys being served stay valid meanwhile.
      if (!(e instanceof ClientError)) throw e;
    }
    try {
      events.push(...(await this.#groups.maintain()));
    } catch (e) {
      // What was received is stored and acknowledged; group upkeep is retried next time.
      if (!(e instanceof ClientError)) throw e;
    }
    // After upkeep, so a leave request is committed before our queued messages go out.
    events.push(...(await this.#groups.flushOutbox(true)).events);
    return events;
  }

  /**
   * The sans-I/O core of receiving: processes envelopes however they arrived (HTTP page or
   * WebSocket frame). Each unseen one is stored with its seen mark in one transaction; the
   * caller acknowledges all of them afterwards (a seen one is acknowledged again, not shown).
   */
  processEnvelopes(envelopes: readonly Envelope[]): Promise<ClientEvent[]> {
    return this.#serial(() => this.#processEnvelopes(envelopes));
  }

  async #processEnvelopes(envelopes: readonly Envelope[]): Promise<ClientEvent[]> {
    const a = this.#requireAccount();
    const events: ClientEvent[] = [];
    const lists = this.#groups.lists();
    for (const env of envelopes) {
      if (records.seen(this.#db, env.guid)) continue;
      if (GROUP_ENVELOPE_TYPES.includes(env.type))
        events.push(...(await this.#groups.processEnvelope(env, lists)));
      else events.push(await this.#process(a, env));
    }
    return events;
  }

  /** This device's relay credentials (for the WebSocket `auth` frame). */
  credentials(): DeviceCredentials {
    return this.#auth();
  }

  /** Processes one envelope; the result is committed with the seen mark, whatever it is. */
  async #process(a: AccountRecord, env: Envelope): Promise<ClientEvent> {
    const drop = (reason: string): ClientEvent => {
      this.#db.transact((w) => records.markSeen(w, env.guid, this.#now()));
      return { type: 'dropped', reason, senderAccountId: env.senderAccountId };
    };
    const own = env.senderAccountId === a.accountId;
    let listedKey: string | undefined;
    let contact: ContactRecord | undefined;
    try {
      if (own) {
        listedKey = (await this.#ownDevices(a)).find(
          (d) => d.deviceId === env.senderDeviceId,
        )?.identityKey;
      } else {
        contact = this.#contactByAccount(env.senderAccountId);
        if (contact === undefined) {
          const info = await this.#relay.account(this.#auth(a), env.senderAccountId);
          contact = this.#trust(info.username.toLowerCase(), info.accountId, info.identityKey);
        }
        listedKey = (await this.#contactDevices(contact)).find(
          (d) => d.deviceId === env.senderDeviceId,
        )?.identityKey;
      }
    } catch (e) {
      if (e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES') return drop(e.message);
      throw e;
    }
    if (listedKey === undefined) return drop('the sending device is not in a signed device list');
    const address: ProtocolAddress = { name: env.senderAccountId, deviceId: env.senderDeviceId };
    let decrypted;
    try {
      decrypted = await decrypt(this.#ctx(a), address, env.type, fromBase64(env.content));
    } catch (e) {
      if (e instanceof ProtocolError) return drop('the message could not be decrypted');
      throw e;
    }
    if (!constantTimeEqual(decrypted.changes.identity, keyBody(fromBase64(listedKey))))
      return drop('the sending device key does not match the signed device list');
    let content: Content;
    try {
      content = decodeContent(decrypted.output);
    } catch {
      content = { kind: 'unsupported' };
    }
    if (content.kind === 'sent' && own && this.#contactByAccount(content.to) === undefined) {
      try {
        const info = await this.#relay.account(this.#auth(a), content.to);
        this.#trust(info.username.toLowerCase(), info.accountId, info.identityKey);
      } catch (e) {
        if (!(e instanceof RelayCallError)) throw e;
      }
    }
    return this.#db.transact((w): ClientEvent => {
      applyChanges(w, decrypted.changes);
      records.markSeen(w, env.guid, this.#now());
      const from = contact?.username ?? a.username;
      switch (content.kind) {
        case 'text': {
          if (own)
            return {
              type: 'dropped',
              reason: 'text from our own device',
              senderAccountId: env.senderAccountId,
            };
          const message: MessageRecord = {
            id: content.id,
            peer: env.senderAccountId,
            direction: 'in',
            text: content.text,
            sentAt: content.sentAt,
            status: 'received',
            fromDevice: env.senderDeviceId,
          };
          if (records.message(w, content.id) === undefined) records.putMessage(w, message);
          this.#queueReceipt(w, env.senderAccountId, 'delivered', [content.id]);
          return { type: 'message', message, from };
        }
        case 'sent': {
          if (!own)
            return {
              type: 'dropped',
              reason: 'sync from another account',
              senderAccountId: env.senderAccountId,
            };
          const message: MessageRecord = {
            id: content.id,
            peer: content.to,
            direction: 'out',
            text: content.text,
            sentAt: content.sentAt,
            status: 'sent',
          };
          if (records.message(w, content.id) === undefined) records.putMessage(w, message);
          const to = this.#contactByAccount(content.to)?.username ?? content.to;
          return { type: 'sent-sync', message, to };
        }
        case 'receipt': {
          for (const id of content.ids) {
            const m = records.message(w, id);
            if (m?.direction !== 'out' || m.peer !== env.senderAccountId) continue;
            if (
              m.status === 'read' ||
              (m.status === 'delivered' && content.receipt === 'delivered')
            )
              continue;
            records.putMessage(w, { ...m, status: content.receipt });
          }
          return { type: 'receipt', receipt: content.receipt, ids: content.ids, from };
        }
        case 'unsupported':
          return {
            type: 'dropped',
            reason: 'content of a kind this version does not know',
            senderAccountId: env.senderAccountId,
          };
      }
    });
  }
}

/** The API's bundle (base64, serialized keys) as the protocol's `PreKeyBundle`. */
function toBundle(d: PreKeyBundleDevice): PreKeyBundle {
  if (d.signedPreKey === null || d.kyberPreKey === null)
    throw new ClientError('RELAY', 'the device has not published its prekeys');
  return {
    registrationId: d.registrationId,
    deviceId: d.deviceId,
    identityKey: deserializePublicKey(fromBase64(d.identityKey)),
    signedPreKey: {
      id: d.signedPreKey.keyId,
      publicKey: deserializePublicKey(fromBase64(d.signedPreKey.publicKey)),
      signature: fromBase64(d.signedPreKey.signature),
    },
    preKey:
      d.preKey === null
        ? undefined
        : { id: d.preKey.keyId, publicKey: deserializePublicKey(fromBase64(d.preKey.publicKey)) },
    kyberPreKey: {
      id: d.kyberPreKey.keyId,
      publicKey: deserializeKyberPublicKey(fromBase64(d.kyberPreKey.publicKey)),
      signature: fromBase64(d.kyberPreKey.signature),
    },
  };
}

/** A signed prekey as the relay's upload takes it. */
function signedPreKeyUpload(k: SignedPreKeyRecord): SignedPreKeyUpload {
  return {
    keyId: k.id,
    publicKey: toBase64(serializePublicKey(k.keyPair.publicKey)),
    signature: toBase64(k.signature),
  };
}

/** A Kyber prekey (one-time or last-resort) as the relay's upload takes it. */
function kyberUpload(k: KyberPreKeyRecord): SignedPreKeyUpload {
  return {
    keyId: k.id,
    publicKey: toBase64(serializeKyberPublicKey(k.keyPair.publicKey)),
    signature: toBase64(k.signature),
  };
}
