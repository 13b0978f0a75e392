/**
 * The durable outbox for group messages. A send is queued (content and a pending message record,
 * one transaction, no network); a flush then delivers each group's entries in order:
 *
 * - it first brings the group up to date (the commit log, or, where no events can be reported,
 *   the relay's epoch: a group behind it waits for the next `receive`);
 * - it seals an entry in one transaction that reads the MLS state, encrypts, and stores both the
 *   new state (the ratchet step) and the ciphertext with its epoch in the entry; a retry in the
 *   same epoch re-posts those same bytes, a retry after the epoch moved on re-encrypts in the new
 *   one, always under the same client message id, which is also the content's message id;
 * - an entry goes sealed (`group-sealed.ts`) with the epoch's delivery token, or authenticated
 *   when the relay refuses that; the ciphertext's hash is kept with it, to drop its echo;
 * - the relay deduplicates authenticated group messages by client message id (sealed ones it
 *   cannot: it does not know the sender) and refuses a message made in
 *   another epoch than the group's (`EPOCH_CONFLICT`: the flush catches up, re-encrypts and
 *   retries, at most `MAX_COMMIT_RETRIES` times); members still drop a copy they have seen (the
 *   same message id from the same device, `group-receive.ts`), in case a relay does not;
 * - an entry of a group we left or were removed from (by our state, or the relay refusing us)
 *   fails for good: its message is marked `failed` and the failure is reported once, by
 *   `sendToGroup` for its own message or as a `group-send-failed` event from `receive`.
 *
 * The first entry of a group that cannot go yet holds the later ones back, so order is kept.
 */
import { fromBase64, toBase64 } from '@parley/bytes';
import {
  MlsError,
  encodeGroupState,
  encodeMlsMessage,
  encryptApplicationMessage,
} from '@parley/mls';
import type { GroupMessageResponse } from '@parley/api';
import { encodeContent, type AttachmentPointer, type Content } from './content.js';
import { expiryOf } from './disappearing.js';
import { settings } from './settings.js';
import type { StorageWriter } from './storage.js';
import { ClientError, type ClientErrorCode } from './errors.js';
import { epochOf, following, type GroupEvent, type GroupHost } from './group-host.js';
import type { GroupReceiver } from './group-receive.js';
import { groupRecords, type GroupOutboxRecord, type GroupRecord } from './group-records.js';
import { groupDeliveryToken, postGroupMessage, rememberPost } from './group-sealed.js';
import { RelayCallError } from './http.js';
import { MAX_COMMIT_RETRIES, MAX_GROUP_OUTBOX_ENTRIES } from './limits.js';

/** Relay answers meaning it no longer routes this group for us. */
const NOT_A_MEMBER_CODES: readonly string[] = ['FORBIDDEN', 'GROUP_NOT_FOUND'];

export interface GroupFlushResult {
  /** Membership changes that catching up processed. */
  readonly events: GroupEvent[];
  /** Each entry sent, with whether it went sealed. */
  readonly sent: Map<string, GroupMessageResponse & { readonly sealed: boolean }>;
  /** Entries that failed for good in this flush: id → the error. */
  readonly failed: Map<string, ClientError>;
  /** Why a group's entries still wait: group id → the code. */
  readonly held: Map<string, ClientErrorCode>;
  /** Entries still waiting. */
  waiting: number;
}

export class GroupOutbox {
  readonly #h: GroupHost;
  readonly #r: GroupReceiver;

  constructor(host: GroupHost, receiver: GroupReceiver) {
    this.#h = host;
    this.#r = receiver;
  }

