/**
 * Files in the engine worker: a picked `File` read a chunk at a time for the SDK to encrypt and
 * upload (never whole in memory), a small thumbnail made for images (`createImageBitmap` and an
 * `OffscreenCanvas`, where the runtime has them), and a downloaded attachment decrypted by the
 * SDK into a `Blob` for the page. The decrypted bytes live only in that Blob: nothing is written
 * to OPFS or the store.
 */
import { clientLimits, type AttachmentSource, type ParleyClient } from '@parley/client';
import type { AttachmentPointer } from '@parley/client';
import { blobTypeOf } from './file-types.js';
import { FILE_READ_CHUNK_BYTES, MAX_THUMBNAIL_SOURCE_BYTES, THUMBNAIL_ATTEMPTS } from './limits.js';

/** What a thumbnail is made with; absent where the runtime lacks it (then none is made). */
interface ImageTools {
  createImageBitmap(blob: Blob): Promise<ImageBitmap>;
  OffscreenCanvas: typeof OffscreenCanvas;
}

function imageTools(): ImageTools | undefined {
  const g = globalThis as Partial<ImageTools>;
  if (typeof g.createImageBitmap !== 'function' || typeof g.OffscreenCanvas !== 'function')
    return undefined;
  return {
    createImageBitmap: g.createImageBitmap.bind(globalThis),
    OffscreenCanvas: g.OffscreenCanvas,
  };
}

/** `file`'s bytes, a chunk at a time. */
async function* chunksOf(file: Blob): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < file.size; offset += FILE_READ_CHUNK_BYTES)
    yield new Uint8Array(await file.slice(offset, offset + FILE_READ_CHUNK_BYTES).arrayBuffer());
}

/**
 * A JPEG of at most `MAX_THUMBNAIL_BYTES` showing an image file, or undefined (not an image,
 * too large to decode, or no way to draw here): a thumbnail is never worth failing a send for.
 */
export function thumbnailOf(file: Blob): Promise<Uint8Array | undefined> {
  return smallJpegOf(file, {
    maxSourceBytes: MAX_THUMBNAIL_SOURCE_BYTES,
    attempts: THUMBNAIL_ATTEMPTS,
    maxBytes: clientLimits.MAX_THUMBNAIL_BYTES,
  });
}

/** How `smallJpegOf` shrinks an image: the sizes and qualities tried, and the bounds. */
export interface JpegBounds {
  readonly maxSourceBytes: number;
  readonly attempts: readonly (readonly [side: number, quality: number])[];
  readonly maxBytes: number;
}

/**
 * A JPEG of at most `bounds.maxBytes` showing an image file, trying each side and quality in
 * turn; undefined when it is not an image, too large to decode, or cannot be drawn here.
 */
export async function smallJpegOf(file: Blob, bounds: JpegBounds): Promise<Uint8Array | undefined> {
  const tools = imageTools();
  if (tools === undefined || !file.type.startsWith('image/') || file.size > bounds.maxSourceBytes)
    return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await tools.createImageBitmap(file);
  } catch {
    return undefined;
  }
  try {
    for (const [side, quality] of bounds.attempts) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height, 1));
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      const canvas = new tools.OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d');
      if (ctx === null) return undefined;
      // Transparency is laid on white, as JPEG has none.
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(bitmap, 0, 0, width, height);
      const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality });
      if (jpeg.size <= bounds.maxBytes) return new Uint8Array(await jpeg.arrayBuffer());
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    bitmap.close();
  }
}

/** A picked file as the SDK uploads it, with a thumbnail for an image. */
export async function attachmentSource(file: File): Promise<AttachmentSource> {
  const thumbnail = await thumbnailOf(file);
  return {
    size: file.size,
    chunks: chunksOf(file),
    name: file.name,
    contentType: file.type === '' ? 'application/octet-stream' : file.type,
    ...(thumbnail !== undefined && { thumbnail }),
  };
}

/**
 * Downloads, checks and decrypts an attachment into a Blob (typed by `blobTypeOf`). The SDK's
 * bytes are provisional until the download resolves; on any failure they are dropped.
 */
export async function downloadToBlob(
  client: ParleyClient,
  pointer: AttachmentPointer,
): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  await client.downloadAttachment(pointer, (plain) => {
    // The SDK may reuse its buffer: keep a copy.
    parts.push(new Uint8Array(plain));
  });
  return new Blob(parts, { type: blobTypeOf(pointer.contentType) });
}
