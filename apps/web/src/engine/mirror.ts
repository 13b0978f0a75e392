/**
 * Keeps the history index equal to the store: rebuilt from it when the engine starts, then
 * updated from every committed write the `ObservedBackend` reports (SDK messages, contacts,
 * groups) and from the engine's own records (events, failures, read marks), and turns each
 * change into events for the tabs.
 */
import type { GroupMessageRecord, MessageRecord, StorageBackend } from '@parley/client';
import type { HistoryIndex } from './history-index.js';
import type { StoredChange } from './observed-backend.js';
import {
  directId,
  groupConvId,
  parseConvId,
  type ConversationId,
  type EngineEvent,
  type ItemState,
  type TimelineItem,
} from './protocol.js';
import {
  SDK_NS,
  contactRecord,
  groupInfo,
  groupMessageRecord,
  messageRecord,
} from './sdk-records.js';
import { webRecords } from './web-records.js';

export interface Self {
  readonly accountId: string;
  readonly username: string;
}

export class Mirror {
  readonly #db: StorageBackend;
  readonly #index: HistoryIndex;
  readonly #emit: (event: EngineEvent) => void;
  readonly #self: () => Self | undefined;
  readonly #now: () => number;
  /** Account id → username, from the contact records (accepted and pending account ids). */
  readonly #usernames = new Map<string, string>();
  /** Usernames whose account key changed and waits to be accepted. */
  readonly #keyChanged = new Set<string>();
  /** Each contact's accepted account key (base64). */
  readonly #accountKeys = new Map<string, string>();
  /** Set while `rebuild` runs: our account, read once for the whole pass. */
  #pinnedSelf: { readonly self: Self | undefined } | undefined;

  constructor(
    db: StorageBackend,
    index: HistoryIndex,
    emit: (event: EngineEvent) => void,
    self: () => Self | undefined,
    now: () => number,
  ) {
    this.#db = db;
    this.#index = index;
    this.#emit = emit;
    this.#self = self;
    this.#now = now;
  }

  /**
   * Fills the index from the store (at start). Our own account is read once for the whole pass
   * (each read decrypts it), each conversation is added once, and the items go in oldest first,
   * so the index's row order follows time (search takes the newest rows first).
   */
  rebuild(): void {
    this.#pinnedSelf = { self: this.#self() };
    try {
      this.#rebuild();
    } finally {
      this.#pinnedSelf = undefined;
    }
  }