  /**
   * Queues `text` for the group with a pending message record, in one transaction; its id. A
   * group with a disappearing timer gives the message its expiry.
   */
  queue(
    g: GroupRecord,
    text: string,
    options: { attachments?: readonly AttachmentPointer[]; replyTo?: string } = {},
  ): string {
    const me = this.#h.account();
    const id = this.#h.id();
    const sentAt = this.#h.now();
    const timer = settings.timer(this.#h.db, { groupId: g.groupId }).seconds;
    const extra = {
      ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
    };
    const content: Content = {
      kind: 'text',
      id,
      text,
      sentAt,
      ...extra,
      ...(timer > 0 ? { expiresIn: timer } : {}),
    };
    const expiresAt = expiryOf(content);
    this.queueContent(g, content, id, (w) => {
      groupRecords.putMessage(w, {
        id,
        groupId: g.groupId,
        direction: 'out',
        fromAccount: me.accountId,
        fromDevice: me.deviceId,
        text,
        sentAt,
        status: 'pending',
        ...extra,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    });
    return id;
  }

  /**
   * Queues any content for the group under `id` (a fresh one by default), with `apply` (the
   * local effect) in the same transaction; the id.
   */
  queueContent(
    g: GroupRecord,
    content: Content,
    id: string = this.#h.id(),
    apply: (w: StorageWriter) => void = () => undefined,
  ): string {
    const encoded = toBase64(encodeContent(content));
    const expiresAt = expiryOf(content);
    this.#h.db.transact((w) => {
      const all = groupRecords.outbox(w);
      if (all.length >= MAX_GROUP_OUTBOX_ENTRIES)
        throw new ClientError('MISUSE', 'the group outbox is full; run receive or check the relay');
      const seq = all.reduce((max, o) => Math.max(max, o.seq), 0) + 1;
      groupRecords.putOutbox(w, {
        clientMessageId: id,
        groupId: g.groupId,
        content: encoded,
        createdAt: this.#h.now(),
        seq,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      apply(w);
    });
    return id;
  }

  /**
   * Delivers waiting entries, in order per group (only `groupId`'s, if given). With `catchUp`
   * the commit log is processed first and its events returned; without, a group whose epoch at
   * the relay differs from ours waits (the next `receive` processes the commits).
   */
  async flush(options: {
    readonly groupId?: string;
    readonly catchUp: boolean;
  }): Promise<GroupFlushResult> {
    const result: GroupFlushResult = {
      events: [],
      sent: new Map(),
      failed: new Map(),
      held: new Map(),
      waiting: 0,
    };
    const groupIds = [
      ...new Set(
        groupRecords
          .outbox(this.#h.db)
          .filter((o) => o.failed === undefined)
          .map((o) => o.groupId),
      ),
    ].filter((id) => options.groupId === undefined || id === options.groupId);
    for (const groupId of groupIds) await this.#flushGroup(groupId, options.catchUp, result);
    return result;
  }

  async #flushGroup(groupId: string, catchUp: boolean, result: GroupFlushResult): Promise<void> {
    const h = this.#h;
    const entries = (): GroupOutboxRecord[] =>
      groupRecords.outbox(h.db).filter((o) => o.groupId === groupId && o.failed === undefined);
    const failAll = (e: ClientError): void => {
      for (const o of entries()) this.#fail(o, e, result);
    };
    const hold = (code: ClientErrorCode): void => {
      result.held.set(groupId, code);
      result.waiting += entries().length;
    };
    try {
      if (this.#gone(groupId, failAll)) return;
      if (catchUp) {
        result.events.push(...(await this.#r.catchUp(groupId, this.#r.lists())));
        if (this.#gone(groupId, failAll)) return;
      } else {
        const atRelay = await h.relay.group(h.auth(), groupId);
        if (atRelay.epoch !== epochOf(this.#r.state(groupId))) {
          hold('GROUP_CONFLICT');
          return;
        }
      }
      for (const entry of entries()) {
        const sent = await this.#post(entry, catchUp, result);
        if (sent === undefined) continue;
        h.db.transact((w) => {
          groupRecords.markSent(w, groupId, entry.clientMessageId);
        });
        result.sent.set(entry.clientMessageId, sent);
      }
    } catch (e) {
      if (e instanceof RelayCallError && NOT_A_MEMBER_CODES.includes(e.relayCode ?? '')) {
        failAll(new ClientError('NOT_A_MEMBER', 'the relay no longer routes this group for us'));
        return;
      }
      if (e instanceof MlsError) {
        failAll(new ClientError('GROUP_REFUSED', 'the group state cannot encrypt any more'));
        return;
      }
      if (!(e instanceof ClientError)) throw e;
      hold(e.code);
    }
  }

  /**
   * Posts an entry sealed in the group's current epoch; on `EPOCH_CONFLICT` (a commit got in
   * first) catches up, if it may, and tries again in the new epoch. Undefined if the entry is
   * gone (another process of this device delivered it).
   */
  async #post(
    entry: GroupOutboxRecord,
    catchUp: boolean,
    result: GroupFlushResult,
  ): Promise<(GroupMessageResponse & { readonly sealed: boolean }) | undefined> {
    for (let attempt = 0; ; attempt++) {
      const sealed = this.#seal(entry);
      if (sealed === undefined) return undefined;
      try {
        return await postGroupMessage(this.#h, entry.groupId, sealed.token, {
          clientMessageId: entry.clientMessageId,
          epoch: sealed.epoch,
          message: sealed.message,
          ...(entry.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt }),
        });
      } catch (e) {
        const conflict = e instanceof RelayCallError && e.relayCode === 'EPOCH_CONFLICT';
        if (!conflict || !catchUp || attempt >= MAX_COMMIT_RETRIES) throw e;
        result.events.push(...(await this.#r.catchUp(entry.groupId, this.#r.lists())));
        if (!following(groupRecords.group(this.#h.db, entry.groupId))) throw e;
      }
    }
  }

  /** Fails the group's entries when we are no longer a member of it (or it is blocked). */
  #gone(groupId: string, failAll: (e: ClientError) => void): boolean {
    const g = groupRecords.group(this.#h.db, groupId);
    if (!following(g)) {
      failAll(new ClientError('NOT_A_MEMBER', 'we are no longer a member of the group'));
      return true;
    }
    if (g.blocked !== undefined) {
      failAll(
        new ClientError('GROUP_REFUSED', 'the group is blocked on this device after a refusal'),
      );
      return true;
    }
    return false;
  }

  /**
   * The entry's PrivateMessage for the group's current epoch, with that epoch's delivery token:
   * the stored one if it was made in this epoch, otherwise a new encryption stored with its
   * ratchet step and its hash (to drop its echo) in the same transaction. Undefined if the
   * entry is gone (another process of this device delivered it).
   */
  #seal(
    entry: GroupOutboxRecord,
  ): { readonly epoch: number; readonly message: string; readonly token: Uint8Array } | undefined {
    return this.#h.db.transact((w) => {
      const current = groupRecords.outboxEntry(w, entry.clientMessageId);
      if (current === undefined) return undefined;
      const state = this.#r.stateIn(w, entry.groupId);
      const epoch = epochOf(state);
      const token = groupDeliveryToken(this.#r.crypto, state);
      if (current.sealed?.epoch === epoch) return { ...current.sealed, token };
      const out = encryptApplicationMessage(
        this.#r.crypto,
        state,
        fromBase64(current.content),
        this.#r.signatureKey(),
      );
      const bytes = encodeMlsMessage(out.message);
      const message = toBase64(bytes);
      groupRecords.putState(w, entry.groupId, encodeGroupState(out.state));
      groupRecords.putOutbox(w, { ...current, sealed: { epoch, message } });
      rememberPost(this.#h.primitives, w, bytes, entry.clientMessageId);
      return { epoch, message, token };
    });
  }

  #fail(entry: GroupOutboxRecord, e: ClientError, result: GroupFlushResult): void {
    this.#h.db.transact((w) => {
      const current = groupRecords.outboxEntry(w, entry.clientMessageId);
      if (current === undefined) return;
      groupRecords.putOutbox(w, { ...current, failed: { code: e.code, reason: e.message } });
      const m = groupRecords.message(w, entry.groupId, entry.clientMessageId);
      if (m !== undefined) groupRecords.putMessage(w, { ...m, status: 'failed' });
    });
    result.failed.set(entry.clientMessageId, e);
  }

  /** Forgets a failed entry once its failure was reported. */
  forget(id: string): void {
    this.#h.db.transact((w) => {
      groupRecords.deleteOutbox(w, id);
    });
  }

  /** Reports every failed entry not reported yet (as events) and forgets it. */
  reportFailures(): GroupEvent[] {
    const failed = groupRecords.outbox(this.#h.db).filter((o) => o.failed !== undefined);
    return failed.map((o): GroupEvent => {
      this.forget(o.clientMessageId);
      return {
        type: 'group-send-failed',
        groupId: o.groupId,
        group: groupRecords.group(this.#h.db, o.groupId)?.name ?? '',
        messageId: o.clientMessageId,
        code: (o.failed?.code ?? 'NOT_A_MEMBER') as ClientErrorCode,
        reason: o.failed?.reason ?? '',
      };
    });
  }
}
