/**
 * Keeps the history index equal to the store, and turns each change into events for the tabs.
 * At start (`start`) it loads the small records at once: contacts, groups, read marks, events,
 * and each conversation's summary (its newest page, unread count), so the list and the newest
 * page of every conversation answer immediately. The rest of the history goes into the index in
 * the background (`indexHistory`), a slice at a time, while requests are answered between
 * slices; until it is done the unread counts come from the summaries. Every committed write the
 * `ObservedBackend` reports (SDK messages, contacts, groups) and the engine's own records
 * (events, failures, read marks) update the index as they happen.
 */
import type {
  GroupMessageRecord,
  MessageRecord,
  StorageBackend,
  StorageWriter,
} from '@parley/client';
import type { HistoryIndex } from './history-index.js';
import { messageExtras } from './message-extras.js';
import { INDEX_PAGE, INDEX_SLICE_MS, SUMMARY_RECENT } from './limits.js';
import type { StoredChange, WriteInTransaction } from './observed-backend.js';
import {
  directId,
  groupConvId,
  parseConvId,
  type ConversationId,
  type ConversationSummary,
  type EngineEvent,
  type ItemState,
  type TimelineItem,
} from './protocol.js';
import {
  SDK_NS,
  contactRecord,
  groupInfo,
  groupMessageObject,
  groupMessageRecord,
  messageObject,
  messageRecord,
} from './sdk-records.js';
import { isPaged } from './sqlite-store.js';
import {
  applyToSummaries,
  holdsNewestPage,
  markSummaryRead,
  storedMessage,
  summaries,
  withinBytes,
  type StoredMessage,
  type Summary,
} from './summaries.js';
import { webRecords } from './web-records.js';

/** The message namespaces the background index reads, in this order. */
const HISTORY_NS = [SDK_NS.message, SDK_NS.groupMessage] as const;