  /** Our account: the one read for the pass under way, else from the store. */
  #me(): Self | undefined {
    return this.#pinnedSelf !== undefined ? this.#pinnedSelf.self : this.#self();
  }

  #rebuild(): void {
    this.#index.clear();
    for (const [, v] of this.#db.list(SDK_NS.contact)) this.#contact(v);
    for (const [, v] of this.#db.list(SDK_NS.group)) {
      const g = groupInfo(v);
      if (g !== undefined) this.#index.putConversation(groupConvId(g.groupId), 'group', g.name);
    }
    const items: TimelineItem[] = [];
    for (const [, v] of this.#db.list(SDK_NS.message)) {
      const item = this.#directItem(messageRecord(v));
      if (item !== undefined) items.push(item);
    }
    for (const [, v] of this.#db.list(SDK_NS.groupMessage)) {
      const item = this.#groupItem(groupMessageRecord(v));
      if (item !== undefined) items.push(item);
    }
    for (const c of webRecords.convs(this.#db)) {
      this.#ensureConversation(c.id);
      this.#index.setReadAt(c.id, c.readAt);
    }
    items.push(...webRecords.events(this.#db));
    for (const conv of new Set(items.map((i) => i.conv))) this.#ensureConversation(conv);
    items.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#index.putItems(items);
    for (const username of this.#keyChanged) this.#index.setKeyChanged(directId(username), true);
  }

  /** Applies committed SDK writes and tells the tabs what changed. */
  onCommit(changes: readonly StoredChange[]): void {
    const touched = new Set<ConversationId>();
    const items: TimelineItem[] = [];
    const keyEvents: { conv: ConversationId; username: string; changed: boolean }[] = [];
    for (const c of changes) {
      if (c.value === undefined) continue;
      if (c.ns === SDK_NS.contact) {
        const before = contactRecord(c.value);
        const wasChanged = before !== undefined && this.#keyChanged.has(before.username);
        const username = this.#contact(c.value);
        if (username === undefined) continue;
        const changed = this.#keyChanged.has(username);
        const conv = directId(username);
        if (changed !== wasChanged && (changed || this.#index.hasConversation(conv)))
          keyEvents.push({ conv, username, changed });
        if (this.#index.hasConversation(conv)) {
          this.#index.setKeyChanged(conv, changed);
          touched.add(conv);
        }
      } else if (c.ns === SDK_NS.group) {
        const g = groupInfo(c.value);
        if (g === undefined) continue;
        this.#index.putConversation(groupConvId(g.groupId), 'group', g.name);
        touched.add(groupConvId(g.groupId));
      } else {
        const item =
          c.ns === SDK_NS.message
            ? this.#directItem(messageRecord(c.value))
            : this.#groupItem(groupMessageRecord(c.value));
        if (item === undefined) continue;
        this.#ensureConversation(item.conv);
        items.push(item);
        touched.add(item.conv);
      }
    }
    this.#publish(items, touched);
    for (const k of keyEvents) {
      const at = this.#now();
      this.addEvent(
        k.conv,
        `key-${String(at)}-${k.changed ? 'changed' : 'accepted'}`,
        k.changed
          ? `${k.username}’s safety number changed. Compare it with ${k.username} before you accept the new key; nothing is sent until you do.`
          : `You accepted ${k.username}’s new safety number.`,
        at,
      );
    }
  }

  /** The username of an account we know, if any. */
  username(accountId: string): string | undefined {
    const self = this.#me();
    if (self?.accountId === accountId) return self.username;
    return this.#usernames.get(accountId);
  }

  /** Adds a conversation the user opened (no message yet) and keeps it across restarts. */
  openConversation(conv: ConversationId): void {
    if (webRecords.conv(this.#db, conv) === undefined)
      this.#db.transact((w) => {
        webRecords.putConv(w, { id: conv, readAt: 0 });
      });
    this.#ensureConversation(conv);
    this.#publish([], new Set([conv]));
  }

  /**
   * Marks every incoming message of a conversation up to now as read; true if that moved the
   * mark (something new was read).
   */
  markRead(conv: ConversationId): boolean {
    const readAt = this.#index.latestIncoming(conv);
    const known = webRecords.conv(this.#db, conv);
    if (known !== undefined && known.readAt >= readAt) return false;
    this.#db.transact((w) => {
      webRecords.putConv(w, { id: conv, readAt: Math.max(readAt, known?.readAt ?? 0) });
    });
    this.#index.setReadAt(conv, readAt);
    this.#publish([], new Set([conv]));
    return readAt > (known?.readAt ?? 0);
  }

  /** Records an event in a conversation's timeline (a membership change, a key change). */
  addEvent(conv: ConversationId, id: string, text: string, at: number): void {
    const item: TimelineItem = {
      id,
      conv,
      kind: 'event',
      direction: 'in',
      sender: '',
      text,
      at,
      state: 'received',
    };
    this.#db.transact((w) => {
      webRecords.putEvent(w, item);
    });
    this.#ensureConversation(conv);
    this.#publish([item], new Set([conv]));
  }

  /** Marks one of our messages failed with `code` (or clears the mark) and republishes it. */
  setFailed(conv: ConversationId, messageId: string, code: string | undefined): void {
    this.#db.transact((w) => {
      if (code === undefined) webRecords.deleteFailed(w, messageId);
      else webRecords.putFailed(w, messageId, { code });
    });
    const item = this.#refresh(conv, messageId);
    if (item !== undefined) this.#publish([item], new Set([conv]));
  }

  #refresh(conv: ConversationId, messageId: string): TimelineItem | undefined {
    const parsed = parseConvId(conv);
    if (parsed?.kind === 'direct')
      return this.#directItem(messageRecord(this.#db.get(SDK_NS.message, messageId)));
    if (parsed?.kind === 'group')
      return this.#groupItem(
        groupMessageRecord(this.#db.get(SDK_NS.groupMessage, `${parsed.groupId}/${messageId}`)),
      );
    return undefined;
  }

  #publish(items: readonly TimelineItem[], touched: ReadonlySet<ConversationId>): void {
    this.#index.putItems(items);
    const byConv = new Map<ConversationId, TimelineItem[]>();
    for (const i of items) byConv.set(i.conv, [...(byConv.get(i.conv) ?? []), i]);
    for (const [conv, list] of byConv) this.#emit({ type: 'items', conv, items: list });
    for (const conv of touched) {
      const summary = this.#index.conversation(conv);
      if (summary !== undefined) this.#emit({ type: 'conversation', summary });
    }
  }

  /** Whether the user verified `username`'s current, accepted key. */
  verified(username: string): boolean {
    const key = this.#accountKeys.get(username);
    return (
      key !== undefined &&
      !this.#keyChanged.has(username) &&
      webRecords.verifiedKey(this.#db, username) === key
    );
  }

  /** Marks `username`'s current key as verified (or not). */
  setVerified(username: string, verified: boolean): void {
    const key = this.#accountKeys.get(username);
    this.#db.transact((w) => {
      webRecords.putVerified(w, username, verified ? key : undefined);
    });
  }

  #contact(bytes: Uint8Array): string | undefined {
    const c = contactRecord(bytes);
    if (c === undefined) return undefined;
    this.#usernames.set(c.accountId, c.username);
    this.#accountKeys.set(c.username, c.accountKey);
    if (c.pendingAccountId !== undefined) this.#usernames.set(c.pendingAccountId, c.username);
    if (c.pendingKey !== undefined) this.#keyChanged.add(c.username);
    else this.#keyChanged.delete(c.username);
    return c.username;
  }

  #ensureConversation(conv: ConversationId): void {
    if (this.#index.hasConversation(conv)) return;
    const parsed = parseConvId(conv);
    if (parsed?.kind === 'direct') {
      this.#index.putConversation(conv, 'direct', parsed.username);
      if (this.#keyChanged.has(parsed.username)) this.#index.setKeyChanged(conv, true);
    } else if (parsed?.kind === 'group') {
      const g = groupInfo(this.#db.get(SDK_NS.group, parsed.groupId));
      this.#index.putConversation(conv, 'group', g?.name ?? 'Group');
    }
  }

  #failed(messageId: string): string | undefined {
    return webRecords.failed(this.#db, messageId)?.code;
  }

  #directItem(m: MessageRecord | undefined): TimelineItem | undefined {
    if (m === undefined) return undefined;
    const peer = this.#usernames.get(m.peer);
    if (peer === undefined) return undefined;
    const failed = m.direction === 'out' && m.status === 'pending' ? this.#failed(m.id) : undefined;
    const state: ItemState =
      m.direction === 'in'
        ? 'received'
        : m.status === 'pending'
          ? failed === undefined
            ? 'queued'
            : 'failed'
          : m.status === 'received'
            ? 'sent'
            : m.status;
    return {
      id: m.id,
      conv: directId(peer),
      kind: 'message',
      direction: m.direction,
      sender: m.direction === 'in' ? peer : (this.#me()?.username ?? ''),
      text: m.text,
      at: m.sentAt,
      state,
      ...(failed !== undefined && { error: failed }),
    };
  }

  #groupItem(m: GroupMessageRecord | undefined): TimelineItem | undefined {
    if (m === undefined) return undefined;
    const failed =
      m.status === 'failed'
        ? 'NOT_A_MEMBER'
        : m.status === 'pending'
          ? this.#failed(m.id)
          : undefined;
    const state: ItemState =
      m.direction === 'in'
        ? 'received'
        : m.status === 'pending'
          ? failed === undefined
            ? 'queued'
            : 'failed'
          : m.status === 'failed'
            ? 'failed'
            : 'sent';
    return {
      id: m.id,
      conv: groupConvId(m.groupId),
      kind: 'message',
      direction: m.direction,
      sender: this.username(m.fromAccount) ?? m.fromAccount,
      text: m.text,
      at: m.sentAt,
      state,
      ...(failed !== undefined && { error: failed }),
    };
  }
}
