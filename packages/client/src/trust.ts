/**
 * Contacts and trust: usernames resolved to accounts with trust on first use of the account
 * key (a later different key or account id is kept pending and stops sending until accepted),
 * and every device list, ours or a contact's, verified under the accepted account key and
 * never allowed to go backwards.
 */
import { constantTimeEqual, fromBase64, utf8Encode } from '@parley/bytes';
import { keyBody, type ClientContext } from './context.js';
import { verifyDeviceList } from './device-list.js';
import { ClientError } from './errors.js';
import { safetyNumber, type SafetyNumber } from './fingerprint.js';
import { RelayCallError } from './http.js';
import type { Transparency } from './transparency.js';

/** The key transparency checks trust asks for (`Transparency`, or its lazy facade). */
type KeyChecks = Pick<Transparency, 'verifyAccount' | 'verifyDeviceList'>;
import {
  entriesToJson,
  records,
  type AccountRecord,
  type ContactRecord,
  type DeviceJson,
} from './state.js';

export class Trust {
  readonly #c: ClientContext;
  readonly #kt: KeyChecks | undefined;

  constructor(context: ClientContext, kt?: KeyChecks) {
    this.#c = context;
    this.#kt = kt;
  }

  /**
   * Looks a username up and applies trust on first use to its account key. A key (or account)
   * that differs from the accepted one is recorded as pending and sending refuses (`KEY_CHANGED`).
   */
  async resolveContact(username: string): Promise<ContactRecord> {
    const name = username.toLowerCase();
    let found;
    try {
      found = await this.#c.relay.accountByUsername(this.#c.auth(), name);
    } catch (e) {
      if (
        e instanceof RelayCallError &&
        (e.relayCode === 'ACCOUNT_NOT_FOUND' || e.relayCode === 'INVALID_REQUEST')
      )
        throw new ClientError('UNKNOWN_USER', `no user named ${name}`);
      throw e;
    }
    if (found.username.toLowerCase() !== name)
      throw new ClientError(
        'RELAY_INCONSISTENT',
        `the relay answered for another user than ${name}`,
      );
    // Key transparency: the name's account and the account's key are the log's, or nothing
    // is trusted (and nothing is sent).
    await this.#kt?.verifyAccount(name, found.accountId, found.identityKey);
    return this.trust(name, found.accountId, found.identityKey);
  }

  /** The contact behind an account id, looked up at the relay (and trusted) if unknown. */
  async contactFor(accountId: string): Promise<ContactRecord> {
    const known = this.contactByAccount(accountId);
    if (known !== undefined) return known;
    const info = await this.#c.relay.account(this.#c.auth(), accountId);
    if (info.accountId !== accountId)
      throw new ClientError('RELAY_INCONSISTENT', 'the relay answered for another account');
    return this.trust(info.username.toLowerCase(), info.accountId, info.identityKey);
  }

  trust(username: string, accountId: string, identityKey: string): ContactRecord {
    return this.#c.db.transact((w) => {
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

  contactByAccount(accountId: string): ContactRecord | undefined {
    return records.contacts(this.#c.db).find((c) => c.accountId === accountId);
  }

  /** A username for an account id (ours, a contact's, or the id itself). */
  username(accountId: string): string {
    const a = this.#c.account();
    if (accountId === a?.accountId) return a.username;
    return this.contactByAccount(accountId)?.username ?? accountId;
  }

  /** Accepts a contact's new account key after a change (the user checked the safety number). */
  acceptKey(username: string): void {
    this.#c.db.transact((w) => {
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
    const a = this.#c.requireAccount();
    const c = await this.resolveContact(username);
    const remoteKey = c.pendingKey ?? c.accountKey;
    const remoteId = c.pendingAccountId ?? c.accountId;
    const n = safetyNumber(
      this.#c.p,
      { id: utf8Encode(a.accountId), key: fromBase64(a.accountKey) },
      { id: utf8Encode(remoteId), key: fromBase64(remoteKey) },
    );
    return { ...n, keyChanged: c.pendingKey !== undefined };
  }

  /**
   * A contact's devices from its signed list, verified under the accepted account key and (to
   * send: `inLog`) against the key transparency log.
   */
  async contactDevices(c: ContactRecord, inLog = true): Promise<ContactRecord['devices']> {
    const signed = await this.#c.relay.deviceList(this.#c.auth(), c.accountId);
    if (inLog) await this.#kt?.verifyDeviceList(c.accountId, signed.blob, signed.version);
    const list = verifyDeviceList(
      this.#c.p,
      keyBody(fromBase64(c.accountKey)),
      c.accountId,
      signed.blob,
      c.deviceListVersion,
    );
    const devices = entriesToJson(list.devices);
    this.#c.db.transact((w) => {
      const current = records.contact(w, c.username) ?? c;
      records.putContact(w, { ...current, deviceListVersion: list.version, devices });
    });
    return devices;
  }