/** How far the background index is: records indexed of those stored at start. */
export interface IndexProgress {
  readonly done: number;
  readonly total: number;
}

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
  /** Set while the history is being indexed: our account, read once for the whole pass. */
  #pinnedSelf: { readonly self: Self | undefined } | undefined;
  /** Each conversation's unread count and newest incoming time, from its summary record. */
  readonly #summaryOf = new Map<ConversationId, Pick<Summary, 'unread' | 'lastInAt'>>();
  /** Summaries written by the transaction under way, taken in when it commits. */
  #pendingSummaries: readonly Summary[] = [];
  /** Set once the whole stored history is in the index. */
  #indexed = false;
  /** Whether every conversation with a stored message had its summary at start. */
  #summariesComplete = false;
  /** Conversations whose newest page is in the index (while the history is being indexed). */
  readonly #pagesIn = new Set<ConversationId>();
  #progress: IndexProgress = { done: 0, total: 0 };
  /** Messages stored at start by the summaries' counts (when every conversation has one). */
  #summarisedTotal = 0;
  /**
   * When each message with a disappearing timer that the mirror has seen expires (ms), by
   * conversation and id: what the engine's expiry timer waits for. Complete once the history is
   * indexed; until then it holds the messages read so far (newest pages, new arrivals).
   */
  readonly #expiries = new Map<string, number>();

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
   * Loads what the list needs, without touching the history: contacts, groups, read marks,
   * events, and every conversation's summary (its newest message goes into the index, the rest
   * of its newest page with `ensureNewestPage`). Then `indexHistory` adds the rest.
   */
  start(): void {
    this.#pinnedSelf = { self: this.#self() };
    try {
      this.#index.clear();
      this.#summaryOf.clear();
      this.#pagesIn.clear();
      this.#expiries.clear();
      this.#indexed = false;
      this.#summariesComplete = summaries.complete(this.#db);
      for (const [, v] of this.#db.list(SDK_NS.contact)) this.#contact(v);
      for (const [, v] of this.#db.list(SDK_NS.group)) {
        const g = groupInfo(v);
        if (g !== undefined) this.#index.putConversation(groupConvId(g.groupId), 'group', g.name);
      }
      for (const c of webRecords.convs(this.#db)) {
        this.#ensureConversation(c.id);
        this.#index.setReadAt(c.id, c.readAt);
      }
      const items: TimelineItem[] = webRecords.events(this.#db);
      this.#summarisedTotal = 0;
      for (const s of summaries.all(this.#db)) {
        this.#summaryOf.set(s.conv, { unread: s.unread, lastInAt: s.lastInAt });
        this.#summarisedTotal += s.messages;
        // The newest message for the list; the rest of the page when it is asked for.
        const newest = s.recent.at(-1);
        const item = newest === undefined ? undefined : this.#storedItem(newest);
        if (item !== undefined) items.push(item);
      }
      for (const conv of new Set(items.map((i) => i.conv))) this.#ensureConversation(conv);
      this.#index.putItems(items);
      for (const username of this.#keyChanged) this.#index.setKeyChanged(directId(username), true);
    } finally {
      this.#pinnedSelf = undefined;
    }
  }

  /** Our account: the one read for the pass under way, else from the store. */
  #me(): Self | undefined {
    return this.#pinnedSelf !== undefined ? this.#pinnedSelf.self : this.#self();
  }

  /**
   * Puts a conversation's newest page (from its summary record, as it is now) into the index,
   * if the history is not all there yet; true if the index now holds its newest `limit` items.
   */
  ensureNewestPage(conv: ConversationId, limit: number): boolean {
    if (this.#indexed) return true;
    const s = summaries.get(this.#db, conv);
    // No summary: no stored message in it, if every conversation with one has its summary.
    if (s === undefined) return this.#summariesComplete;
    if (!this.#pagesIn.has(conv)) {
      this.#pagesIn.add(conv);
      // Our account read once for the page, not twice per message (each read decrypts it).
      this.#pinnedSelf = { self: this.#self() };
      try {
        this.#index.putItems(s.recent.flatMap((m) => this.#storedItem(m) ?? []));
      } finally {
        this.#pinnedSelf = undefined;
      }
    }
    return holdsNewestPage(s, limit);
  }

  /** The earliest expiry of a message with a timer (ms), of those seen; undefined: none. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const at of this.#expiries.values()) if (next === undefined || at < next) next = at;
    return next;
  }

  /** Whether the whole stored history is in the index (search, older pages, unread counts). */
  get indexed(): boolean {
    return this.#indexed;
  }

  get progress(): IndexProgress {
    return this.#progress;
  }

  /**
   * Reads the stored history into the index, `INDEX_PAGE` records at a time, awaiting `pause`
   * after each `sliceMs` (`INDEX_SLICE_MS`) of work so requests are answered meanwhile; `onProgress` after each slice. Writes
   * committed meanwhile reach the index through `onCommit`, and each slice reads the store as
   * it is then, so nothing older overwrites something newer. Stops early when `stopped` says.
   */
  async indexHistory(
    pause: () => Promise<void>,
    onProgress: (p: IndexProgress) => void,
    stopped: () => boolean,
    sliceMs = INDEX_SLICE_MS,
  ): Promise<void> {
    const db = this.#db;
    let sliceStart = performance.now();
    await pause();
    if (stopped()) return;
    // The progress's total: the summaries count the messages; only a store from before them
    // has its records counted (a query that reads the whole history's pages).
    const total = this.#summariesComplete
      ? this.#summarisedTotal
      : isPaged(db)
        ? HISTORY_NS.reduce((n, ns) => n + db.count(ns), 0)
        : 0;
    this.#progress = { done: 0, total };
    const withSummary = new Set(this.#summaryOf.keys());
    /** Conversations without a summary record (a store from before them): rebuilt here. */
    const unsummarised = new Map<ConversationId, StoredMessage[]>();
    // Each page's items go into the index as soon as it is read (one transaction, one FTS5
    // segment), so the slice's time counts the index's work as well as the decryption's.
    // Nothing commits meanwhile: commits happen only while this awaits.
    let pending: TimelineItem[] = [];
    let read = 0;
    const flush = (): void => {
      for (const conv of new Set(pending.map((i) => i.conv))) this.#ensureConversation(conv);
      this.#index.putItems(pending);
      pending = [];
      this.#progress = { done: this.#progress.done + read, total };
      read = 0;
    };
    for (const ns of HISTORY_NS) {
      let after: Uint8Array | undefined = undefined;
      do {
        if (performance.now() - sliceStart >= sliceMs) {
          onProgress(this.#progress);
          await pause();
          if (stopped()) return;
          sliceStart = performance.now();
        }
        let rows: readonly (readonly [string, Uint8Array])[];
        if (isPaged(db)) {
          const page = db.page(ns, after, INDEX_PAGE);
          rows = page.rows;
          after = page.next;
        } else rows = db.list(ns);
        this.#pinnedSelf = { self: this.#self() };
        try {
          for (const [key, v] of rows) {
            const m = storedMessage(ns, key, v);
            const item = m === undefined ? undefined : this.#storedItem(m);
            if (m === undefined || item === undefined) continue;
            pending.push(item);
            if (!withSummary.has(item.conv)) {
              const list = unsummarised.get(item.conv) ?? [];
              list.push(m);
              unsummarised.set(item.conv, list);
            }
          }
        } finally {
          this.#pinnedSelf = undefined;
        }
        read += rows.length;
        flush();
      } while (after !== undefined && isPaged(db));
    }
    onProgress(this.#progress);
    this.#writeMissingSummaries(unsummarised);
    this.#indexed = true;
    this.#summaryOf.clear();
  }

  /** Writes the summaries a store from before them lacks, from the complete index. */
  #writeMissingSummaries(found: ReadonlyMap<ConversationId, StoredMessage[]>): void {
    if (found.size === 0 && this.#summariesComplete) return;
    this.#db.transact((w) => {
      for (const [conv, list] of found) {
        // One written meanwhile (a message arrived) holds the newest; the index has the count.
        const since = summaries.get(w, conv)?.recent ?? [];
        const byKey = new Map([...list, ...since].map((m) => [`${m.ns}/${m.key}`, m]));
        const recent = [...byKey.values()]
          .sort((a, b) => Number(a.record['sentAt']) - Number(b.record['sentAt']))
          .slice(-SUMMARY_RECENT);
        summaries.put(w, {
          conv,
          recent: withinBytes(recent),
          messages: this.#index.messageCount(conv),
          unread: this.#index.conversation(conv)?.unread ?? 0,
          lastInAt: this.#index.latestIncoming(conv),
        });
      }
      summaries.putComplete(w);
    });
  }

  /** The in-transaction hook: folds the SDK's message writes into the summaries. */
  summarise(w: StorageWriter, writes: readonly WriteInTransaction[]): void {
    // Contacts written in this same transaction name their messages' peers too.
    const names = new Map<string, string>();
    for (const { change } of writes) {
      const c = change.ns === SDK_NS.contact ? contactRecord(change.value) : undefined;
      if (c === undefined) continue;
      names.set(c.accountId, c.username);
      if (c.pendingAccountId !== undefined) names.set(c.pendingAccountId, c.username);
    }
    this.#pendingSummaries = applyToSummaries(
      w,
      writes,
      (accountId) => names.get(accountId) ?? this.#usernames.get(accountId),
    );
  }

  /** Every conversation, the most recent first, with unread counts as far as they are known. */
  conversations(): ConversationSummary[] {
    return this.#index.conversations().map((c) => this.#withUnread(c));
  }

  conversation(conv: ConversationId): ConversationSummary | undefined {
    const c = this.#index.conversation(conv);
    return c === undefined ? undefined : this.#withUnread(c);
  }

  /** Until the index is complete, the unread count is the summary's (the index's is partial). */
  #withUnread(c: ConversationSummary): ConversationSummary {
    if (this.#indexed) return c;
    const s = this.#summaryOf.get(c.id);
    return s === undefined ? c : { ...c, unread: s.unread };
  }

  /** Applies committed SDK writes and tells the tabs what changed. */
  onCommit(changes: readonly StoredChange[]): void {
    for (const summary of this.#pendingSummaries)
      this.#summaryOf.set(summary.conv, { unread: summary.unread, lastInAt: summary.lastInAt });
    this.#pendingSummaries = [];
    const touched = new Set<ConversationId>();
    const items: TimelineItem[] = [];
    const keyEvents: { conv: ConversationId; username: string; changed: boolean }[] = [];
    const removed: { conv: ConversationId; id: string }[] = [];
    for (const c of changes) {
      if (c.value === undefined) {
        const gone =
          c.previous === undefined ? undefined : this.#messageKey(c.ns, c.key, c.previous);
        if (gone !== undefined) {
          removed.push(gone);
          touched.add(gone.conv);
        }
        continue;
      }
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
    this.#remove(removed);
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

  /** Where a deleted message record was: its conversation and id. */
  #messageKey(
    ns: string,
    key: string,
    previous: Uint8Array,
  ): { conv: ConversationId; id: string } | undefined {
    const m = storedMessage(ns, key, previous);
    if (m === undefined) return undefined;
    if (m.ns === SDK_NS.groupMessage) {
      const g = groupMessageObject(m.record);
      return g && { conv: groupConvId(g.groupId), id: g.id };
    }
    const d = messageObject(m.record);
    const peer = d && this.#usernames.get(d.peer);
    return d && peer !== undefined ? { conv: directId(peer), id: d.id } : undefined;
  }

  /**
   * Takes deleted messages out of the index (their search rows with them) and the tabs' open
   * timelines; the replies quoting them go out again without the quote's text.
   */
  #remove(removed: readonly { conv: ConversationId; id: string }[]): void {
    if (removed.length === 0) return;
    const replies = removed.flatMap((r) => this.#index.replies(r.conv, r.id));
    this.#index.removeItems(removed);
    const byConv = new Map<ConversationId, string[]>();
    for (const r of removed) {
      this.#expiries.delete(`${r.conv}\u0000${r.id}`);
      byConv.set(r.conv, [...(byConv.get(r.conv) ?? []), r.id]);
    }
    for (const [conv, ids] of byConv) this.#emit({ type: 'removed', conv, ids });
    const gone = new Set(removed.map((r) => `${r.conv}\u0000${r.id}`));
    const left = replies.filter((r) => !gone.has(`${r.conv}\u0000${r.id}`));
    if (left.length > 0) this.#publish(left, new Set());
  }

  /**
   * Notes a message's disappearing timer; true if it has run out (the message is not shown, and
   * the next sweep deletes it).
   */
  #expired(conv: ConversationId, id: string, expiresAt: number | undefined): boolean {
    const key = `${conv}\u0000${id}`;
    if (expiresAt === undefined) {
      this.#expiries.delete(key);
      return false;
    }
    this.#expiries.set(key, expiresAt);
    return expiresAt <= this.#now();
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
    const readAt = Math.max(
      this.#index.latestIncoming(conv),
      this.#summaryOf.get(conv)?.lastInAt ?? 0,
    );
    const known = webRecords.conv(this.#db, conv);
    if (known !== undefined && known.readAt >= readAt) return false;
    this.#db.transact((w) => {
      webRecords.putConv(w, { id: conv, readAt: Math.max(readAt, known?.readAt ?? 0) });
      markSummaryRead(w, conv);
    });
    const s = this.#summaryOf.get(conv);
    if (s !== undefined) this.#summaryOf.set(conv, { ...s, unread: 0 });
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
    // A message edited or deleted changes the quotes of the replies to it: they go out again.
    const ids = new Set(items.map((i) => `${i.conv}\u0000${i.id}`));
    const replies = items
      .filter((i) => i.kind === 'message' && (i.deleted === true || i.edits !== undefined))
      .flatMap((i) => this.#index.replies(i.conv, i.id))
      .filter((r) => !ids.has(`${r.conv}\u0000${r.id}`));
    const byConv = new Map<ConversationId, TimelineItem[]>();
    for (const i of this.withQuotes([...items, ...replies]))
      byConv.set(i.conv, [...(byConv.get(i.conv) ?? []), i]);
    for (const [conv, list] of byConv) this.#emit({ type: 'items', conv, items: list });
    for (const conv of touched) {
      const summary = this.conversation(conv);
      if (summary !== undefined) this.#emit({ type: 'conversation', summary });
    }
  }

  /** `items` with each reply's quote filled in from the index (its sender and an excerpt). */
  withQuotes(items: readonly TimelineItem[]): TimelineItem[] {
    return items.map((i) =>
      i.replyTo === undefined ? i : { ...i, replyTo: this.#index.quote(i.conv, i.replyTo.id) },
    );
  }

  /**
   * The stored record of message `id` in `conv` (a 1:1 or a group message), if it is there: what
   * the engine acts on and fetches files for.
   */
  record(conv: ConversationId, id: string): MessageRecord | GroupMessageRecord | undefined {
    const parsed = parseConvId(conv);
    if (parsed?.kind === 'direct') {
      const m = messageRecord(this.#db.get(SDK_NS.message, id));
      return m !== undefined && this.#usernames.get(m.peer) === parsed.username ? m : undefined;
    }
    if (parsed?.kind === 'group')
      return groupMessageRecord(this.#db.get(SDK_NS.groupMessage, `${parsed.groupId}/${id}`));
    return undefined;
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

  /** The timeline item of a message as the SDK stored it. */
  #storedItem(m: StoredMessage): TimelineItem | undefined {
    return m.ns === SDK_NS.message
      ? this.#directItem(messageObject(m.record))
      : this.#groupItem(groupMessageObject(m.record));
  }

  #failed(messageId: string): string | undefined {
    return webRecords.failed(this.#db, messageId)?.code;
  }

  #directItem(m: MessageRecord | undefined): TimelineItem | undefined {
    if (m === undefined) return undefined;
    const peer = this.#usernames.get(m.peer);
    if (peer === undefined) return undefined;
    if (this.#expired(directId(peer), m.id, m.expiresAt)) return undefined;
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
      ...messageExtras(m, (a) => this.username(a), this.#me()?.accountId),
    };
  }

  #groupItem(m: GroupMessageRecord | undefined): TimelineItem | undefined {
    if (m === undefined) return undefined;
    if (this.#expired(groupConvId(m.groupId), m.id, m.expiresAt)) return undefined;
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
      ...messageExtras(m, (a) => this.username(a), this.#me()?.accountId),
    };
  }
}
