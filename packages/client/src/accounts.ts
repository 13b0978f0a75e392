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
import type { ClientContext } from './context.js';
import { signDeviceList, type DeviceList } from './device-list.js';
import { ClientError } from './errors.js';
import { GROUP_NS } from './group-records.js';
import { RelayCallError } from './http.js';
import { LINK_WAIT_MS, MAX_DEVICES_IN_LIST } from './limits.js';
import { checkLinkedList } from './link-checks.js';
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
  complete(): Promise<AccountRecord>;
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

  constructor(context: ClientContext, trust: Trust, preKeys: PreKeys, groups: KeyPackageUploader) {
    this.#c = context;
    this.#trust = trust;
    this.#preKeys = preKeys;
    this.#groups = groups;
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
    const complete = async (): Promise<AccountRecord> => {
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
      return c.requireAccount();
    };
    return { code, complete };
  }

  /**
   * On the primary: sends the new device what it needs, waits until it has joined the relay with
   * the identity key from the code, then signs a device list that includes it. The relay only
   * reports which id the new device got: an id already in our signed list is refused, and the
   * list we sign must keep every device of the one we hold (`link-checks.ts`).
   */
  async approveLink(codeText: string): Promise<number> {
    const c = this.#c;
    const a = c.requireAccount();
    if (a.accountPrivateKey === undefined)
      throw new ClientError('MISUSE', 'only the primary device can approve a link');
    const code = parseLinkCode(codeText);
    const { linkToken } = await c.relay.linkToken(c.auth(a));
    const reply = c.p.x25519.generateKeyPair();
    const { channelId: replyChannel } = await c.relay.openProvisioning();
    await c.relay.putProvisioning(
      c.auth(a),
      code.channelId,
      sealProvisioning(c.p, code, {
        accountId: a.accountId,
        username: a.username,
        accountKey: a.accountKey,
        linkToken,
        reply: { channelId: replyChannel, key: toBase64(reply.publicKey) },
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

  /** Removes a device: a new signed list without it, then the relay drops it (primary only). */
  async removeDevice(deviceId: number): Promise<void> {
    const c = this.#c;
    const a = c.requireAccount();
    if (deviceId === a.deviceId)
      throw new ClientError('MISUSE', 'a device cannot remove itself here');
    const own = await this.#trust.ownDevices(a);
    await this.#publishDeviceList(jsonToEntries(own.filter((d) => d.deviceId !== deviceId)));
    await c.relay.removeDevice(c.auth(a), deviceId);
  }

  /** Deletes the account at the relay and forgets it locally. */
  async deleteAccount(): Promise<void> {
    const c = this.#c;
    await c.relay.deleteAccount(c.auth());
    c.db.transact((w) => {
      for (const ns of [...Object.values(NS), ...Object.values(GROUP_NS)])
        for (const [k] of w.list(ns)) w.delete(ns, k);
    });
  }
}
