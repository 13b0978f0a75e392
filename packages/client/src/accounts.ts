/**
 * The account and its devices: registration (account key, first device, prekeys, the first
 * signed device list), linking a new device over the provisioning channel, removing devices and
 * deleting the account. The account key lives on the primary only; it alone signs device lists.
 */
import { limits } from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import {
  generateIdentityKeyPair,
  generateRegistrationId,
  serializeIdentityKeyPair,
  serializePublicKey,
} from '@parley/protocol';
import { endorseAccountKey } from './account-key.js';
import type { AttachmentPointer } from './content.js';
import type { ClientContext } from './context.js';
import { signDeviceList, type DeviceList } from './device-list.js';
import { ClientError } from './errors.js';
import { GROUP_NS } from './group-records.js';
import { RelayCallError } from './http.js';
import { LINK_WAIT_MS, MAX_DEVICES_IN_LIST } from './limits.js';
import { checkLinkedList } from './link-checks.js';
import { importHistory, offerHistory, type LinkHistoryOutcome } from './link-history.js';
import type { Outbox } from './outbox.js';
import type { PreKeys } from './prekeys.js';
import {
  formatLinkCode,
  openLinkReply,
  openProvisioning,
  parseLinkCode,
  sealLinkReply,
  sealProvisioning,
} from './provisioning.js';
import { NS, entriesToJson, jsonToEntries, records, type AccountRecord } from './state.js';
import type { Trust } from './trust.js';

const DEVICE_SECRET_BYTES = 32;

/** A link in progress on the new device: show `code`, then await `complete()`. */
export interface PendingLink {
  readonly code: string;
  /**
   * Waits for the primary, joins the account and, unless `history: false`, imports the history
   * the primary offered (`link-history.ts`); a failed import does not undo the link.
   */
  complete(options?: CompleteLinkOptions): Promise<AccountRecord>;
  /** What happened to the offered history, once `complete` resolved. */
  history(): LinkHistoryOutcome | undefined;
}

export interface CompleteLinkOptions {
  /** False declines the primary's history (default: import it). */
  readonly history?: boolean;
}

/** Options of `approveLink` on the primary. */
export interface ApproveLinkOptions {
  /** False offers the new device no history (default: offer the conversations). */
  readonly history?: boolean;
}

/** What accounts need from the group side: uploading this device's first KeyPackages. */
export interface KeyPackageUploader {
  uploadKeyPackages(initial: boolean): Promise<void>;
}

export class Accounts {
  readonly #c: ClientContext;
  readonly #trust: Trust;
  readonly #preKeys: PreKeys;
  readonly #groups: KeyPackageUploader;
  readonly #outbox: Outbox;

  constructor(
    context: ClientContext,
    trust: Trust,
    preKeys: PreKeys,
    groups: KeyPackageUploader,
    outbox: Outbox,
  ) {
    this.#c = context;
    this.#trust = trust;
    this.#preKeys = preKeys;
    this.#groups = groups;
    this.#outbox = outbox;
  }

