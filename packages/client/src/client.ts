/**
 * The client's one entry point, a small facade over its parts: the account and its devices
 * (`accounts.ts`), contacts and trust (`trust.ts`), prekeys (`prekeys.ts`), sending through the
 * durable outbox (`outbox.ts`), receiving (`inbox.ts`) and groups (`groups.ts`). It holds no state
 * outside the storage backend, so a process may stop at any await and a new one continues, and it
 * runs every operation that touches sessions one at a time, so no ratchet step is lost to a race.
 */
import { conforms, schemas } from '@parley/api';
import { ClientContext, type ClientOptions } from './context.js';
import { Accounts, type ApproveLinkOptions, type PendingLink } from './accounts.js';
import { downloadAttachment, uploadAttachment, type AttachmentSource } from './attachments.js';
import type { AttachmentPointer } from './content.js';
import { ClientError } from './errors.js';
import type { SafetyNumber } from './fingerprint.js';
import type { GroupEvent, GroupSendResult, GroupSummary } from './groups.js';
import { LazyGroups } from './lazy-groups.js';
import type { GroupMessageRecord } from './group-records.js';
import type { DeviceCredentials } from './http.js';
import { Inbox, type ClientEvent } from './inbox.js';
import { MAX_FETCH_PAGES_PER_RECEIVE } from './limits.js';
import { Outbox, type SendResult } from './outbox.js';
import { PreKeys } from './prekeys.js';
import { Profiles, type Profile } from './profiles.js';
import { SealedSender } from './sealed-sender.js';
import { records, type AccountRecord, type MessageRecord } from './state.js';
import { Trust } from './trust.js';
import { noteSavedFiles, rebuildExpiryIndex, sweepExpired, type Swept } from './disappearing.js';
import {
  collectBackup,
  newRecoveryKey,
  openBackup,
  parseRecoveryKey,
  sealBackup,
} from './backup.js';
import { MAX_DISAPPEARING_SECONDS } from './limits.js';
import type { MessageAction } from './message-actions.js';
import { settings, type DeviceSettings } from './settings.js';
import type { KtLabelStatus, KtMonitorReport, KtStatus } from './transparency.js';
import { LazyTransparency } from './lazy-transparency.js';
import { relayKtTransport } from './transparency-transport.js';

export type { ClientOptions } from './context.js';
export type { ApproveLinkOptions, CompleteLinkOptions, PendingLink } from './accounts.js';
export type { LinkHistoryOutcome } from './link-history.js';
export type { ClientEvent } from './inbox.js';
export type { SendResult } from './outbox.js';
export type { Profile } from './profiles.js';
export type { MessageAction } from './message-actions.js';
export type { DeviceSettings } from './settings.js';
export type { Swept } from './disappearing.js';
export type { KtLabelStatus, KtMonitorReport, KtPolicy, KtStatus } from './transparency.js';

/** What a message carries besides its text. */
export interface SendOptions {
  readonly attachments?: readonly AttachmentPointer[];
  /** The id of the message this one replies to. */
  readonly replyTo?: string;
}

/** A conversation: with a user, or a group (name, id or id prefix). */
export type ConversationTarget = { readonly username: string } | { readonly group: string };

