/**
 * Sending and fetching attachment blobs. A file is read in chunks, encrypted as it is read
 * (`attachment-crypto.ts`) and uploaded `ATTACHMENT_CHUNK_BYTES` at a time, so memory holds one
 * chunk, not the file. A chunk that fails is tried again after asking the relay how much it
 * has (the answer to a chunk that arrived may be what was lost). The pointer that comes back
 * goes into one message, which every recipient device decrypts: one upload serves a whole group.
 *
 * Fetching streams the other way: ranges are downloaded, checked and decrypted as they come and
 * handed to a sink, which must treat them as provisional until `downloadAttachment` resolves
 * (any failure means: discard everything the sink received).
 */
import { fromBase64, fromHex, toBase64, toHex } from '@parley/bytes';
import {
  ATTACHMENT_KEY_LENGTH,
  AttachmentDecryptor,
  AttachmentEncryptor,
  blobLength,
} from './attachment-crypto.js';
import type { BlobHttp } from './blob-http.js';
import type { AttachmentPointer } from './content.js';
import type { ClientContext } from './context.js';
import { ClientError } from './errors.js';
import {
  ATTACHMENT_CHUNK_BYTES,
  MAX_ATTACHMENT_CHUNK_RETRIES,
  MAX_ATTACHMENT_NAME_LENGTH,
  MAX_CONTENT_TYPE_LENGTH,
  MAX_THUMBNAIL_BYTES,
} from './limits.js';

/** A file to send: its size up front, then its bytes in chunks of any size. */
export interface AttachmentSource {
  readonly size: number;
  /**
   * The bytes; each chunk is used before the next is asked for, so a source may reuse one
   * buffer (`fileChunks` in `@parley/client/node` does).
   */
  readonly chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  readonly name: string;
  readonly contentType: string;
  /** A small image (JPEG or PNG) made on this device, at most `MAX_THUMBNAIL_BYTES`. */
  readonly thumbnail?: Uint8Array;
}

/** Padding encrypted at a time (in the encryptor's reused buffer, so no larger than a read). */
const PADDING_PIECE_BYTES = 64 * 1024;

const PASSING = ['UNREACHABLE'];
const PASSING_RELAY = ['INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED'];
function passing(e: unknown): boolean {
  return (
    e instanceof ClientError &&
    (PASSING.includes(e.code) || (e.code === 'RELAY' && PASSING_RELAY.includes(e.relayCode ?? '')))
  );
}

/** Sends `piece` at `offset`, asking the relay where the upload stands after a failure. */
async function putChunk(
  c: ClientContext,
  http: BlobHttp,
  attachmentId: string,
  offset: number,
  piece: Uint8Array,
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await http.putChunk(c.auth(), attachmentId, offset, piece);
      return;
    } catch (e) {
      const mismatch = e instanceof ClientError && e.relayCode === 'UPLOAD_OFFSET_MISMATCH';
      if ((!passing(e) && !mismatch) || attempt >= MAX_ATTACHMENT_CHUNK_RETRIES) throw e;
      const { received } = await http.upload(c.auth(), attachmentId);
      if (received === offset + piece.length) return;
      if (received !== offset)
        throw new ClientError('RELAY_INCONSISTENT', 'the relay lost part of an upload');
    }
  }
}

function checkLabels(file: AttachmentSource): void {
  if (file.name.length > MAX_ATTACHMENT_NAME_LENGTH)
    throw new ClientError('INVALID_INPUT', 'file name too long');
  if (file.contentType.length > MAX_CONTENT_TYPE_LENGTH)
    throw new ClientError('INVALID_INPUT', 'content type too long');
  if (file.thumbnail !== undefined && file.thumbnail.length > MAX_THUMBNAIL_BYTES)
    throw new ClientError('INVALID_INPUT', 'thumbnail too large');
}

/** Encrypts and uploads a file; the pointer to put in a message. */
export async function uploadAttachment(
  c: ClientContext,
  http: BlobHttp,
  file: AttachmentSource,
): Promise<AttachmentPointer> {
  checkLabels(file);
  const key = c.p.randomBytes(ATTACHMENT_KEY_LENGTH);
  const enc = new AttachmentEncryptor(c.p, key, file.size);
  const total = blobLength(file.size);
  const { attachmentId } = await http.createUpload(c.auth(), total);
  // One chunk buffer for the whole upload, filled by copying the encryptor's output (itself one
  // reused buffer) and reused once a chunk is sent: the upload allocates nothing per chunk.
  const chunk = new Uint8Array(Math.min(ATTACHMENT_CHUNK_BYTES, total));
  let fill = 0;
  let offset = 0;
  const send = async () => {
    await putChunk(c, http, attachmentId, offset, chunk.subarray(0, fill));
    offset += fill;
    fill = 0;
  };
  const add = async (bytes: Uint8Array) => {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(chunk.length - fill, bytes.length - at);
      chunk.set(bytes.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === chunk.length) await send();
    }
  };
  for await (const piece of file.chunks) await add(enc.update(piece));
  for (;;) {
    const pad = enc.padding(PADDING_PIECE_BYTES);
    if (pad.length === 0) break;
    await add(pad);
  }
  const { tail, digests } = enc.final();
  await add(tail);
  if (fill > 0) await send();
  if (offset !== total) throw new ClientError('MISUSE', 'upload length mismatch');
  const pointer: AttachmentPointer = {
    id: attachmentId,
    key: toBase64(key),
    digest: toBase64(digests.digest),
    sha256: toHex(digests.sha256),
    size: file.size,
    contentType: file.contentType,
    name: file.name,
  };
  return file.thumbnail === undefined
    ? pointer
    : { ...pointer, thumbnail: toBase64(file.thumbnail) };
}

/**
 * Downloads, checks and decrypts an attachment, handing plaintext to `sink` as it comes (a view
 * of the decryptor's buffer, reused once `sink` has returned or resolved); throws
 * `ATTACHMENT_INVALID` when the blob is not the one the pointer names (the sink's bytes must
 * then be discarded), or the relay's error when it cannot be fetched (`ATTACHMENT_NOT_FOUND`
 * once expired).
 */
export async function downloadAttachment(
  c: ClientContext,
  http: BlobHttp,
  pointer: AttachmentPointer,
  sink: (plain: Uint8Array) => void | Promise<void>,
): Promise<void> {
  const dec = new AttachmentDecryptor(c.p, fromBase64(pointer.key), pointer.size, {
    digest: fromBase64(pointer.digest),
    sha256: fromHex(pointer.sha256),
  });
  const total = blobLength(pointer.size);
  let offset = 0;
  while (offset < total) {
    let bytes: Uint8Array | undefined;
    for (let attempt = 0; bytes === undefined; attempt++) {
      try {
        bytes = await http.download(
          c.auth(),
          pointer.id,
          offset,
          Math.min(ATTACHMENT_CHUNK_BYTES, total - offset),
        );
      } catch (e) {
        if (!passing(e) || attempt >= MAX_ATTACHMENT_CHUNK_RETRIES) throw e;
      }
    }
    if (bytes.length === 0) break;
    // A view of the decryptor's reused buffer: the sink is done with it before the next range.
    const plain = dec.update(bytes);
    if (plain.length > 0) await sink(plain);
    offset += bytes.length;
  }
  dec.final();
}
