/**
 * Sending 1:1: every message (and receipt) is written to the durable outbox first, then
 * encrypted for every device in the recipient's verified signed list (and, as `sent` content,
 * for our other devices) and posted under its id as `clientMessageId`, so a retry after a crash
 * is idempotent at the relay. A `DEVICE_MISMATCH` that names a device no signed list holds stops
 * the send: nothing goes to anyone (`UNTRUSTED_DEVICES`).
 */
import { conforms, schemas, type PreKeyBundleDevice } from '@parley/api';
import { constantTimeEqual, fromBase64, toBase64 } from '@parley/bytes';
import {
  ProtocolError,
  addressKey,
  deserializeKyberPublicKey,
  deserializePublicKey,
  encrypt,
  hasSession,
  processPreKeyBundle,
  type PreKeyBundle,
  type ProtocolAddress,
} from '@parley/protocol';
import { encodeContent, type AttachmentPointer, type Content } from './content.js';
import { keyBody, type ClientContext } from './context.js';
import type { LazyTransparency } from './lazy-transparency.js';
import { ClientError } from './errors.js';
import { RelayCallError } from './http.js';
import {
  actionContent,
  applyAction,
  checkOwnAction,
  type MessageAction,
} from './message-actions.js';
import { MAX_MISMATCH_RETRIES, MAX_OUTBOX_ENTRIES } from './limits.js';
import {
  NS,
  applyChanges,
  records,
  type AccountRecord,
  type ContactRecord,
  type OutboxRecord,
} from './state.js';
import { settings } from './settings.js';
import type { StorageWriter } from './storage.js';
import type { Profiles } from './profiles.js';
import type { DirectDestination, SealedSender } from './sealed-sender.js';
import type { Trust } from './trust.js';
import { unreadFrom } from './unread-index.js';

export interface SendResult {
  readonly messageId: string;
  readonly serverTimestamp: number;
  /** Whether the contact's devices got it sealed (the relay did not learn the sender). */
  readonly sealed: boolean;
}

/** How one outbox entry went out. */
interface Delivered {
  readonly serverTimestamp: number;
  readonly sealed: boolean;
}

interface Target {
  readonly accountId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly content: Uint8Array;
}

export class Outbox {
  readonly #c: ClientContext;
  readonly #trust: Trust;
  readonly #profiles: Profiles;
  readonly #sealed: SealedSender;
  readonly #kt: LazyTransparency;

  constructor(
    context: ClientContext,
    trust: Trust,
    profiles: Profiles,
    sealed: SealedSender,
    kt: LazyTransparency,
  ) {
    this.#c = context;
    this.#trust = trust;
    this.#profiles = profiles;
    this.#sealed = sealed;
    this.#kt = kt;
  }

