/**
 * What a person does to messages, for the engine: send (with files and a reply), react, edit,
 * delete for everyone, fetch a file, and retry a failed send. The SDK does the work and stores
 * the result, which reaches the tabs through the mirror as the store's writes.
 */
import { ClientError, clientLimits, type MessageAction, type ParleyClient } from '@parley/client';
import { attachmentSource, downloadToBlob } from './attachment-files.js';
import { EngineError } from './engine-error.js';
import type { HistoryIndex } from './history-index.js';
import { MAX_TIMELINE_PAGE, SUMMARY_RECENT } from './limits.js';
import type { Mirror } from './mirror.js';
import { parseConvId, type ConversationId, type Requests } from './protocol.js';

/** What the actions need of the engine. */
export interface ActionsHost {
  readonly client: ParleyClient;
  readonly mirror: Mirror;
  readonly index: HistoryIndex;
  /** Throws unless there is an account. */
  readonly requireAccount: () => void;
  /** Throws if the relay removed this device. */
  readonly requireConnected: () => void;
  /** Whether the live connection is up. */
  readonly online: () => boolean;
  /** Flushes both outboxes; failures leave entries queued. */
  readonly flush: () => Promise<void>;
  /** Waits for the whole history to be in the index. */
  readonly fullyIndexed: () => Promise<void>;
}

export class MessageActions {
  readonly #h: ActionsHost;

  constructor(host: ActionsHost) {
    this.#h = host;
  }

  async send(p: Requests['send']['params']): Promise<{ id: string }> {
    const { conv, text, since } = p;
    this.#h.requireAccount();
    this.#h.requireConnected();
    const target = parseConvId(conv);
    if (target === undefined) throw new EngineError('INVALID_INPUT', 'no such conversation');
    const files = p.files ?? [];
    if (text.trim() === '' && files.length === 0)
      throw new EngineError('INVALID_INPUT', 'the message is empty');
    if (files.length > clientLimits.MAX_ATTACHMENTS_PER_MESSAGE)
      throw new EngineError(
        'INVALID_INPUT',
        `at most ${clientLimits.MAX_ATTACHMENTS_PER_MESSAGE} files in one message`,
      );
    for (const f of files)
      if (!(f instanceof Blob) || f.size > clientLimits.MAX_ATTACHMENT_PLAINTEXT_BYTES)
        throw new EngineError(
          'INVALID_INPUT',
          `a file may be at most ${clientLimits.MAX_ATTACHMENT_PLAINTEXT_BYTES / 1024 / 1024} MB`,
        );
    if (p.replyTo !== undefined && this.#h.mirror.record(conv, p.replyTo) === undefined)
      throw new EngineError('INVALID_INPUT', 'the message replied to is not in this conversation');
    this.#h.mirror.ensureNewestPage(conv, SUMMARY_RECENT);
    if (since !== undefined) {
      if (!Number.isFinite(since)) throw new EngineError('INVALID_INPUT', 'bad time');
      // A retry after the previous engine stopped mid-send. That engine's worker is gone (the
      // lock passed only when it ended), so the message is in the store by now or never will
      // be: if it is, it goes out from the outbox and is not sent again.
      const stored = this.#h.index.sentSince(conv, text, since);
      if (stored !== undefined) return { id: stored };
    }
    // Files are encrypted and uploaded first (one upload serves every recipient); a failed
    // upload fails the send before anything is stored.
    const attachments = [];
    for (const f of files)
      attachments.push(await this.#h.client.uploadAttachment(await attachmentSource(f)));
    const options = {
      ...(attachments.length > 0 && { attachments }),
      ...(p.replyTo !== undefined && { replyTo: p.replyTo }),
    };
    if (target.kind === 'group') {
      const sent = await this.#h.client.sendToGroup(target.groupId, text, options);
      return { id: sent.messageId };
    }
    const before = new Set(this.#pendingOut(conv));
    try {
      const sent = await this.#h.client.send(target.username, text, options);
      return { id: sent.messageId };
    } catch (error) {
      // The message may be stored and queued; find it (it is ours, new, and still pending).
      const queued = this.#pendingOut(conv).find((id) => !before.has(id));
      if (queued === undefined) throw error;
      if (!(error instanceof ClientError) || error.code !== 'UNREACHABLE')
        this.#h.mirror.setFailed(
          conv,
          queued,
          error instanceof ClientError ? error.code : 'INTERNAL',
        );
      return { id: queued };
    }
  }

  /**
   * Reacts to, edits or deletes message `id` of `conv`; the SDK checks who may (only the author
   * edits or deletes) and stores the change, which reaches the tabs as the record's write.
   */
  async act(conv: ConversationId, id: string, action: MessageAction): Promise<void> {
    this.#h.requireAccount();
    this.#h.requireConnected();
    const target = parseConvId(conv);
    if (target === undefined || this.#h.mirror.record(conv, id) === undefined)
      throw new EngineError('INVALID_INPUT', 'no such message in this conversation');
    if (target.kind === 'group') {
      await this.#h.client.actInGroup(target.groupId, id, action);
      return;
    }
    const u = target.username;
    if (action.kind === 'reaction') await this.#h.client.react(u, id, action.emoji, action.remove);
    else if (action.kind === 'edit') await this.#h.client.edit(u, id, action.text);
    else await this.#h.client.deleteForEveryone(u, id);
  }

  /** File `index` of message `id` in `conv`, downloaded, checked and decrypted. */
  async attachment(conv: ConversationId, id: string, index: number): Promise<Blob> {
    this.#h.requireAccount();
    const pointer = this.#h.mirror.record(conv, id)?.attachments?.[index];
    if (pointer === undefined) throw new EngineError('INVALID_INPUT', 'no such file');
    return downloadToBlob(this.#h.client, pointer);
  }

  /** Ids of our messages in a conversation that the relay does not have yet. */
  #pendingOut(conv: ConversationId): string[] {
    return this.#h.index
      .timeline(conv, MAX_TIMELINE_PAGE)
      .filter((i) => i.direction === 'out' && (i.state === 'queued' || i.state === 'failed'))
      .map((i) => i.id);
  }

  async retry(conv: ConversationId, id: string): Promise<null> {
    this.#h.requireConnected();
    this.#h.requireAccount();
    this.#h.mirror.ensureNewestPage(conv, SUMMARY_RECENT);
    if (this.#h.index.item(conv, id) === undefined) await this.#h.fullyIndexed();
    const item = this.#h.index.item(conv, id);
    if (item?.direction !== 'out' || (item.state !== 'failed' && item.state !== 'queued'))
      throw new EngineError('INVALID_INPUT', 'that message is not waiting to be sent');
    if (item.error === 'NOT_A_MEMBER')
      throw new EngineError('NOT_A_MEMBER', 'you are no longer in this group');
    this.#h.mirror.setFailed(conv, id, undefined);
    await this.#h.flush();
    const after = this.#h.index.item(conv, id);
    if (after?.state === 'queued' && this.#h.online() && item.error !== undefined)
      this.#h.mirror.setFailed(conv, id, item.error);
    return null;
  }
}