  /** Creates the account key, the first device, its prekeys and the signed device list. */
  async register(username: string): Promise<AccountRecord> {
    const c = this.#c;
    if (c.account() !== undefined)
      throw new ClientError('MISUSE', 'this home is already registered');
    const accountKey = generateIdentityKeyPair(c.p);
    const identity = generateIdentityKeyPair(c.p);
    const mlsKey = c.p.ed25519.generateKeyPair();
    const registrationId = generateRegistrationId(c.p);
    const secret = toBase64(c.p.randomBytes(DEVICE_SECRET_BYTES));
    let created;
    try {
      created = await c.relay.createAccount({
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
    c.db.transact((w) => records.putAccount(w, account));
    await this.#publishDeviceList([
      {
        deviceId: created.deviceId,
        identityKey: serializePublicKey(identity.publicKey),
        mlsSignatureKey: mlsKey.publicKey,
      },
    ]);
    await this.#preKeys.upload(true);
    await this.#groups.uploadKeyPackages(true);
    return c.requireAccount();
  }

  /** On a new device: opens a provisioning channel and returns the code to show the primary. */
  async startLink(): Promise<PendingLink> {
    const c = this.#c;
    if (c.account() !== undefined)
      throw new ClientError('MISUSE', 'this home is already registered');
    const eph = c.p.x25519.generateKeyPair();
    const identity = generateIdentityKeyPair(c.p);
    const mlsKey = c.p.ed25519.generateKeyPair();
    const { channelId } = await c.relay.openProvisioning();
    const code = formatLinkCode({
      channelId,
      ephemeralKey: eph.publicKey,
      identityKey: serializePublicKey(identity.publicKey),
      mlsSignatureKey: mlsKey.publicKey,
    });
    let history: LinkHistoryOutcome | undefined;
    const complete = async (options: CompleteLinkOptions = {}): Promise<AccountRecord> => {
      const ciphertext = await this.#awaitChannel(
        channelId,
        'the primary did not approve the link in time',
      );
      const payload = openProvisioning(c.p, channelId, eph.privateKey, ciphertext);
      eph.privateKey.fill(0);
      const registrationId = generateRegistrationId(c.p);
      const secret = toBase64(c.p.randomBytes(DEVICE_SECRET_BYTES));
      const linked = await c.relay.linkDevice({
        linkToken: payload.linkToken,
        device: {
          secret,
          registrationId,
          identityKey: toBase64(serializePublicKey(identity.publicKey)),
        },
      });
      if (linked.accountId !== payload.accountId)
        throw new ClientError(
          'RELAY_INCONSISTENT',
          'the relay linked this device to another account than the primary named',
        );
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
      c.db.transact((w) => records.putAccount(w, account));
      if (payload.reply !== undefined)
        await c.relay.putProvisioning(
          c.auth(account),
          payload.reply.channelId,
          sealLinkReply(c.p, payload.reply, {
            accountId: linked.accountId,
            deviceId: linked.deviceId,
          }),
        );
      await this.#preKeys.upload(true);
      await this.#groups.uploadKeyPackages(true);
      history =
        payload.historyNotSent === undefined
          ? await this.#importOffered(payload.history, options.history !== false)
          : { status: 'not sent', code: payload.historyNotSent };
      return c.requireAccount();
    };
    return { code, complete, history: () => history };
  }

  /**
   * On the primary: sends the new device what it needs, waits until it has joined the relay with
   * the identity key from the code, then signs a device list that includes it. The relay only
   * reports which id the new device got: an id already in our signed list is refused, and the
   * list we sign must keep every device of the one we hold (`link-checks.ts`).
   */
  async approveLink(codeText: string, options: ApproveLinkOptions = {}): Promise<number> {
    const c = this.#c;
    const a = c.requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary device can approve a link');
    const code = parseLinkCode(codeText);
    const { linkToken } = await c.relay.linkToken(c.auth(a));
    const reply = c.p.x25519.generateKeyPair();
    const { channelId: replyChannel } = await c.relay.openProvisioning();
    // A history that cannot be uploaded does not stop the link: the new device is told why.
    const offer = options.history === false ? undefined : await offerHistory(c);
    await c.relay.putProvisioning(
      c.auth(a),
      code.channelId,
      sealProvisioning(c.p, code, {
        accountId: a.accountId,
        username: a.username,
        accountKey: a.accountKey,
        linkToken,
        reply: { channelId: replyChannel, key: toBase64(reply.publicKey) },
        ...(offer !== undefined &&
          ('pointer' in offer ? { history: offer.pointer } : { historyNotSent: offer.notSent })),
      }),
    );
    const answer = await this.#awaitChannel(replyChannel, 'the new device did not join in time');
    const joined = openLinkReply(c.p, replyChannel, reply.privateKey, answer);
    reply.privateKey.fill(0);
    if (joined.accountId !== a.accountId)
      throw new ClientError('RELAY_INCONSISTENT', 'the new device joined another account');
    // The relay must have the device the answer names, with the identity key from the code.
    const { devices } = await c.relay.devices(c.auth(a));
    const atRelay = devices.find((d) => d.deviceId === joined.deviceId);
    if (atRelay?.identityKey !== toBase64(code.identityKey))
      throw new ClientError(
        'RELAY_INCONSISTENT',
        'the relay does not hold the new device with the key from its code; nothing was signed',
      );
    const own = await this.#trust.ownDevices(a);
    const entry = {
      deviceId: joined.deviceId,
      identityKey: code.identityKey,
      ...(code.mlsSignatureKey && { mlsSignatureKey: code.mlsSignatureKey }),
    };
    await this.#publishDeviceList(checkLinkedList(a, jsonToEntries(own), entry));
    return joined.deviceId;
  }