  /** Sends text to every device of `username` and a copy to our other devices. */
  async send(
    username: string,
    text: string,
    attachments?: readonly AttachmentPointer[],
    replyTo?: string,
  ): Promise<SendResult> {
    const c = this.#c;
    const a = c.requireAccount();
    const contact = await this.#contactForSend(username);
    refuseChangedKey(contact);
    const id = c.id();
    const sentAt = c.now();
    const timer = settings.timer(c.db, { peer: contact.accountId }).seconds;
    const shown = {
      ...(attachments === undefined ? {} : { attachments }),
      ...(replyTo === undefined ? {} : { replyTo }),
    };
    const extra = { ...shown, ...(timer > 0 ? { expiresIn: timer } : {}) };
    const expiresAt = timer > 0 ? sentAt + timer * 1000 : undefined;
    // Our log head goes into the message when a log is pinned (its code loads on first need).
    const gossip = await this.#kt.gossip();
    const plain = encodeContent({ kind: 'text', id, text, sentAt, ...extra });
    const entry: OutboxRecord = {
      clientMessageId: id,
      to: contact.accountId,
      content: toBase64(gossip === undefined ? plain : gossip.withGossip(c, plain)),
      syncContent: toBase64(
        encodeContent({ kind: 'sent', to: contact.accountId, id, text, sentAt, ...extra }),
      ),
      createdAt: sentAt,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    };
    c.db.transact((w) => {
      if (records.outbox(w).length >= MAX_OUTBOX_ENTRIES)
        throw new ClientError('MISUSE', 'the outbox is full; run receive or check the relay');
      records.putOutbox(w, entry);
      records.putMessage(w, {
        id,
        peer: contact.accountId,
        direction: 'out',
        text,
        sentAt,
        status: 'pending',
        ...shown,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    });
    const delivered = await this.#deliver(a, entry);
    await this.#shareProfileKey(a, contact.accountId);
    await this.#shareProfileKey(a, a.accountId);
    return { messageId: id, ...delivered };
  }

  /**
   * Reacts to, edits or deletes for everyone a message of the conversation with `username`:
   * applied here and queued for the contact's devices and our others in one transaction.
   */
  act(username: string, target: string, action: MessageAction): Promise<SendResult> {
    const a = this.#c.requireAccount();
    return this.control(username, (contact, at) => {
      const m = checkOwnAction(records.message(this.#c.db, target), action);
      if (m.peer !== contact.accountId)
        throw new ClientError('INVALID_INPUT', 'that message is not in this conversation');
      return {
        content: actionContent(action, target, at),
        sync: actionContent(action, target, at, contact.accountId),
        apply: (w) => {
          const done = applyAction(
            w,
            a.accountId,
            contact.accountId,
            a.accountId,
            target,
            action,
            at,
          );
          if ('refused' in done) throw new ClientError('INVALID_INPUT', done.refused);
        },
      };
    });
  }

  /**
   * Sends content that is not a message (an action, typing, the timer) to `username`'s devices
   * and, with `sync`, to our other devices; `apply` is its local effect, in the transaction that
   * queues it.
   */
  async control(
    username: string,
    make: (
      contact: ContactRecord,
      at: number,
    ) => { content: Content; sync?: Content; apply?: (w: StorageWriter) => void },
  ): Promise<SendResult> {
    const c = this.#c;
    const a = c.requireAccount();
    const contact = await this.#contactForSend(username);
    refuseChangedKey(contact);
    const id = c.id();
    const at = c.now();
    const made = make(contact, at);
    const entry: OutboxRecord = {
      clientMessageId: id,
      to: contact.accountId,
      content: toBase64(encodeContent(made.content)),
      ...(made.sync === undefined ? {} : { syncContent: toBase64(encodeContent(made.sync)) }),
      createdAt: at,
    };
    c.db.transact((w) => {
      if (records.outbox(w).length >= MAX_OUTBOX_ENTRIES)
        throw new ClientError('MISUSE', 'the outbox is full; run receive or check the relay');
      made.apply?.(w);
      records.putOutbox(w, entry);
    });
    const delivered = await this.#deliver(a, entry);
    await this.#shareProfileKey(a, contact.accountId);
    await this.#shareProfileKey(a, a.accountId);
    return { messageId: id, ...delivered };
  }

  /**
   * The contact to send to: looked up again (noticing a key change), or, when the relay cannot
   * be reached, the one we already know, so the message waits in the outbox. Delivery still
   * sends only to devices of a list signed by the accepted key, fetched when it goes out.
   */
  async #contactForSend(username: string): Promise<ContactRecord> {
    try {
      return await this.#trust.resolveContact(username);
    } catch (e) {
      const known = records.contact(this.#c.db, username.toLowerCase());
      if (e instanceof ClientError && e.code === 'UNREACHABLE' && known !== undefined) return known;
      throw e;
    }
  }

  /** Sends a read receipt for every received, unread message from `username`. */
  async markRead(username: string): Promise<number> {
    const c = this.#c;
    const contact = records.contact(c.db, username.toLowerCase());
    if (contact === undefined) return 0;
    const unread = unreadFrom(c.db, contact.accountId, records);
    if (unread.length === 0) return 0;
    c.db.transact((w) => {
      for (const m of unread) records.putMessage(w, { ...m, status: 'read' });
      this.queueReceipt(
        w,
        contact.accountId,
        'read',
        unread.map((m) => m.id),
      );
    });
    await this.flush();
    return unread.length;
  }

  /**
   * Queues our profile key for `to` in the caller's transaction if it does not have the current
   * one (first contact, or after a rotation); the next flush sends it.
   */
  queueProfileKey(w: StorageWriter, to: string): void {
    // Only the primary holds the account's key (and gives it to our other devices too).
    const key = this.#profiles.storedKey(w);
    if (this.#c.requireAccount().deviceId !== 1 || key === undefined) return;
    if (!this.#profiles.needsKey(w, to)) return;
    this.queueContent(w, to, { kind: 'profile-key', key: toBase64(key) });
    this.#profiles.markShared(w, to);
  }

  /** Sends our profile key to `to` now if it lacks it (it waits in the outbox otherwise). */
  async #shareProfileKey(a: AccountRecord, to: string): Promise<void> {
    if (a.deviceId !== 1 || !this.#profiles.needsKey(this.#c.db, to)) return;
    const before = new Set(records.outbox(this.#c.db).map((e) => e.clientMessageId));
    this.#c.db.transact((w) => {
      this.queueProfileKey(w, to);
    });
    for (const e of records.outbox(this.#c.db))
      if (!before.has(e.clientMessageId))
        await this.#deliver(a, e).catch((err: unknown) => {
          if (!(err instanceof ClientError)) throw err;
        });
  }

  /** Queues a receipt in the caller's transaction; the next flush sends it. */
  queueReceipt(w: StorageWriter, to: string, receipt: 'delivered' | 'read', ids: string[]): void {
    this.queueContent(w, to, { kind: 'receipt', receipt, ids });
  }

  /**
   * Queues content for every device of `to` (an account id we hold as a contact) in the
   * caller's transaction, with no copy to our other devices; the next flush sends it.
   */
  queueContent(w: StorageWriter, to: string, content: Content): void {
    records.putOutbox(w, {
      clientMessageId: this.#c.id(),
      to,
      content: toBase64(encodeContent(content)),
      createdAt: this.#c.now(),
    });
  }

  /** Retries every 1:1 outbox entry; returns how many are still waiting. */
  async flush(): Promise<number> {
    const a = this.#c.requireAccount();
    let waiting = 0;
    for (const entry of records.outbox(this.#c.db)) {
      try {
        await this.#deliver(a, entry);
      } catch (e) {
        if (!(e instanceof ClientError)) throw e;
        waiting++;
      }
    }
    return waiting;
  }

  /**
   * Encrypts an outbox entry for the verified devices and posts it until the relay has it. An
   * entry addressed to our own account goes to our other devices only.
   */
  async #deliver(a: AccountRecord, entry: OutboxRecord): Promise<Delivered> {
    const c = this.#c;
    const self = entry.to === a.accountId;
    const contact = self ? undefined : this.#trust.contactByAccount(entry.to);
    if (!self && contact === undefined) throw new ClientError('MISUSE', 'unknown recipient');
    if (contact !== undefined) refuseChangedKey(contact);
    const toOurs = self ? entry.content : entry.syncContent;
    const excluded = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const theirs = contact === undefined ? [] : await this.#trust.contactDevices(contact);
      const ours =
        toOurs === undefined
          ? []
          : (await this.#trust.ownDevices(a)).filter((d) => d.deviceId !== a.deviceId);
      const targets: Target[] = [
        ...theirs.map((d) => ({
          accountId: entry.to,
          deviceId: d.deviceId,
          identityKey: fromBase64(d.identityKey),
          content: fromBase64(entry.content),
        })),
        ...ours.map((d) => ({
          accountId: a.accountId,
          deviceId: d.deviceId,
          identityKey: fromBase64(d.identityKey),
          content: fromBase64(toOurs ?? ''),
        })),
      ].filter((t) => !excluded.has(`${t.accountId}.${t.deviceId}`));
      // Nobody to send to (a note to our other devices when there are none), or a disappearing
      // message whose time ran out while it waited: done.
      if (targets.length === 0 || (entry.expiresAt !== undefined && entry.expiresAt <= c.now())) {
        c.db.transact((w) => {
          records.deleteOutbox(w, entry.clientMessageId);
        });
        return { serverTimestamp: c.now(), sealed: false };
      }
      const destinations = [];
      for (const t of targets) destinations.push(await this.#encryptFor(a, t));
      try {
        const result = await this.#post(a, entry, destinations);
        c.db.transact((w) => {
          records.deleteOutbox(w, entry.clientMessageId);
          const m = records.message(w, entry.clientMessageId);
          if (m?.status === 'pending') records.putMessage(w, { ...m, status: 'sent' });
        });
        return result;
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

  /**
   * Posts the ciphertexts: sealed to the contact's devices when we hold its delivery token
   * (`sealed-sender.ts`), then our own devices' copies, sealed too when we hold our own token
   * (else authenticated); everything authenticated in one post otherwise (no token, or the relay
   * refused the contact's sealed post). A note to self goes sealed to our devices the same way.
   * A crash between the two posts re-sends the first on retry: receivers keep one copy per
   * message id.
   */
  async #post(
    a: AccountRecord,
    entry: OutboxRecord,
    destinations: readonly DirectDestination[],
  ): Promise<Delivered> {
    const c = this.#c;
    const expiry = entry.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt };
    const self = entry.to === a.accountId;
    const ours = destinations.filter((d) => d.accountId === a.accountId);
    /** Our devices' copies: sealed under our own token if the relay takes it, else authenticated. */
    const postOurs = async (): Promise<number | undefined> => {
      const own = this.#profiles.tokenOf(a, a.accountId);
      const at =
        own === undefined ? undefined : await this.#sealed.send(a, a.accountId, own, ours, expiry);
      if (at !== undefined || self) return at;
      return (
        await c.relay.send(c.auth(a), {
          clientMessageId: entry.clientMessageId,
          destinations: ours,
          ...expiry,
        })
      ).serverTimestamp;
    };
    if (self && ours.length > 0) {
      const at = await postOurs();
      if (at !== undefined) return { serverTimestamp: at, sealed: true };
    }
    const token = self ? undefined : this.#profiles.tokenOf(a, entry.to);
    const theirs = destinations.filter((d) => d.accountId === entry.to);
    if (token !== undefined && theirs.length > 0) {
      const at = await this.#sealed.send(a, entry.to, token, theirs, expiry);
      if (at !== undefined) {
        if (ours.length > 0) await postOurs();
        return { serverTimestamp: at, sealed: true };
      }
    }
    const result = await c.relay.send(c.auth(a), {
      clientMessageId: entry.clientMessageId,
      destinations: [...destinations],
      ...expiry,
    });
    return { serverTimestamp: result.serverTimestamp, sealed: false };
  }

  /**
   * Applies a `DEVICE_MISMATCH` for the accounts this send targets (anything else in it is the
   * relay's error, ignored): drop stale sessions, skip extra devices, refuse unlisted ones.
   */
  #handleMismatch(details: unknown, targets: readonly Target[], excluded: Set<string>): void {
    if (!conforms(schemas.DeviceMismatchDetails, details))
      throw new ClientError('RELAY_INCONSISTENT', 'the relay sent a malformed device mismatch');
    const targeted = new Set(targets.map((t) => t.accountId));
    for (const m of details.accounts.filter((x) => targeted.has(x.accountId))) {
      for (const id of m.extra) excluded.add(`${m.accountId}.${id}`);
      this.#c.db.transact((w) => {
        for (const id of m.stale)
          if (targets.some((t) => t.accountId === m.accountId && t.deviceId === id))
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

  /** Ensures a session whose identity is the listed key, then encrypts; commits the ratchet step. */
  async #encryptFor(a: AccountRecord, t: Target): Promise<DirectDestination> {
    const c = this.#c;
    const address: ProtocolAddress = { name: t.accountId, deviceId: t.deviceId };
    const ctx = c.protocol(a);
    const key = addressKey(address);
    const knownIdentity = c.db.get(NS.identity, key);
    const listed = keyBody(t.identityKey);
    if (knownIdentity !== undefined && !constantTimeEqual(knownIdentity, listed)) {
      c.db.transact((w) => {
        w.delete(NS.session, key);
        w.delete(NS.identity, key);
      });
    }
    if (!(await hasSession(ctx, address))) {
      const response = await c.relay.bundles(c.auth(a), t.accountId, t.deviceId);
      const device = response.devices.find((d) => d.deviceId === t.deviceId);
      if (device === undefined)
        throw new ClientError('RELAY', 'the relay returned no keys for a listed device');
      const bundle = toBundle(device);
      if (!constantTimeEqual(bundle.identityKey, listed))
        throw new ClientError(
          'UNTRUSTED_DEVICES',
          'a device key from the relay does not match the signed device list',
        );
      let started;
      try {
        started = await processPreKeyBundle(ctx, address, bundle, c.now());
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        throw new ClientError(
          'UNTRUSTED_DEVICES',
          e.code === 'INVALID_SIGNATURE'
            ? "a prekey from the relay is not signed by the device's listed key; nothing was sent"
            : 'the relay served an unusable prekey bundle; nothing was sent',
        );
      }
      c.db.transact((w) => {
        applyChanges(w, started.changes);
      });
    }
    const sent = await encrypt(ctx, address, t.content, c.now());
    c.db.transact((w) => applyChanges(w, sent.changes));
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
}

/**
 * The API's bundle (base64, serialized keys) as the protocol's `PreKeyBundle`; a key of the
 * wrong form is the relay's fault (`RELAY`), not an internal error.
 */
function toBundle(d: PreKeyBundleDevice): PreKeyBundle {
  if (d.signedPreKey === null || d.kyberPreKey === null)
    throw new ClientError('RELAY', 'the device has not published its prekeys');
  try {
    return bundleOf(d, d.signedPreKey, d.kyberPreKey);
  } catch (e) {
    if (e instanceof ClientError) throw e;
    throw new ClientError('RELAY', 'the relay served a malformed prekey bundle', undefined, {
      cause: e,
    });
  }
}

function bundleOf(
  d: PreKeyBundleDevice,
  signedPreKey: NonNullable<PreKeyBundleDevice['signedPreKey']>,
  kyberPreKey: NonNullable<PreKeyBundleDevice['kyberPreKey']>,
): PreKeyBundle {
  return {
    registrationId: d.registrationId,
    deviceId: d.deviceId,
    identityKey: deserializePublicKey(fromBase64(d.identityKey)),
    signedPreKey: {
      id: signedPreKey.keyId,
      publicKey: deserializePublicKey(fromBase64(signedPreKey.publicKey)),
      signature: fromBase64(signedPreKey.signature),
    },
    preKey:
      d.preKey === null
        ? undefined
        : { id: d.preKey.keyId, publicKey: deserializePublicKey(fromBase64(d.preKey.publicKey)) },
    kyberPreKey: {
      id: kyberPreKey.keyId,
      publicKey: deserializeKyberPublicKey(fromBase64(kyberPreKey.publicKey)),
      signature: fromBase64(kyberPreKey.signature),
    },
  };
}

/** Nothing goes to a contact whose key changed until the user has verified and accepted it. */
function refuseChangedKey(contact: ContactRecord): void {
  if (contact.pendingKey !== undefined)
    throw new ClientError(
      'KEY_CHANGED',
      `${contact.username}'s key changed; verify it, then accept it`,
    );
}
