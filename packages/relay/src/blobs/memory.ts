/** Blob store in memory, for tests and the memory relay. */
import type { BlobMeta, BlobStore } from './types.js';

interface Entry {
  meta: BlobMeta;
  chunks: Uint8Array[];
}

export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Entry>();
  const bytesOf = (e: Entry): Uint8Array => {
    if (e.chunks.length > 1) {
      const all = new Uint8Array(e.meta.received);
      let at = 0;
      for (const c of e.chunks) {
        all.set(c, at);
        at += c.length;
      }
      e.chunks = [all];
    }
    return e.chunks[0] ?? new Uint8Array(0);
  };
  return {
    create(meta) {
      blobs.set(meta.attachmentId, { meta: { ...meta, received: 0 }, chunks: [] });
      return Promise.resolve();
    },
    get: (id) => Promise.resolve(blobs.get(id)?.meta),
    append(id, offset, bytes, expiresAt) {
      const e = blobs.get(id);
      if (e === undefined) return Promise.resolve(undefined);
      if (offset !== e.meta.received || offset + bytes.length > e.meta.size)
        return Promise.resolve(e.meta);
      e.chunks.push(bytes.slice());
      e.meta = { ...e.meta, received: offset + bytes.length, expiresAt };
      return Promise.resolve(e.meta);
    },
    read(id, offset, length) {
      const e = blobs.get(id);
      if (e === undefined) return Promise.resolve(new Uint8Array(0));
      return Promise.resolve(bytesOf(e).slice(offset, offset + length));
    },
    usage(accountId, now) {
      let incomplete = 0;
      let bytes = 0;
      for (const { meta } of blobs.values()) {
        if (meta.accountId !== accountId || meta.expiresAt <= now) continue;
        if (meta.received < meta.size) incomplete++;
        bytes += meta.size;
      }
      return Promise.resolve({ incomplete, bytes });
    },
    deleteExpired(now, limit) {
      let n = 0;
      for (const [id, { meta }] of blobs) {
        if (n >= limit) break;
        if (meta.expiresAt <= now) {
          blobs.delete(id);
          n++;
        }
      }
      return Promise.resolve(n);
    },
    deleteAccount(accountId) {
      for (const [id, { meta }] of blobs) if (meta.accountId === accountId) blobs.delete(id);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
