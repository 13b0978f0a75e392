/**
 * The unread incoming 1:1 messages, indexed so `markRead` reads only them, not the whole
 * history: namespace `unread`, one small record per incoming message still `received` (not yet
 * read), kept by `records.putMessage` in the same transaction as the message. A store written
 * before this index existed has no `built` mark; the first read then scans the history once and
 * writes the index and the mark in one transaction.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { MessageRecord } from './state.js';
import type { StorageBackend, StorageReader, StorageWriter } from './storage.js';

const NS_UNREAD = 'unread';
const NS_UNREAD_META = 'unread-meta';
const BUILT = 'built';
const RECORD_VERSION = 1;

/** How the index reads messages (`records` of `state.ts`, which calls in here as it writes). */
export interface MessageReader {
  message(r: StorageReader, id: string): MessageRecord | undefined;
  messages(r: StorageReader): MessageRecord[];
}

const keyOf = (m: Pick<MessageRecord, 'peer' | 'id'>): string => `${m.peer}/${m.id}`;
const isUnread = (m: MessageRecord): boolean => m.direction === 'in' && m.status === 'received';

/** Keeps a message's index entry right; `records.putMessage` calls it for every write. */
export function trackUnread(w: StorageWriter, m: MessageRecord): void {
  if (isUnread(m))
    w.put(
      NS_UNREAD,
      keyOf(m),
      utf8Encode(JSON.stringify({ rv: RECORD_VERSION, peer: m.peer, id: m.id })),
    );
  else if (m.direction === 'in') w.delete(NS_UNREAD, keyOf(m));
}

function indexed(r: StorageReader, peer: string, read: MessageReader): MessageRecord[] {
  const found: MessageRecord[] = [];
  for (const [, v] of r.list(NS_UNREAD)) {
    let entry: unknown;
    try {
      entry = JSON.parse(utf8Decode(v));
    } catch {
      continue;
    }
    const e = entry as { rv?: unknown; peer?: unknown; id?: unknown } | null;
    if (e?.rv !== RECORD_VERSION || e.peer !== peer || typeof e.id !== 'string') continue;
    // The message itself decides: an entry it no longer matches is ignored.
    const m = read.message(r, e.id);
    if (m !== undefined && m.peer === peer && isUnread(m)) found.push(m);
  }
  return found.sort((a, b) => a.sentAt - b.sentAt);
}

/**
 * The unread incoming messages from `peer` (an account id), oldest first: O(unread) once the
 * index is built; the first call on an older store builds it (one pass over the history).
 */
export function unreadFrom(db: StorageBackend, peer: string, read: MessageReader): MessageRecord[] {
  if (db.get(NS_UNREAD_META, BUILT) === undefined)
    db.transact((w) => {
      if (w.get(NS_UNREAD_META, BUILT) !== undefined) return;
      for (const m of read.messages(w)) trackUnread(w, m);
      w.put(NS_UNREAD_META, BUILT, utf8Encode(String(RECORD_VERSION)));
    });
  return indexed(db, peer, read);
}
