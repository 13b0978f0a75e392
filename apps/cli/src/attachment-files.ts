/**
 * Files on the CLI's side of attachments: reading a file to send (streamed into one reused
 * buffer, never whole in memory) and saving what arrives. A received file is written to a hidden temporary file in the
 * save directory while it downloads and is checked; only when the SDK has verified every byte is
 * it renamed to its name (made safe, and unique in the directory). Any failure removes the
 * temporary file, so a tampered or truncated blob leaves nothing behind.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fromBase64 } from '@parley/bytes';
import { randomBytes } from 'node:crypto';
import {
  ClientError,
  type AttachmentPointer,
  type ClientEvent,
  type ParleyClient,
} from '@parley/client';
import { fileChunks } from '@parley/client/node';
import { MAX_THUMBNAIL_SOURCE_BYTES, makeThumbnail, thumbnailExtension } from './thumbnail.js';

/** Most tries at a free file name (`name (1).ext`, `name (2).ext`…) before a random suffix. */
const MAX_NAME_TRIES = 100;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.mp4': 'video/mp4',
  '.mp3': 'audio/mpeg',
  '.zip': 'application/zip',
  '.json': 'application/json',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Encrypts and uploads the file at `path`; the pointer for the message. */
export async function uploadFile(client: ParleyClient, path: string): Promise<AttachmentPointer> {
  const info = await stat(path);
  if (!info.isFile()) throw new ClientError('INVALID_INPUT', `${path} is not a file`);
  const contentType = contentTypeOf(path);
  // Images small enough are read whole once more, for the thumbnail (`thumbnail.ts`).
  const thumbnail =
    contentType.startsWith('image/') && info.size <= MAX_THUMBNAIL_SOURCE_BYTES
      ? makeThumbnail(new Uint8Array(await readFile(path)))
      : undefined;
  return client.uploadAttachment({
    size: info.size,
    chunks: fileChunks(path),
    name: basename(path),
    contentType,
    ...(thumbnail !== undefined && { thumbnail }),
  });
}

/** A file name from a message, safe to create in the save directory. */
export function safeName(name: string): string {
  const base = basename(name.replaceAll('\\', '/'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 200);
  return base === '' ? 'attachment' : base;
}

/** A saved attachment, as `--json` reports it. */
export interface SavedFile {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly path: string;
  readonly contentType: string;
  /** The sender's thumbnail, saved under `DIR/.thumbnails/` (images only, when one came). */
  readonly thumbnail?: string;
}

/** Downloads, verifies and saves one attachment under `dir`; removes everything on failure. */
export async function saveAttachment(
  client: ParleyClient,
  pointer: AttachmentPointer,
  dir: string,
): Promise<SavedFile> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.partial-${randomBytes(8).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await client.downloadAttachment(pointer, async (bytes) => {
      await fh.write(bytes);
    });
    await fh.close();
    const name = safeName(pointer.name);
    const ext = extname(name);
    const stem = name.slice(0, name.length - ext.length);
    for (let i = 0; ; i++) {
      const candidate =
        i === 0
          ? name
          : i <= MAX_NAME_TRIES
            ? `${stem} (${i})${ext}`
            : `${stem}-${randomBytes(4).toString('hex')}${ext}`;
      const path = join(dir, candidate);
      // A race with another writer is possible but harmless: both names come from this loop.
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        continue;
      await rename(tmp, path);
      const thumbnail = await saveThumbnail(pointer, dir, candidate);
      return {
        name: pointer.name,
        size: pointer.size,
        sha256: pointer.sha256,
        path,
        contentType: pointer.contentType,
        ...(thumbnail !== undefined && { thumbnail }),
      };
    }
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Writes the pointer's thumbnail (a JPEG or PNG) beside the saved file's name; its path. */
async function saveThumbnail(
  pointer: AttachmentPointer,
  dir: string,
  savedAs: string,
): Promise<string | undefined> {
  if (pointer.thumbnail === undefined) return undefined;
  const bytes = fromBase64(pointer.thumbnail);
  const ext = thumbnailExtension(bytes);
  if (ext === undefined) return undefined;
  // A hidden folder: no received file name starts with a dot (`safeName`), so none collides.
  await mkdir(join(dir, '.thumbnails'), { recursive: true, mode: 0o700 });
  const path = join(dir, '.thumbnails', `${savedAs}${ext}`);
  await writeFile(path, bytes, { mode: 0o600 });
  return path;
}

/** The attachment pointers an event carries (received, synced from our devices, or in a group). */
export function pointersOf(e: ClientEvent): readonly AttachmentPointer[] {
  if (e.type === 'message' || e.type === 'sent-sync' || e.type === 'group-message')
    return e.message.attachments ?? [];
  return [];
}

/** What happened to one event's attachments: the saved files and the failures. */
export interface SavedAttachments {
  readonly saved: SavedFile[];
  readonly failed: { readonly name: string; readonly code: string; readonly message: string }[];
}

export async function saveEventAttachments(
  client: ParleyClient,
  e: ClientEvent,
  dir: string,
): Promise<SavedAttachments> {
  const result: SavedAttachments = { saved: [], failed: [] };
  for (const p of pointersOf(e)) {
    try {
      result.saved.push(await saveAttachment(client, p, dir));
    } catch (x) {
      if (!(x instanceof ClientError)) throw x;
      const code = x.code === 'RELAY' ? (x.relayCode ?? 'RELAY') : x.code;
      result.failed.push({ name: p.name, code, message: x.message });
    }
  }
  if ('message' in e && result.saved.length > 0)
    client.noteSavedFiles(
      e.message.id,
      e.type === 'group-message' ? e.groupId : undefined,
      result.saved.flatMap((f) => (f.thumbnail === undefined ? [f.path] : [f.path, f.thumbnail])),
    );
  return result;
}
