/**
 * Receiving: envelopes however they came (an HTTP page, a WebSocket frame) are processed one by
 * one, and each gets its own outcome, so one bad envelope never stops the ones behind it:
 *
 * - processed: its effects (session step, stored message, queued receipt) and its seen mark are
 *   one transaction;
 * - dropped: unusable for good (malformed, undecryptable, from a device no signed list holds,
 *   from an account that no longer exists…): marked seen and reported as `dropped`;
 * - parked: it failed for a passing reason (the relay unreachable or overloaded while we looked
 *   up the sender): stored locally with its seen mark and reported as `deferred`, then retried
 *   at each receive until `PARKED_MAX_AGE_MS`.
 *
 * In every case the caller may acknowledge the envelope afterwards: it is either done or kept
 * here. Only a failing store stops the page (nothing is acknowledged then).
 */
import { actionOf, applyAction } from './message-actions.js';
import { GROUP_MESSAGE_TYPES, conforms, schemas, type Envelope } from '@parley/api';
import { constantTimeEqual, fromBase64 } from '@parley/bytes';
import { ProtocolError, decrypt, type ProtocolAddress, type PublicKey } from '@parley/protocol';
import { decodeContent, type Content } from './content.js';
import { endorsed } from './account-key.js';
import { keyBody, type ClientContext } from './context.js';
import { ClientError } from './errors.js';
import { groupRecords } from './group-records.js';
import type { GroupEvent } from './groups.js';
import type { LazyGroups } from './lazy-groups.js';
import type { LazyTransparency } from './lazy-transparency.js';
import { RelayCallError } from './http.js';
import { expiryOf } from './disappearing.js';
import { MAX_PARKED_ENVELOPES, PARKED_MAX_AGE_MS, TYPING_MAX_AGE_MS } from './limits.js';
import { settings } from './settings.js';
import type { Outbox } from './outbox.js';
import type { Profiles } from './profiles.js';
import { isSealed, type SealedSender } from './sealed-sender.js';
import {
  applyChanges,
  records,
  type AccountRecord,
  type ContactRecord,
  type DeviceJson,
  type MessageRecord,
} from './state.js';
import type { Trust } from './trust.js';

/** What receiving reports, one or more events per envelope. */
export type ClientEvent =
  | { readonly type: 'message'; readonly message: MessageRecord; readonly from: string }
  | { readonly type: 'sent-sync'; readonly message: MessageRecord; readonly to: string }
  /** A message was reacted to, edited or deleted for everyone (by `by`, a username). */
  | {
      readonly type: 'message-updated';
      readonly action: 'reaction' | 'edit' | 'delete';
      readonly by: string;
      readonly message: MessageRecord;
    }
  | {
      readonly type: 'receipt';
      readonly receipt: 'delivered' | 'read';
      readonly ids: readonly string[];
      readonly from: string;
    }
  /** An envelope that could not be used (undecryptable, from an unlisted device…); it was dropped. */
  | { readonly type: 'dropped'; readonly reason: string; readonly senderAccountId: string }
  /** An envelope kept to try again later (the relay could not answer a lookup it needed). */
  | { readonly type: 'deferred'; readonly reason: string; readonly senderAccountId: string }
  /**
   * A contact's account key changed (noticed while receiving): sending to them stops until the
   * new key is accepted; what their already verified devices send is still shown.
   */
  | { readonly type: 'key-changed'; readonly username: string }
  /** Our primary changed the account key, endorsed by the old one; this device now uses it. */
  | { readonly type: 'account-key-changed' }
  | GroupEvent;

/** The primary device's id: it holds the account key. */
const PRIMARY_DEVICE_ID = 1;

/** Envelope types the relay uses for groups (commit, Welcome, application/proposal). */
const GROUP_ENVELOPE_TYPES: readonly number[] = Object.values(GROUP_MESSAGE_TYPES);

/** Relay answers that mean "try again later", not "this envelope is bad". */
const PASSING_RELAY_CODES: readonly string[] = ['INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED'];

type Failure =
  | { readonly park: true; readonly reason: string }
  | { readonly park: false; readonly reason: string };

/** What a failure while processing one envelope means for it; a store failure is rethrown. */
function failureOf(e: unknown): Failure {
  if (e instanceof ClientError) {
    if (e.code === 'STORE_LOCKED') throw e;
    if (e.code === 'UNREACHABLE') return { park: true, reason: 'the relay could not be reached' };
    // The envelope may be fine; the relay's answer to a lookup it needed was not.
    if (e.code === 'RELAY_INCONSISTENT') return { park: true, reason: e.message };
    if (e instanceof RelayCallError) {
      if (PASSING_RELAY_CODES.includes(e.body.code))
        return { park: true, reason: `the relay could not answer (${e.body.code})` };
      if (e.body.code === 'ACCOUNT_NOT_FOUND')
        return { park: false, reason: "the sender's account no longer exists" };
      return { park: false, reason: `the relay refused a lookup it needed (${e.body.code})` };
    }
    return { park: false, reason: e.message };
  }
  const name = e instanceof Error ? e.name : typeof e;
  return { park: false, reason: `the envelope could not be processed (${name})` };
}