  /** Imports the history the primary offered, if any and wanted; a failure imports nothing. */
  async #importOffered(
    offered: AttachmentPointer | undefined,
    wanted: boolean,
  ): Promise<LinkHistoryOutcome> {
    if (offered === undefined) return { status: 'none' };
    if (!wanted) return { status: 'declined' };
    try {
      return { status: 'imported', messages: await importHistory(this.#c, offered) };
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
      return { status: 'failed', code: e.code };
    }
  }

  /** A provisioning channel's message, by long polls until `LINK_WAIT_MS` has passed. */
  async #awaitChannel(channelId: string, late: string): Promise<string> {
    const c = this.#c;
    const deadline = c.now() + LINK_WAIT_MS;
    for (;;) {
      const left = deadline - c.now();
      if (left <= 0) throw new ClientError('MISUSE', late);
      const waitSeconds = Math.min(limits.MAX_PROVISIONING_WAIT_S, Math.ceil(left / 1000));
      const { ciphertext } = await c.relay.pollProvisioning(channelId, waitSeconds);
      if (ciphertext !== null) return ciphertext;
    }
  }

  /** Signs and publishes a new device list with the next version (primary only). */
  async #publishDeviceList(devices: DeviceList['devices']): Promise<void> {
    const c = this.#c;
    const a = c.requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary device holds the account key');
    if (devices.length > MAX_DEVICES_IN_LIST)
      throw new ClientError('MISUSE', `at most ${MAX_DEVICES_IN_LIST} devices in a list`);
    const version = a.deviceListVersion + 1;
    const blob = signDeviceList(c.p, fromBase64(a.accountPrivateKey), {
      accountId: a.accountId,
      version,
      timestamp: c.now(),
      devices,
    });
    await c.relay.putDeviceList(c.auth(a), { version, blob });
    c.db.transact((w) =>
      records.putAccount(w, {
        ...a,
        deviceListVersion: version,
        ownDevices: entriesToJson(devices),
      }),
    );
  }

  /** The relay's view of this account's devices, each marked with whether our list signs it. */
  async devices(): Promise<{ deviceId: number; createdAt: number; signed: boolean }[]> {
    const c = this.#c;
    const a = c.requireAccount();
    const { devices } = await c.relay.devices(c.auth(a));
    const own = await this.#trust.ownDevices(a);
    return devices.map((d) => ({
      deviceId: d.deviceId,
      createdAt: d.createdAt,
      signed: own.some((o) => o.deviceId === d.deviceId),
    }));
  }

  /**
   * Removes a device. The primary signs a list without it, then the relay drops it. Another
   * device removes only itself: it tells our other devices (the primary then signs it out of
   * the list), has the relay drop it, and forgets everything here.
   */
  async removeDevice(deviceId: number): Promise<void> {
    const c = this.#c;
    const a = c.requireAccount();
    if (deviceId === a.deviceId) {
      if (a.accountPrivateKey !== undefined)
        throw new ClientError(
          'MISUSE',
          'the primary holds the account key and cannot remove itself; delete the account instead',
        );
      c.db.transact((w) => {
        this.#outbox.queueContent(w, a.accountId, { kind: 'device-leaving' });
      });
      await this.#outbox.flush();
      await c.relay.removeDevice(c.auth(a), deviceId);
      this.#forget();
      return;
    }
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary can remove another device');
    const own = await this.#trust.ownDevices(a);
    await this.#publishDeviceList(jsonToEntries(own.filter((d) => d.deviceId !== deviceId)));
    await c.relay.removeDevice(c.auth(a), deviceId);
  }

  /**
   * On the primary: signs our devices that removed themselves out of the list (they said so
   * in a `device-leaving` message from that very device). Called after receiving.
   */
  async dropLeavingDevices(): Promise<void> {
    const a = this.#c.requireAccount();
    const leaving = a.leavingDevices ?? [];
    if (a.accountPrivateKey === undefined || leaving.length === 0) return;
    const own = await this.#trust.ownDevices(a);
    if (own.some((d) => leaving.includes(d.deviceId)))
      await this.#publishDeviceList(
        jsonToEntries(own.filter((d) => !leaving.includes(d.deviceId))),
      );
    this.#c.db.transact((w) => {
      const current = records.account(w);
      if (current !== undefined) records.putAccount(w, { ...current, leavingDevices: [] });
    });
  }

  /**
   * On the primary: replaces the account key. The new key pair and the list it signs are stored
   * first; once the relay has swapped both, the key is ours and our other devices are told,
   * with the old key's endorsement. Contacts see a key change to verify. Run again after a
   * failure: it finishes what was started.
   */
  async changeAccountKey(): Promise<void> {
    const c = this.#c;
    const a = c.requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary holds the account key');
    let pending = a.pendingAccountKey;
    if (pending === undefined) {
      const own = await this.#trust.ownDevices(a);
      const fresh = generateIdentityKeyPair(c.p);
      const version = a.deviceListVersion + 1;
      pending = {
        publicKey: toBase64(serializePublicKey(fresh.publicKey)),
        privateKey: toBase64(fresh.privateKey),
        version,
        blob: signDeviceList(c.p, fresh.privateKey, {
          accountId: a.accountId,
          version,
          timestamp: c.now(),
          devices: jsonToEntries(own),
        }),
      };
      const started = pending;
      c.db.transact((w) => records.putAccount(w, { ...a, pendingAccountKey: started }));
    }
    try {
      await c.relay.changeAccountKey(c.auth(a), {
        identityKey: pending.publicKey,
        deviceList: { version: pending.version, blob: pending.blob },
      });
    } catch (e) {
      // Already done (an earlier attempt's answer was lost) if the relay serves our new key.
      if (!(e instanceof RelayCallError && e.relayCode === 'DEVICE_LIST_VERSION_STALE')) throw e;
      const served = await c.relay.account(c.auth(a), a.accountId);
      if (served.identityKey !== pending.publicKey) {
        c.db.transact((w) => {
          records.putAccount(w, withoutPendingKey(records.account(w) ?? a));
        });
        throw e;
      }
    }
    const done = pending;
    const endorsement = endorseAccountKey(
      c.p,
      fromBase64(a.accountPrivateKey),
      a.accountId,
      fromBase64(done.publicKey),
    );
    c.db.transact((w) => {
      records.putAccount(w, {
        ...withoutPendingKey(records.account(w) ?? a),
        accountKey: done.publicKey,
        accountPrivateKey: done.privateKey,
        deviceListVersion: done.version,
      });
      this.#outbox.queueContent(w, a.accountId, {
        kind: 'account-key',
        accountKey: done.publicKey,
        endorsement: toBase64(endorsement),
      });
    });
    await this.#outbox.flush();
  }

  #forget(): void {
    this.#c.db.transact((w) => {
      for (const ns of [...Object.values(NS), ...Object.values(GROUP_NS)])
        for (const [k] of w.list(ns)) w.delete(ns, k);
    });
  }

  /** Deletes the account at the relay and forgets it locally. */
  async deleteAccount(): Promise<void> {
    await this.#c.relay.deleteAccount(this.#c.auth());
    this.#forget();
  }
}

function withoutPendingKey(a: AccountRecord): AccountRecord {
  const copy: { -readonly [K in keyof AccountRecord]?: AccountRecord[K] } = { ...a };
  delete copy.pendingAccountKey;
  return copy as AccountRecord;
}
