/**
 * One encrypted summary record per conversation (namespace `web-summary`, in the same store as
 * everything else): its newest messages as the SDK stored them, how many incoming ones are
 * unread, and when the newest incoming one was sent. It is written in the same transaction as
 * the message writes it follows (through `ObservedBackend`'s in-transaction hook), so it is
 * never behind the history. The engine answers the conversation list and the newest page of a
 * conversation from these records at start, while the full history index is built in the
 * background (`mirror.ts`).
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { StorageReader, StorageWriter } from '@parley/client';
import { MAX_SUMMARY_BYTES, SUMMARY_RECENT } from './limits.js';
import type { WriteInTransaction } from './observed-backend.js';
import { directId, groupConvId, type ConversationId } from './protocol.js';
import { SDK_NS, groupMessageObject, messageObject } from './sdk-records.js';
import { webRecords } from './web-records.js';

export const SUMMARY_NS = 'web-summary';
const RECORD_VERSION = 1;

/** A message as the SDK stored it, with its namespace (`message` or `group-message`). */
export interface StoredMessage {
  readonly ns: typeof SDK_NS.message | typeof SDK_NS.groupMessage;
  readonly key: string;
  readonly record: Record<string, unknown>;
}

export interface Summary {
  readonly conv: ConversationId;
  /** The newest `SUMMARY_RECENT` messages, oldest first. */
  readonly recent: readonly StoredMessage[];
  /** Incoming messages sent after the read mark. */
  readonly unread: number;
  /** When the newest incoming message was sent (0: none). */
  readonly lastInAt: number;
  /** How many messages the conversation has: `recent` is all of them when it is as many. */
  readonly messages: number;
}

/** Whether a summary holds the conversation's newest page of `limit` items (or all of it). */
export function holdsNewestPage(s: Summary, limit: number): boolean {
  return s.recent.length >= Math.min(limit, s.messages);
}

const sentAt = (m: StoredMessage): number => Number(m.record['sentAt']);

function parse(bytes: Uint8Array | undefined): Summary | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v = JSON.parse(utf8Decode(bytes)) as Record<string, unknown>;
    if (
      v['rv'] !== RECORD_VERSION ||
      typeof v['conv'] !== 'string' ||
      !Array.isArray(v['recent']) ||
      typeof v['unread'] !== 'number' ||
      typeof v['lastInAt'] !== 'number' ||
      typeof v['messages'] !== 'number'
    )
      return undefined;
    const recent = (v['recent'] as unknown[]).flatMap((m): StoredMessage[] => {
      const r = m as Partial<StoredMessage> | null;
      if (r === null || typeof r.key !== 'string' || typeof r.record !== 'object') return [];
      if (r.ns === SDK_NS.message && messageObject(r.record) !== undefined)
        return [{ ns: r.ns, key: r.key, record: r.record }];
      if (r.ns === SDK_NS.groupMessage && groupMessageObject(r.record) !== undefined)
        return [{ ns: r.ns, key: r.key, record: r.record }];
      return [];
    });
    return {
      conv: v['conv'],
      recent,
      unread: v['unread'],
      lastInAt: v['lastInAt'],
      messages: v['messages'],
    };
  } catch {
    return undefined;
  }
}

/**
 * The key of the mark that every conversation with a stored message has its summary (written
 * once a complete index has filled in the summaries a store from before them lacked).
 */
const COMPLETE_KEY = '~complete';

export const summaries = {
  complete: (r: StorageReader): boolean => r.get(SUMMARY_NS, COMPLETE_KEY) !== undefined,
  putComplete: (w: StorageWriter): void => {
    w.put(SUMMARY_NS, COMPLETE_KEY, utf8Encode(String(RECORD_VERSION)));
  },
  all: (r: StorageReader): Summary[] =>
    r.list(SUMMARY_NS).flatMap(([, v]) => {
      const s = parse(v);
      return s === undefined ? [] : [s];
    }),
  get: (r: StorageReader, conv: ConversationId): Summary | undefined =>
    parse(r.get(SUMMARY_NS, conv)),
  put: (w: StorageWriter, s: Summary): void => {
    w.put(SUMMARY_NS, s.conv, utf8Encode(JSON.stringify({ rv: RECORD_VERSION, ...s })));
  },
};

