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
 * the client runs it when it opens and at each receive, apps also on a timer.
 */
import type { Content } from './content.js';
import { groupRecords, GROUP_NS } from './group-records.js';
import { utf8Decode } from '@parley/bytes';
import { records } from './state.js';
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

/** Deletes every message whose time is up, in the caller's transaction. */
export function sweepExpired(w: StorageWriter, now: number): Swept {
  let messages = 0;
  const files: string[] = [];
  for (const m of records.messages(w)) {
    if (m.expiresAt === undefined || m.expiresAt > now) continue;
    records.deleteMessage(w, m.id);
    files.push(...(m.savedFiles ?? []));
    messages++;
  }
  for (const [key, bytes] of w.list(GROUP_NS.groupMessage)) {
    const m = JSON.parse(utf8Decode(bytes)) as { expiresAt?: number; savedFiles?: string[] };
    if (m.expiresAt === undefined || m.expiresAt > now) continue;
    w.delete(GROUP_NS.groupMessage, key);
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