export class Inbox {
  readonly #c: ClientContext;
  readonly #trust: Trust;
  readonly #outbox: Outbox;
  readonly #groups: LazyGroups;

  readonly #profiles: Profiles;
  readonly #sealed: SealedSender;
  readonly #kt: LazyTransparency;

  constructor(
    context: ClientContext,
    trust: Trust,
    outbox: Outbox,
    groups: LazyGroups,
    parts: {
      readonly profiles: Profiles;
      readonly sender: SealedSender;
      readonly kt: LazyTransparency;
    },
  ) {
    this.#c = context;
    this.#trust = trust;
    this.#outbox = outbox;
    this.#groups = groups;
    this.#profiles = parts.profiles;
    this.#sealed = parts.sender;
    this.#kt = parts.kt;
  }

  /**
   * Processes envelopes as they came; every one that has a valid guid may be acknowledged
   * afterwards (it was processed, dropped or parked). An envelope that is not one at all is
   * reported and skipped; it has no guid to acknowledge.
   */
  async process(envelopes: readonly unknown[]): Promise<ClientEvent[]> {
    const events: ClientEvent[] = [];
    for (const env of envelopes) {
      if (!conforms(schemas.Envelope, env)) {
        events.push({ type: 'dropped', reason: 'a malformed envelope', senderAccountId: '' });
        continue;
      }
      if (records.seen(this.#c.db, env.guid)) continue;
      events.push(...(await this.#attempt(env, undefined)));
    }
    return events;
  }

  /** Retries parked envelopes, oldest first; drops those parked longer than `PARKED_MAX_AGE_MS`. */
  async retryParked(): Promise<ClientEvent[]> {
    const events: ClientEvent[] = [];
    for (const parked of records.parked(this.#c.db)) {
      const env = parked.envelope;
      if (this.#c.now() - parked.parkedAt > PARKED_MAX_AGE_MS) {
        this.#c.db.transact((w) => records.deleteParked(w, env.guid));
        events.push({
          type: 'dropped',
          reason: `kept ${Math.round(PARKED_MAX_AGE_MS / 86_400_000)} days without success: ${parked.reason}`,
          senderAccountId: env.senderAccountId,
        });
        continue;
      }
      events.push(...(await this.#attempt(env, parked)));
    }
    return events;
  }

  /** One envelope, fresh or parked, with its outcome. */
  async #attempt(
    env: Envelope,
    parked: { readonly parkedAt: number; readonly attempts: number } | undefined,
  ): Promise<ClientEvent[]> {
    try {
      const events = GROUP_ENVELOPE_TYPES.includes(env.type)
        ? await this.#groups.processEnvelope(env)
        : isSealed(env)
          ? await this.#sealedEvents(env)
          : await this.#directEvents(env);
      if (parked !== undefined) this.#c.db.transact((w) => records.deleteParked(w, env.guid));
      return events;
    } catch (e) {
      const failure = failureOf(e);
      const at = this.#c.now();
      return this.#c.db.transact((w): ClientEvent[] => {
        records.markSeen(w, env.guid, at);
        const room = parked !== undefined || records.parkedCount(w) < MAX_PARKED_ENVELOPES;
        if (failure.park && room) {
          records.putParked(w, {
            envelope: env,
            parkedAt: parked?.parkedAt ?? at,
            attempts: (parked?.attempts ?? 0) + 1,
            reason: failure.reason,
          });
          // Reported once, when first parked; retries stay quiet until they end.
          return parked === undefined
            ? [{ type: 'deferred', reason: failure.reason, senderAccountId: env.senderAccountId }]
            : [];
        }
        records.deleteParked(w, env.guid);
        return [{ type: 'dropped', reason: failure.reason, senderAccountId: env.senderAccountId }];
      });
    }
  }

  /**
   * The sender's listed device from its account's signed list (see
   * `Trust.receivingDevices`: a contact whose account is gone or whose key changed keeps the
   * list we last verified), and whether a key change was noticed just now.
   */
  async #sender(
    a: AccountRecord,
    env: Envelope,
  ): Promise<{
    readonly listed: DeviceJson | undefined;
    readonly contact: ContactRecord | undefined;
    readonly keyChanged: boolean;
  }> {
    const find = (devices: readonly DeviceJson[]) =>
      devices.find((d) => d.deviceId === env.senderDeviceId);
    if (env.senderAccountId === a.accountId)
      return {
        listed: find(await this.#trust.ownReceivingDevices(a)),
        contact: undefined,
        keyChanged: false,
      };
    const contact = await this.#trust.contactFor(env.senderAccountId);
    const { devices, changed } = await this.#trust.receivingDevices(contact);
    return { listed: find(devices), contact, keyChanged: changed };
  }

  async #directEvents(env: Envelope, certifiedKey?: PublicKey): Promise<ClientEvent[]> {
    const notes: ClientEvent[] = [];
    const event = await this.#direct(env, notes, certifiedKey);
    return event === undefined ? notes : [...notes, event];
  }

  /**
   * A sealed envelope: opened and its certificate checked first (`sealed-sender.ts`); only then
   * is its sender known, and the inner message goes through the same checks as any other.
   */
  async #sealedEvents(env: Envelope): Promise<ClientEvent[]> {
    const c = this.#c;
    let opened;
    try {
      opened = this.#sealed.unseal(c.requireAccount(), env);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      c.db.transact((w) => records.markSeen(w, env.guid, c.now()));
      // This device's copy of a sealed post of its own (`SealedSender.send`): nothing to show.
      if (e.code === 'SEALED_SENDER_SELF_SEND') return [];
      const reason =
        e.code === 'CERTIFICATE_EXPIRED'
          ? 'a sealed message whose sender certificate had expired'
          : e.code === 'INVALID_CERTIFICATE'
            ? 'a sealed message whose sender certificate is not signed by the pinned trust root'
            : e.code === 'UNTRUSTED_IDENTITY'
              ? 'a sealed message certified as this device under a key that is not ours'
              : 'a sealed message that could not be opened';
      return [{ type: 'dropped', reason, senderAccountId: '' }];
    }
    return this.#directEvents(opened.envelope, opened.certifiedKey);
  }

  /**
   * One 1:1 envelope; its outcome is committed with the seen mark, whatever it is (undefined:
   * control content that shows nothing).
   */
  async #direct(
    env: Envelope,
    notes: ClientEvent[],
    certifiedKey: PublicKey | undefined,
  ): Promise<ClientEvent | undefined> {
    const c = this.#c;
    const a = c.requireAccount();
    const drop = (reason: string): ClientEvent => {
      c.db.transact((w) => records.markSeen(w, env.guid, c.now()));
      return { type: 'dropped', reason, senderAccountId: env.senderAccountId };
    };
    const own = env.senderAccountId === a.accountId;
    let sender;
    try {
      sender = await this.#sender(a, env);
    } catch (e) {
      if (e instanceof ClientError && e.code === 'UNTRUSTED_DEVICES') return drop(e.message);
      throw e;
    }
    const { listed, contact } = sender;
    if (sender.keyChanged && contact !== undefined)
      notes.push({ type: 'key-changed', username: contact.username });
    if (listed === undefined) return drop('the sending device is not in a signed device list');
    if (
      certifiedKey !== undefined &&
      !constantTimeEqual(certifiedKey, keyBody(fromBase64(listed.identityKey)))
    )
      return drop('the sender certificate names a key the signed device list does not hold');
    const address: ProtocolAddress = { name: env.senderAccountId, deviceId: env.senderDeviceId };
    let decrypted;
    try {
      decrypted = await decrypt(c.protocol(a), address, env.type, fromBase64(env.content));
    } catch (e) {
      if (e instanceof ProtocolError) return drop('the message could not be decrypted');
      throw e;
    }
    if (!constantTimeEqual(decrypted.changes.identity, keyBody(fromBase64(listed.identityKey))))
      return drop('the sending device key does not match the signed device list');
    let content: Content;
    try {
      content = decodeContent(decrypted.output);
    } catch {
      content = { kind: 'unsupported' };
    }
    if (content.kind === 'sent' && own && this.#trust.contactByAccount(content.to) === undefined) {
      try {
        await this.#trust.contactFor(content.to);
      } catch (e) {
        if (!(e instanceof RelayCallError)) throw e;
      }
    }
    // The log head a text carries is compared in the transaction that stores it (the code loads
    // first, only when a log is pinned here).
    const gossip = content.kind === 'text' ? await this.#kt.gossip() : undefined;
    return c.db.transact((w): ClientEvent | undefined => {
      applyChanges(w, decrypted.changes);
      records.markSeen(w, env.guid, c.now());
      if (content.kind === 'text') gossip?.takeGossip(c, w, decrypted.output, env.senderAccountId);
      const from = contact?.username ?? a.username;
      const dropped = (reason: string): ClientEvent => ({
        type: 'dropped',
        reason,
        senderAccountId: env.senderAccountId,
      });
      switch (content.kind) {
        case 'text': {
          if (own) return dropped('text from our own device');
          const expiresAt = expiryOf(content);
          // Past its timer on arrival (it waited too long somewhere): never stored or shown.
          if (expiresAt !== undefined && expiresAt <= c.now()) return undefined;
          const message: MessageRecord = {
            id: content.id,
            peer: env.senderAccountId,
            direction: 'in',
            text: content.text,
            sentAt: content.sentAt,
            status: 'received',
            fromDevice: env.senderDeviceId,
            ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
            ...(content.replyTo === undefined ? {} : { replyTo: content.replyTo }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
          };
          if (records.message(w, content.id) === undefined) records.putMessage(w, message);
          this.#outbox.queueReceipt(w, env.senderAccountId, 'delivered', [content.id]);
          this.#outbox.queueProfileKey(w, env.senderAccountId);
          return { type: 'message', message, from };
        }
        case 'sent': {
          if (!own) return dropped('sync from another account');
          const expiresAt = expiryOf(content);
          if (expiresAt !== undefined && expiresAt <= c.now()) return undefined;
          const message: MessageRecord = {
            id: content.id,
            peer: content.to,
            direction: 'out',
            text: content.text,
            sentAt: content.sentAt,
            status: 'sent',
            ...(content.attachments === undefined ? {} : { attachments: content.attachments }),
            ...(content.replyTo === undefined ? {} : { replyTo: content.replyTo }),
            ...(expiresAt === undefined ? {} : { expiresAt }),
          };
          if (records.message(w, content.id) === undefined) records.putMessage(w, message);
          return { type: 'sent-sync', message, to: this.#trust.username(content.to) };
        }
        case 'reaction':
        case 'edit':
        case 'delete': {
          const action = actionOf(content);
          if (action === undefined) return dropped('not an action');
          // From a contact: their conversation. From our own device: the one it names.
          const peer = own ? content.to : env.senderAccountId;
          if (peer === undefined)
            return dropped('an action from our device without its conversation');
          const done = applyAction(
            w,
            a.accountId,
            peer,
            env.senderAccountId,
            content.target,
            action,
            c.now(),
          );
          if ('refused' in done) return dropped(done.refused);
          return {
            type: 'message-updated',
            action: action.kind,
            by: own ? a.username : from,
            message: done.message,
          };
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
        case 'group-rejoin': {
          if (own) return dropped('a rejoin request from our own account');
          // Kept for group upkeep, which acts on it only if this very device still holds the
          // leaf key it names in a group we follow (`groups.ts`, `rejoin`).
          groupRecords.putRejoinRequest(w, {
            groupId: content.groupId,
            accountId: env.senderAccountId,
            deviceId: env.senderDeviceId,
            leafKey: content.leafKey,
            receivedAt: c.now(),
          });
          return undefined;
        }
        case 'account-key': {
          // Only from our primary, and only with the old key's endorsement of the new one.
          if (!own || env.senderDeviceId !== PRIMARY_DEVICE_ID)
            return dropped('an account key change not from our primary device');
          const current = records.account(w) ?? a;
          if (
            !endorsed(
              c.p,
              keyBody(fromBase64(current.accountKey)),
              current.accountId,
              fromBase64(content.accountKey),
              fromBase64(content.endorsement),
            )
          )
            return dropped('an account key change the current key did not sign');
          records.putAccount(w, { ...current, accountKey: content.accountKey });
          return { type: 'account-key-changed' };
        }
        case 'device-leaving': {
          if (!own) return dropped('a device-leaving note from another account');
          const current = records.account(w) ?? a;
          if (current.accountPrivateKey !== undefined)
            records.putAccount(w, {
              ...current,
              leavingDevices: [...(current.leavingDevices ?? []), env.senderDeviceId],
            });
          return undefined;
        }
        case 'profile-key': {
          // A contact's key, kept for sealed sending and its profile; or our account's, from
          // our primary only.
          if (own && env.senderDeviceId !== PRIMARY_DEVICE_ID)
            return dropped('a profile key not from our primary device');
          this.#profiles.receiveKey(w, env.senderAccountId, fromBase64(content.key), own);
          return undefined;
        }
        case 'typing':
          if (own || !settings.device(w).typingIndicators) return undefined;
          if (c.now() - content.at > TYPING_MAX_AGE_MS) return undefined;
          return { type: 'typing', from, started: content.started };
        case 'timer': {
          // From a contact: their conversation. From our own device: the one it names.
          const peer = own ? content.to : env.senderAccountId;
          if (peer === undefined)
            return dropped('a timer from our device without its conversation');
          if (!settings.putTimer(w, { peer }, { seconds: content.seconds, at: content.at }))
            return undefined;
          return {
            type: 'timer-changed',
            by: from,
            seconds: content.seconds,
            peer: this.#trust.username(peer),
          };
        }
        case 'session-renewed':
          return undefined;
        case 'unsupported':
          return dropped('content of a kind this version does not know');
      }
    });
  }
}