/**
 * Folds a transaction's message writes into the summaries, inside that transaction. `usernameOf`
 * names a 1:1 message's peer (an account id); messages from accounts it does not know are left
 * out, as the timeline leaves them out.
 */
export function applyToSummaries(
  w: StorageWriter,
  writes: readonly WriteInTransaction[],
  usernameOf: (accountId: string) => string | undefined,
): Summary[] {
  const touched = new Map<ConversationId, Summary>();
  const readAts = new Map<ConversationId, number>();
  for (const { change, existed } of writes) {
    const deleted = change.value === undefined;
    const bytes = change.value ?? change.previous;
    if (bytes === undefined) continue;
    const m = storedMessage(change.ns, change.key, bytes);
    if (m === undefined) continue;
    const conv = convOf(m, usernameOf);
    if (conv === undefined) continue;
    const before = touched.get(conv) ??
      summaries.get(w, conv) ?? { conv, recent: [], unread: 0, lastInAt: 0, messages: 0 };
    const at = sentAt(m);
    const incoming = m.record['direction'] === 'in';
    const readAt = readAts.get(conv) ?? webRecords.conv(w, conv)?.readAt ?? 0;
    readAts.set(conv, readAt);
    if (deleted) {
      // Gone (expired): out of the newest page and the counts. `lastInAt` stays an upper bound,
      // which only the read mark uses.
      touched.set(conv, {
        ...before,
        recent: before.recent.filter((r) => r.key !== m.key || r.ns !== m.ns),
        messages: Math.max(0, before.messages - 1),
        unread: Math.max(0, before.unread - (incoming && at > readAt ? 1 : 0)),
      });
      continue;
    }
    const recent = [...before.recent.filter((r) => r.key !== m.key || r.ns !== m.ns), m]
      .sort((a, b) => sentAt(a) - sentAt(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(-SUMMARY_RECENT);
    touched.set(conv, {
      conv,
      recent: withinBytes(recent),
      messages: before.messages + (existed ? 0 : 1),
      unread: before.unread + (incoming && !existed && at > readAt ? 1 : 0),
      lastInAt: incoming ? Math.max(before.lastInAt, at) : before.lastInAt,
    });
  }
  for (const s of touched.values()) summaries.put(w, s);
  return [...touched.values()];
}

/** Sets a conversation's unread count to zero (it was read), in the caller's transaction. */
export function markSummaryRead(w: StorageWriter, conv: ConversationId): void {
  const s = summaries.get(w, conv);
  if (s !== undefined && s.unread !== 0) summaries.put(w, { ...s, unread: 0 });
}

/** The newest of `recent` that fit in `MAX_SUMMARY_BYTES` (the newest always). */
export function withinBytes(recent: readonly StoredMessage[]): StoredMessage[] {
  const kept: StoredMessage[] = [];
  let bytes = 0;
  for (let i = recent.length - 1; i >= 0; i--) {
    const m = recent[i];
    if (m === undefined) break;
    bytes += JSON.stringify(m).length;
    if (bytes > MAX_SUMMARY_BYTES && kept.length > 0) break;
    kept.unshift(m);
  }
  return kept;
}

export function storedMessage(
  ns: string,
  key: string,
  value: Uint8Array,
): StoredMessage | undefined {
  if (ns !== SDK_NS.message && ns !== SDK_NS.groupMessage) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(utf8Decode(value));
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const r = record as Record<string, unknown>;
  const valid = ns === SDK_NS.message ? messageObject(r) : groupMessageObject(r);
  return valid === undefined ? undefined : { ns, key, record: r };
}

function convOf(
  m: StoredMessage,
  usernameOf: (accountId: string) => string | undefined,
): ConversationId | undefined {
  if (m.ns === SDK_NS.groupMessage) return groupConvId(String(m.record['groupId']));
  const peer = usernameOf(String(m.record['peer']));
  return peer === undefined ? undefined : directId(peer);
}
