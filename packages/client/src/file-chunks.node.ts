/**
 * A file's bytes for `uploadAttachment`, read into one reused buffer: each chunk is a view of
 * that buffer, valid until the next one is asked for (the upload encrypts a chunk before it
 * asks). A `fs.createReadStream` allocates a new buffer per read instead, which for a 100 MB
 * file is 100 MB of garbage held as RSS until the collector gets to it.
 */
import { open } from 'node:fs/promises';

/** Bytes read at a time (and the buffer kept for the whole file). */
export const FILE_READ_CHUNK_BYTES = 256 * 1024;

/** The bytes of the file at `path`, in views of one `FILE_READ_CHUNK_BYTES` buffer. */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buffer = new Uint8Array(FILE_READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