export class ParleyClient {
  readonly #c: ClientContext;
  readonly #trust: Trust;
  readonly #preKeys: PreKeys;
  readonly #outbox: Outbox;
  readonly #groups: LazyGroups;
  readonly #accounts: Accounts;
  readonly #inbox: Inbox;
  readonly #kt: LazyTransparency;
  readonly #profiles: Profiles;
  readonly #sealed: SealedSender;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ClientOptions) {
    const c = new ClientContext(options);
    this.#c = c;
    this.#kt = new LazyTransparency(
      c,
      options.keyTransparency?.transport ?? relayKtTransport(c.relay.baseUrl),
      options.keyTransparency?.policy ?? 'if-available',
    );
    this.#trust = new Trust(c, this.#kt);
    this.#preKeys = new PreKeys(c);
    this.#profiles = new Profiles(c);
    this.#sealed = new SealedSender(c);
    this.#outbox = new Outbox(c, this.#trust, this.#profiles, this.#sealed, this.#kt);
    this.#groups = new LazyGroups({
      primitives: c.p,
      db: c.db,
      relay: c.relay,
      now: () => c.now(),
      account: () => c.requireAccount(),
      auth: () => c.auth(),
      id: () => c.id(),
      deviceList: (accountId) => this.#trust.verifiedDevices(accountId),
      resolveContact: (username) => this.#trust.resolveContact(username),
      username: (accountId) => this.#trust.username(accountId),
      queueDirect: (w, accountId, content) => {
        this.#outbox.queueContent(w, accountId, content);
      },
    });
    this.#accounts = new Accounts(c, this.#trust, this.#preKeys, this.#groups, this.#outbox);
    this.#inbox = new Inbox(c, this.#trust, this.#outbox, this.#groups, {
      profiles: this.#profiles,
      sender: this.#sealed,
      kt: this.#kt,
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** This device's account, or undefined before `register`. */
  get account(): AccountRecord | undefined {
    return this.#c.account();
  }

  /** This device's relay credentials (for the WebSocket `auth` frame). */
  credentials(): DeviceCredentials {
    return this.#c.auth();
  }

  // --- the account and its devices ---

  /** Creates the account key, the first device, its prekeys and the signed device list. */
  register(username: string): Promise<AccountRecord> {
    return this.#serial(async () => {
      const a = await this.#accounts.register(username);
      await this.#enableSealed(a);
      return a;
    });
  }

  /** On a new device: opens a provisioning channel and returns the code to show the primary. */
  async startLink(): Promise<PendingLink> {
    const pending = await this.#accounts.startLink();
    return {
      code: pending.code,
      history: () => pending.history(),
      complete: async (options) => {
        const a = await pending.complete(options);
        await this.#enableSealed(a);
        return a;
      },
    };
  }

  /**
   * Pins the relay's sealed sender trust root and, on the primary, registers our delivery
   * token; done at registration and linking, and retried before sends and receives until done
   * (accounts made before sealed sender, a relay unreachable meanwhile). Sending falls back to
   * authenticated while it is not done.
   */
  async #enableSealed(a: AccountRecord): Promise<void> {
    try {
      await this.#sealed.pinTrustRoot();
      await this.#profiles.registerToken(a);
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
    }
  }

  // --- profiles ---

  /**
   * Sets our profile (primary only): the name and optional avatar, sealed under our profile
   * key and stored at the relay, which never sees them; contacts read it with the key we sent.
   */
  setProfile(profile: Profile): Promise<void> {
    return this.#serial(() => this.#profiles.set(this.#c.requireAccount(), profile));
  }

  /**
   * The profile of `username` (ours if it is our own), read with the profile key it sent us;
   * undefined when it sent none yet or set no profile. The name is remembered for `nameOf`.
   */
  async profile(username: string): Promise<Profile | undefined> {
    const a = this.#c.requireAccount();
    const accountId =
      username.toLowerCase() === a.username
        ? a.accountId
        : (await this.#trust.resolveContact(username)).accountId;
    return this.#profiles.get(a, accountId);
  }

  /** The profile name last read for `accountId`, without asking the relay. */
  nameOf(accountId: string): string | undefined {
    return this.#profiles.cachedName(accountId);
  }

  /** A new profile key (primary only): the old delivery token stops working at the relay. */
  rotateProfileKey(): Promise<void> {
    return this.#serial(() => this.#profiles.rotate(this.#c.requireAccount()));
  }

  /** On the primary: provisions the device behind `code` and signs a list that includes it. */
  approveLink(code: string, options?: ApproveLinkOptions): Promise<number> {
    return this.#serial(() => this.#accounts.approveLink(code, options));
  }

  /** The relay's view of this account's devices, each marked with whether our list signs it. */
  devices(): Promise<{ deviceId: number; createdAt: number; signed: boolean }[]> {
    return this.#accounts.devices();
  }

  /**
   * Removes a device: the primary removes any other; any other device removes itself (and
   * forgets everything here).
   */
  removeDevice(deviceId: number): Promise<void> {
    return this.#serial(() => this.#accounts.removeDevice(deviceId));
  }

  /**
   * Replaces the account key (primary only): contacts see a key change to verify, our other
   * devices take the new key on the old key's word. Safe to run again after a failure.
   */
  changeAccountKey(): Promise<void> {
    return this.#serial(() => this.#accounts.changeAccountKey());
  }

  /** Deletes the account at the relay and forgets it locally. */
  deleteAccount(): Promise<void> {
    return this.#serial(() => this.#accounts.deleteAccount());
  }

  // --- prekeys ---

  /** Replaces the signed and last-resort prekeys once they are old enough; true if it rotated. */
  rotateSignedPreKeys(): Promise<boolean> {
    return this.#serial(() => this.#preKeys.rotate());
  }

  /** Uploads more one-time prekeys when the relay says they run low. */
  topUpPreKeys(): Promise<boolean> {
    return this.#serial(() => this.#preKeys.topUp());
  }

  // --- contacts and trust ---

  /** Accepts a contact's new account key after a change (the user checked the safety number). */
  acceptKey(username: string): void {
    this.#trust.acceptKey(username);
  }

  /**
   * Looks `username` up again, as a send does (trust on first use, a changed key recorded as
   * pending, key transparency checked), without computing the safety number: what an app runs
   * when a conversation opens. `keyChanged`: a new key waits for `acceptKey`.
   */
  async checkContact(username: string): Promise<{ readonly keyChanged: boolean }> {
    this.#c.requireAccount();
    const c = await this.#trust.resolveContact(username);
    return { keyChanged: c.pendingKey !== undefined };
  }

  /** The safety number with `username` (after a key change: the new key's, marked `pending`). */
  safetyNumber(username: string): Promise<SafetyNumber & { readonly keyChanged: boolean }> {
    return this.#trust.safetyNumber(username);
  }

  // --- key transparency ---

  /**
   * Loads the key transparency code if this client was made from the lazy entry (`lazy.ts`);
   * after it resolves, `keyTransparencyStatus` and `contactTransparency` answer. The main entry
   * has the code from the start and resolves at once.
   */
  async prepareKeyTransparency(): Promise<void> {
    await this.#kt.verifier();
  }

  /**
   * The log this device verifies keys against, its head and the last monitoring run. From the
   * lazy entry, with a log pinned, `MISUSE` until the code is loaded (`prepareKeyTransparency`).
   */
  keyTransparencyStatus(): KtStatus {
    return this.#kt.status();
  }

  /**
   * A contact's transparency status (after `safetyNumber` or a send looked it up); from the lazy
   * entry, like `keyTransparencyStatus`.
   */
  contactTransparency(username: string): KtLabelStatus {
    const c = records.contact(this.#c.db, username.toLowerCase());
    if (c === undefined) return 'not verified';
    return this.#kt.labelStatus(c.pendingAccountId ?? c.accountId, c.username);
  }

  /**
   * Monitors every label looked up (contact monitoring) and checks this account's own labels
   * against what this device holds. Failures are in the report (and in `KT_MISMATCH` for our own
   * labels), never counted as verified.
   */
  monitorKeyTransparency(): Promise<KtMonitorReport> {
    return this.#serial(async () => {
      const report = await this.#kt.monitor();
      if (!this.#kt.enabled()) return report;
      const a = this.#c.requireAccount();
      const own = await this.#c.relay.deviceList(this.#c.auth(a), a.accountId);
      await this.#kt.checkOwn({ blob: own.blob, version: own.version });
      return report;
    });
  }

  // --- 1:1 conversations ---

  /**
   * Sends text (and the files of `options.attachments`, uploaded first with
   * `uploadAttachment`) to every device of `username` and a copy to our other devices.
   */
  send(username: string, text: string, options: SendOptions = {}): Promise<SendResult> {
    return this.#serial(async () => {
      await this.#enableSealed(this.#c.requireAccount());
      return this.#outbox.send(username, text, options.attachments, options.replyTo);
    });
  }

  /**
   * Reacts to a message of the conversation with `username` (one reaction per account: a new
   * one replaces ours; `remove` takes it back), on every device of both sides.
   */
  react(username: string, messageId: string, emoji: string, remove = false): Promise<SendResult> {
    return this.#serial(() =>
      this.#outbox.act(username, messageId, { kind: 'reaction', emoji, remove }),
    );
  }

  /** Replaces the text of one of our messages; every device keeps the earlier texts. */
  edit(username: string, messageId: string, text: string): Promise<SendResult> {
    return this.#serial(() => this.#outbox.act(username, messageId, { kind: 'edit', text }));
  }

  /** Deletes one of our messages for everyone: its content is erased, a tombstone stays. */
  deleteForEveryone(username: string, messageId: string): Promise<SendResult> {
    return this.#serial(() => this.#outbox.act(username, messageId, { kind: 'delete' }));
  }

  // --- attachments ---

  /**
   * Encrypts a file with a fresh key and uploads it in chunks (never whole in memory); the
   * pointer goes into one message to any number of recipients (`send`, `sendToGroup`).
   */
  uploadAttachment(file: AttachmentSource): Promise<AttachmentPointer> {
    return uploadAttachment(this.#c, this.#c.blobs(), file);
  }

  /**
   * Downloads, checks and decrypts an attachment, handing its bytes to `sink` as they come (in
   * a buffer reused once `sink` returns: copy what must outlive the call).
   * The bytes are provisional until this resolves; on `ATTACHMENT_INVALID` (altered, truncated
   * or swapped at the relay) or any other failure, discard everything `sink` received.
   */
  downloadAttachment(
    pointer: AttachmentPointer,
    sink: (plain: Uint8Array) => void | Promise<void>,
  ): Promise<void> {
    return downloadAttachment(this.#c, this.#c.blobs(), pointer, sink);
  }

  /** Sends a read receipt for every received, unread message from `username`. */
  markRead(username: string): Promise<number> {
    return this.#serial(() => this.#outbox.markRead(username));
  }

  /** The conversation with `username`, oldest first. */
  history(username: string): MessageRecord[] {
    const contact = records.contact(this.#c.db, username.toLowerCase());
    if (contact === undefined) return [];
    return records.messages(this.#c.db).filter((m) => m.peer === contact.accountId);
  }

  message(id: string): MessageRecord | undefined {
    return records.message(this.#c.db, id);
  }

  /**
   * Retries every outbox entry, 1:1 and group (a group whose epoch moved on waits for the next
   * `receive`); returns how many are still waiting.
   */
  flushOutbox(): Promise<number> {
    return this.#serial(async () => {
      const waiting = await this.#outbox.flush();
      return waiting + (await this.#groups.flushOutbox(false)).waiting;
    });
  }

  // --- receiving ---

  /**
   * Fetches and processes everything queued; each envelope is stored (or dropped, or parked)
   * with its seen mark in one transaction, then acknowledged.
   */
  receive(): Promise<ClientEvent[]> {
    return this.#serial(() => this.#receive());
  }

  async #receive(): Promise<ClientEvent[]> {
    const c = this.#c;
    const a = c.requireAccount();
    await this.#enableSealed(a);
    const events: ClientEvent[] = await this.#inbox.retryParked();
    let usedPreKey = false;
    for (let page = 0; page < MAX_FETCH_PAGES_PER_RECEIVE; page++) {
      const { messages, more } = await c.relay.fetchMessages(c.auth(a));
      if (messages.some((m) => isUnseenPreKey(c, m))) usedPreKey = true;
      events.push(...(await this.#inbox.process(messages)));
      const acks = messages.flatMap((m) => guidOf(m) ?? []);
      if (acks.length > 0) await c.relay.ack(c.auth(a), acks);
      if (!more) break;
    }
    // Upkeep after what was received is stored and acknowledged: a failure here is retried at
    // the next receive and never costs the events already in hand.
    try {
      if (usedPreKey) await this.#preKeys.topUp();
    } catch (e) {
      if (!(e instanceof ClientError)) throw e;
    }
    await this.#outbox.flush();
    try {
      await this.#accounts.dropLeavingDevices();
      await this.#preKeys.rotate();
    } catch (e) {
      // The keys being served stay valid meanwhile.
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
   * WebSocket frame). Each gets its own outcome (processed, dropped or parked) committed with
   * its seen mark, so the caller acknowledges every envelope that has a guid afterwards.
   */
  processEnvelopes(envelopes: readonly unknown[]): Promise<ClientEvent[]> {
    return this.#serial(() => this.#inbox.process(envelopes));
  }

  // --- groups ---

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

  /**
   * Loads the group code if this client was made from the lazy entry (`@parley/client` in a
   * browser build, `group-code.ts`); after it resolves, `groups()` answers. The main entry has
   * the code from the start and resolves at once.
   */
  async prepareGroups(): Promise<void> {
    await this.#groups.engine();
  }

  /**
   * Our groups and their rosters, as the MLS state says. From the lazy entry, with groups in the
   * store, `MISUSE` until the group code is loaded (`prepareGroups`, or any group operation).
   */
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
  sendToGroup(group: string, text: string, options: SendOptions = {}): Promise<GroupSendResult> {
    return this.#serial(() => this.#groups.send(group, text, options));
  }

  /**
   * Reacts to, edits or deletes for everyone a message of a group, on every device of every
   * member (ours included); only its author edits or deletes it.
   */
  actInGroup(group: string, messageId: string, action: MessageAction): Promise<GroupSendResult> {
    return this.#serial(() => this.#groups.act(group, messageId, action));
  }

  // --- backups ---

  /**
   * Seals this device's keys, contacts, groups, settings and history under a fresh recovery key
   * (`backup.ts`); the archive and the key's 64 characters, to show the user once.
   */
  createBackup(): { archive: Uint8Array; recoveryKey: string } {
    this.#c.requireAccount();
    const key = newRecoveryKey(this.#c.p);
    const archive = sealBackup(this.#c.p, key.secret, collectBackup(this.#c.db, this.#c.now()));
    key.secret.fill(0);
    return { archive, recoveryKey: key.text };
  }

  /**
   * Restores an archive into this empty store (`MISUSE` if it has an account). A mistyped key is
   * `INVALID_INPUT`, a wrong one `BACKUP_WRONG_KEY`, a damaged file `BACKUP_INVALID`: in every
   * failure nothing is written. Then sessions are renewed with every contact and our other
   * devices, and groups ask to have this device added again.
   */
  restoreBackup(archive: Uint8Array, recoveryKey: string): Promise<AccountRecord> {
    return this.#serial(async () => {
      const c = this.#c;
      if (c.account() !== undefined)
        throw new ClientError('MISUSE', 'this home already has an account; restore into a new one');
      const secret = parseRecoveryKey(c.p, recoveryKey);
      const contents = openBackup(c.p, secret, archive);
      secret.fill(0);
      c.db.transact((w) => {
        for (const [ns, entries] of contents.records) for (const [k, v] of entries) w.put(ns, k, v);
        // Written raw: the expiry index is built from them in one pass.
        rebuildExpiryIndex(w);
      });
      // Then, with the account in place (a failure here leaves a restored store whose groups
      // and sessions the next receive repairs as after any lost state: nothing is lost).
      const groups = await this.#groups.engine();
      c.db.transact((w) => {
        groups.holdForRejoin(w);
        const a = c.requireAccount();
        for (const contact of records.contacts(w))
          this.#outbox.queueContent(w, contact.accountId, { kind: 'session-renewed' });
        this.#outbox.queueContent(w, a.accountId, { kind: 'session-renewed' });
      });
      try {
        await this.#outbox.flush();
      } catch (e) {
        // Waiting in the outbox; the next send or receive retries.
        if (!(e instanceof ClientError)) throw e;
      }
      return c.requireAccount();
    });
  }

  // --- settings, typing, disappearing messages ---

  /** This device's settings (typing indicators are off by default). */
  settings(): DeviceSettings {
    return settings.device(this.#c.db);
  }

  /** Turns typing indicators on or off: off, none are sent or shown. */
  setTypingIndicators(on: boolean): void {
    this.#c.db.transact((w) => {
      settings.putDevice(w, { ...settings.device(w), typingIndicators: on });
    });
  }

  /** Tells the conversation we started or stopped typing; false (nothing sent) while off. */
  async sendTyping(to: ConversationTarget, started: boolean): Promise<boolean> {
    if (!this.settings().typingIndicators) return false;
    const content = { kind: 'typing', started, at: this.#c.now() } as const;
    if ('group' in to) await this.#serial(() => this.#groups.sendContent(to.group, content));
    else await this.#serial(() => this.#outbox.control(to.username, () => ({ content })));
    return true;
  }

  /**
   * Sets a conversation's disappearing-message timer (`seconds`, 0: off) for every participant
   * and every device; messages sent afterwards disappear that long after they were sent.
   */
  setDisappearingTimer(to: ConversationTarget, seconds: number): Promise<unknown> {
    if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_DISAPPEARING_SECONDS)
      throw new ClientError('INVALID_INPUT', `a timer is 0 to ${MAX_DISAPPEARING_SECONDS} seconds`);
    const at = this.#c.now();
    if ('group' in to)
      return this.#serial(() =>
        this.#groups.sendContent(to.group, { kind: 'timer', seconds, at }, (w, groupId) => {
          settings.putTimer(w, { groupId }, { seconds, at });
        }),
      );
    return this.#serial(() =>
      this.#outbox.control(to.username, (contact) => ({
        content: { kind: 'timer', seconds, at },
        sync: { kind: 'timer', seconds, at, to: contact.accountId },
        apply: (w) => {
          settings.putTimer(w, { peer: contact.accountId }, { seconds, at });
        },
      })),
    );
  }

  /** A conversation's disappearing-message timer in seconds (0: off). */
  disappearingTimer(to: ConversationTarget): number {
    if ('group' in to)
      return settings.timer(this.#c.db, { groupId: this.#groups.resolve(to.group, true).groupId })
        .seconds;
    const contact = records.contact(this.#c.db, to.username.toLowerCase());
    return contact === undefined
      ? 0
      : settings.timer(this.#c.db, { peer: contact.accountId }).seconds;
  }

  /**
   * Deletes every message whose time is up from this device's store; returns the paths of the
   * files the app saved for them (`noteSavedFiles`), which the app deletes.
   */
  sweepExpired(): Swept {
    return this.#c.db.transact((w) => sweepExpired(w, this.#c.now()));
  }

  /** Records where the app saved a message's files (deleted with it when it expires). */
  noteSavedFiles(messageId: string, groupId: string | undefined, paths: readonly string[]): void {
    this.#c.db.transact((w) => {
      noteSavedFiles(w, messageId, groupId, paths);
    });
  }

  /**
   * Group work after envelopes were processed outside `receive` (the live connection): commits
   * other members' leave requests, re-proposes our own leave, tops up KeyPackages.
   */
  groupMaintenance(): Promise<GroupEvent[]> {
    return this.#serial(() => this.#groups.maintain());
  }
}

/** The guid of an envelope that has a well-formed one (what can be acknowledged). */
function guidOf(m: unknown): string | undefined {
  const guid = (m as { guid?: unknown } | null)?.guid;
  return conforms(schemas.Id, guid) ? guid : undefined;
}

/** An unseen PreKey message (it used one of our one-time prekeys: top up afterwards). */
function isUnseenPreKey(c: ClientContext, m: unknown): boolean {
  const guid = guidOf(m);
  return guid !== undefined && (m as { type?: unknown }).type === 3 && !records.seen(c.db, guid);
}
