/**
 * Disappearing messages. Each conversation has a timer (`settings.ts`), set by any participant
 * with a `timer` content that reaches every device of every participant (ours through the sync
 * copy or, in a group, as members); the newest setting wins. A message sent while a timer is set
 * carries it (`expiresIn`), and every device computes the same `expiresAt` = `sentAt` +
 * `expiresIn`: a message already past it when it arrives is never stored. The relay holds its
 * ciphertext only until then (the envelope's `expiresAt`): it drops it unread after that.
 *
 * {@link sweepExpired} deletes expired messages (1:1 and group, tombstones included) in one
 * transaction and returns the paths of the files the app saved for them, for the app to delete;
 * the client runs it when it opens and at each receive, apps also on a timer. It finds them
 * through the expiry index (`expiry-index.ts`), so its cost follows what expired, not the
 * history's length.
 */
import type { Content } from './content.js';
import { groupRecords, GROUP_NS } from './group-records.js';
import { utf8Decode } from '@parley/bytes';
import { expiryIndexBuilt, markExpiryIndexBuilt, takeDue, trackExpiry } from './expiry-index.js';
import { NS, records } from './state.js';
import type { StorageWriter } from './storage.js';

/** When a text message disappears (ms), from the timer it carries; undefined: never. */
export function expiryOf(content: Content): number | undefined {
  if (content.kind !== 'text' && content.kind !== 'sent') return undefined;
  return content.expiresIn === undefined ? undefined : content.sentAt + content.expiresIn * 1000;
}

/** What a sweep removed: how many messages, and the files the app saved for them. */
export interface Swept {
  readonly messages: number;
  readonly files: readonly string[];
}

/** The namespaces whose records the expiry index points at. */
const MESSAGE_NAMESPACES: readonly string[] = [NS.message, GROUP_NS.groupMessage];

/**
 * Indexes every stored message that has an expiry (one pass over the history) and marks the
 * index built: on a store written before the index existed, and after imports that write
 * message records raw (a backup restore, a linked device's history).
 */
export function rebuildExpiryIndex(w: StorageWriter): void {
  for (const ns of MESSAGE_NAMESPACES)
    for (const [key, bytes] of w.list(ns)) {
      const m = JSON.parse(utf8Decode(bytes)) as { expiresAt?: number };
      trackExpiry(w, ns, key, m.expiresAt);
    }
  markExpiryIndexBuilt(w);
}

/**
 * Deletes every message whose time is up, in the caller's transaction: through the expiry
 * index (`expiry-index.ts`), so it reads the expired messages only (two small records when
 * none is due); the first sweep of an older store builds the index.
 */
export function sweepExpired(w: StorageWriter, now: number): Swept {
  if (!expiryIndexBuilt(w)) rebuildExpiryIndex(w);
  let messages = 0;
  const files: string[] = [];
  for (const e of takeDue(w, now)) {
    if (!MESSAGE_NAMESPACES.includes(e.ns)) continue;
    const bytes = w.get(e.ns, e.key);
    if (bytes === undefined) continue; // already gone
    const m = JSON.parse(utf8Decode(bytes)) as { expiresAt?: number; savedFiles?: string[] };
    if (m.expiresAt === undefined) continue;
    if (m.expiresAt > now) {
      // Its expiry moved later than this entry: index it again under its own time.
      trackExpiry(w, e.ns, e.key, m.expiresAt);
      continue;
    }
    w.delete(e.ns, e.key);
    files.push(...(m.savedFiles ?? []));
    messages++;
  }
  return { messages, files };
}

/** Records where the app saved a message's files, so that expiry deletes them too. */
export function noteSavedFiles(
  w: StorageWriter,
  messageId: string,
  groupId: string | undefined,
  paths: readonly string[],
): void {
  if (paths.length === 0) return;
  if (groupId === undefined) {
    const m = records.message(w, messageId);
    if (m !== undefined)
      records.putMessage(w, { ...m, savedFiles: [...(m.savedFiles ?? []), ...paths] });
    return;
  }
  const m = groupRecords.message(w, groupId, messageId);
  if (m !== undefined)
    groupRecords.putMessage(w, { ...m, savedFiles: [...(m.savedFiles ?? []), ...paths] });
}
