/**
 * History for a newly linked device. When the primary approves a link, it gathers the
 * conversations (contacts with their accepted keys and verified lists, 1:1 and group messages,
 * conversation timers) in the backup's record format (`backup.ts`, `encodeRecords`), uploads
 * them as an ordinary attachment (fresh key, key-committing, Padmé-padded: `attachment-crypto.ts`)
 * and puts the pointer (its key and digests) inside the sealed provisioning message, so only the
 * new device can fetch and open it and the relay cannot swap or alter it unnoticed.
 *
 * The new device, unless it declines, downloads the archive (at most `MAX_BACKUP_BYTES`, held in
 * memory), checks it whole (the attachment digests, then the record format limited to the
 * namespaces below) and only then imports it in one transaction; a record it already holds is
 * kept. Anything wrong (`ATTACHMENT_INVALID`, `BACKUP_INVALID`, the relay failing) imports
 * nothing and leaves the link itself in place. Keys, sessions, groups' MLS state and outboxes
 * never travel this way: the new device has its own keys and is added to groups as a member.
 * The primary's saved-file paths are dropped: they name files on the primary's disk.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import { downloadAttachment, uploadAttachment } from './attachments.js';
import { encodeRecords, parseRecords, type BackupContents } from './backup.js';
import type { AttachmentPointer } from './content.js';
import { rebuildExpiryIndex } from './disappearing.js';
import type { ClientContext } from './context.js';
import { ClientError } from './errors.js';
import { GROUP_NS } from './group-records.js';
import { MAX_BACKUP_BYTES } from './limits.js';
import { HISTORY_CODE } from './provisioning.js';
import { SETTINGS_NS } from './settings.js';
import { NS, records, type MessageRecord } from './state.js';
import type { StorageReader } from './storage.js';

/** The namespaces a history archive holds; only these are imported. */
export const HISTORY_NAMESPACES: readonly string[] = [
  NS.contact,
  NS.message,
  GROUP_NS.groupMessage,
  SETTINGS_NS.timer,
];

/** The archive's content type (it is never shown: the pointer stays inside provisioning). */
const HISTORY_CONTENT_TYPE = 'application/x-parley-history';

/** What happened to the history the primary offered, on the new device. */
export type LinkHistoryOutcome =
  | { readonly status: 'none' } // the primary offered none
  | { readonly status: 'declined' }
  | { readonly status: 'imported'; readonly messages: number }
  | { readonly status: 'failed'; readonly code: string }
  // The primary could not upload its history (too large, or the relay refused the upload).
  | { readonly status: 'not sent'; readonly code: string };

/** What the primary seals for the new device: the archive's pointer, or why there is none. */
export type HistoryOffer =
  { readonly pointer: AttachmentPointer } | { readonly notSent: string } | undefined;

const WITH_PATHS: readonly string[] = [NS.message, GROUP_NS.groupMessage];

/** This device's history as records; undefined when there is none to offer. */
export function collectHistory(db: StorageReader, createdAt: number): BackupContents | undefined {
  const out = new Map<string, readonly (readonly [string, Uint8Array])[]>();
  let messages = 0;
  for (const ns of HISTORY_NAMESPACES) {
    let list = db.list(ns);
    if (WITH_PATHS.includes(ns)) {
      messages += list.length;
      list = list.map(([k, v]) => [k, withoutSavedFiles(v)] as const);
    }
    out.set(ns, list);
  }
  return messages === 0 ? undefined : { createdAt, records: out };
}

function withoutSavedFiles(value: Uint8Array): Uint8Array {
  const o = JSON.parse(utf8Decode(value)) as Record<string, unknown>;
  if (!('savedFiles' in o)) return value;
  delete o['savedFiles'];
  return utf8Encode(JSON.stringify(o));
}

/**
 * On the primary: uploads this device's history for a new device. The pointer to seal into the
 * provisioning message; undefined when there is nothing to offer; `notSent` (a code) when the
 * archive is too large (`TOO_LARGE`) or its upload failed (the relay's code, or the SDK's): the
 * link goes on without history and the new device is told why.
 */
export async function offerHistory(c: ClientContext): Promise<HistoryOffer> {
  const contents = collectHistory(c.db, c.now());
  if (contents === undefined) return undefined;
  const bytes = encodeRecords(contents);
  if (bytes.length > MAX_BACKUP_BYTES) return { notSent: 'TOO_LARGE' };
  try {
    return {
      pointer: await uploadAttachment(c, c.blobs(), {
        size: bytes.length,
        chunks: [bytes],
        name: 'history',
        contentType: HISTORY_CONTENT_TYPE,
      }),
    };
  } catch (e) {
    if (!(e instanceof ClientError)) throw e;
    const code = e.relayCode ?? e.code;
    return { notSent: HISTORY_CODE.test(code) ? code : e.code };
  }
}

/** Parses a downloaded archive; `BACKUP_INVALID` unless every record is a JSON object. */
export function parseHistory(plain: Uint8Array): BackupContents {
  const contents = parseRecords(plain, HISTORY_NAMESPACES);
  for (const entries of contents.records.values())
    for (const [, v] of entries) {
      let o: unknown;
      try {
        o = JSON.parse(utf8Decode(v));
      } catch {
        o = undefined;
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        throw new ClientError('BACKUP_INVALID', 'the history’s contents are malformed');
    }
  return contents;
}

/**
 * On the new device: fetches, checks and imports the offered history in one transaction (records
 * already here are kept); the number of messages imported. Throws, importing nothing, if the
 * archive is not exactly the one the pointer names or is malformed.
 */
export async function importHistory(c: ClientContext, pointer: AttachmentPointer): Promise<number> {
  if (pointer.size > MAX_BACKUP_BYTES)
    throw new ClientError('BACKUP_INVALID', 'the offered history is larger than any archive');
  const plain = new Uint8Array(pointer.size);
  let at = 0;
  await downloadAttachment(c, c.blobs(), pointer, (bytes) => {
    if (at + bytes.length > plain.length)
      throw new ClientError('ATTACHMENT_INVALID', 'the history is longer than offered');
    plain.set(bytes, at);
    at += bytes.length;
  });
  const contents = parseHistory(plain);
  let messages = 0;
  c.db.transact((w) => {
    for (const [ns, entries] of contents.records)
      for (const [k, v] of entries) {
        if (w.get(ns, k) !== undefined) continue;
        if (ns === NS.message) {
          // Through the record writer, so the unread index stays right.
          records.putMessage(w, JSON.parse(utf8Decode(v)) as MessageRecord);
        } else w.put(ns, k, v);
        if (WITH_PATHS.includes(ns)) messages++;
      }
    // Group messages were written raw: index every message with an expiry, in one pass.
    rebuildExpiryIndex(w);
  });
  return messages;
}