  /**
   * A contact's devices for checking what it sent: its verified list, or the list we last
   * verified when the contact's account is gone or its key changed and is not accepted yet
   * (what its known devices sent is still theirs). Re-reads the account key when the list
   * stops verifying, so a key change is noticed; `changed` says it was noticed just now.
   */
  async receivingDevices(
    c: ContactRecord,
  ): Promise<{ readonly devices: readonly DeviceJson[]; readonly changed: boolean }> {
    if (c.pendingKey !== undefined) return { devices: c.devices, changed: false };
    try {
      // Receiving: what a device sent is checked against its list; the log is for sending.
      return { devices: await this.contactDevices(c, false), changed: false };
    } catch (e) {
      if (e instanceof RelayCallError && e.relayCode === 'ACCOUNT_NOT_FOUND')
        return { devices: c.devices, changed: false };
      if (!(e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES')) throw e;
      const info = await this.#c.relay.account(this.#c.auth(), c.accountId);
      if (info.accountId !== c.accountId)
        throw new ClientError('RELAY_INCONSISTENT', 'the relay answered for another account');
      const now = this.trust(c.username, info.accountId, info.identityKey);
      if (now.pendingKey === undefined) throw e;
      return { devices: c.devices, changed: true };
    }
  }

  /**
   * Our own devices for checking what they sent: the verified list, or the one we last
   * verified while it does not verify (our primary just changed the account key and its note
   * saying so is among what we are reading).
   */
  async ownReceivingDevices(a: AccountRecord): Promise<readonly DeviceJson[]> {
    try {
      return await this.ownDevices(a);
    } catch (e) {
      if (!(e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES')) throw e;
      return a.ownDevices;
    }
  }

  /** Our own devices from our signed list (refetched so other devices' changes are seen). */
  async ownDevices(a: AccountRecord): Promise<AccountRecord['ownDevices']> {
    const signed = await this.#c.relay.deviceList(this.#c.auth(a), a.accountId);
    const list = verifyDeviceList(
      this.#c.p,
      keyBody(fromBase64(a.accountKey)),
      a.accountId,
      signed.blob,
      a.deviceListVersion,
    );
    const devices = entriesToJson(list.devices);
    this.#c.db.transact((w) => {
      const current = records.account(w) ?? a;
      records.putAccount(w, { ...current, deviceListVersion: list.version, ownDevices: devices });
    });
    return devices;
  }

  /** Any account's devices from its verified signed list (an unknown account is trusted on first use). */
  async verifiedDevices(accountId: string): Promise<readonly DeviceJson[]> {
    const a = this.#c.requireAccount();
    if (accountId === a.accountId) return this.ownReceivingDevices(a);
    const contact = await this.contactFor(accountId);
    // Existing members stay backed by the list we verified before a key change; a device
    // signed only by an unaccepted key is not (adding users refuses a pending key anyway).
    return (await this.receivingDevices(contact)).devices;
  }
}
