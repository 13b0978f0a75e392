/**
 * Blob store in a directory: each blob is `<id>.blob` (its bytes, appended chunk by chunk and
 * synced before the append is answered) beside `<id>.json` (owner, size, expiry). The bytes
 * received are the file's length, so after a crash an upload continues from what reached the
 * disk. Metadata is also kept in memory (one small object per blob) for quotas and sweeps, and
 * read back from the directory at start; a file that does not parse is ignored and swept.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mutex } from '../storage/mutex.js';
import type { BlobMeta, BlobStore } from './types.js';

/** The directory under the relay's data directory that holds the blobs. */
export const BLOB_DIR_NAME = 'blobs';

/** Ids the relay issues are base64url; nothing else may become a file name. */
const SAFE_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** Largest metadata file read at start (a valid one is ≈ 200 bytes). */
const MAX_META_FILE_BYTES = 4096;

function parseMeta(text: string, attachmentId: string): Omit<BlobMeta, 'received'> | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const { accountId, deviceId, size, expiresAt } = o;
    if (
      typeof accountId === 'string' &&
      Number.isSafeInteger(deviceId) &&
      Number.isSafeInteger(size) &&
      Number.isSafeInteger(expiresAt)
    )
      return {
        attachmentId,
        accountId,
        deviceId: deviceId as number,
        size: size as number,
        expiresAt: expiresAt as number,
      };
  } catch {
    // ignored: swept below
  }
  return undefined;
}

/** Opens (creating it if needed) the blob directory `dir`, usually `<data dir>/blobs`. */
export async function openDiskBlobStore(dir: string): Promise<BlobStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const metas = new Map<string, BlobMeta>();
  const locks = new Map<string, Mutex>();
  const lock = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    let m = locks.get(id);
    if (m === undefined) {
      m = new Mutex();
      locks.set(id, m);
    }
    return m.run(fn);
  };
  const dataPath = (id: string) => join(dir, `${id}.blob`);
  const metaPath = (id: string) => join(dir, `${id}.json`);
  const remove = async (id: string) => {
    metas.delete(id);
    locks.delete(id);
    await rm(dataPath(id), { force: true });
    await rm(metaPath(id), { force: true });
  };

  for (const name of await readdir(dir)) {
    const id = name.replace(/\.(json|blob|tmp)$/, '');
    if (!SAFE_ID.test(id)) continue;
    if (!name.endsWith('.json')) {
      if (!name.endsWith('.tmp')) continue;
      await rm(join(dir, name), { force: true });
      continue;
    }
    const st = await stat(join(dir, name));
    const meta =
      st.size <= MAX_META_FILE_BYTES
        ? parseMeta(await readFile(join(dir, name), 'utf8'), id)
        : undefined;
    const received = await stat(dataPath(id)).then(
      (s) => s.size,
      () => -1,
    );
    if (meta === undefined || received < 0 || received > meta.size) {
      await remove(id);
      continue;
    }
    metas.set(id, { ...meta, received });
  }

  const writeMeta = async (meta: BlobMeta) => {
    const tmp = `${metaPath(meta.attachmentId)}.tmp`;
    const rest = {
      accountId: meta.accountId,
      deviceId: meta.deviceId,
      size: meta.size,
      expiresAt: meta.expiresAt,
    };
    await writeFile(tmp, JSON.stringify(rest), { mode: 0o600 });
    await rename(tmp, metaPath(meta.attachmentId));
  };

  return {
    async create(meta) {
      if (!SAFE_ID.test(meta.attachmentId)) throw new Error('unsafe blob id');
      const full = { ...meta, received: 0 };
      await lock(meta.attachmentId, async () => {
        await writeFile(dataPath(meta.attachmentId), new Uint8Array(0), { mode: 0o600 });
        await writeMeta(full);
        metas.set(meta.attachmentId, full);
      });
    },
    get: (id) => Promise.resolve(metas.get(id)),
    append: (id, offset, bytes, expiresAt) =>
      lock(id, async () => {
        const meta = metas.get(id);
        if (meta === undefined) return undefined;
        if (offset !== meta.received || offset + bytes.length > meta.size) return meta;
        const fh = await open(dataPath(id), 'r+');
        try {
          await fh.write(bytes, 0, bytes.length, offset);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        const next = { ...meta, received: offset + bytes.length, expiresAt };
        if (expiresAt !== meta.expiresAt) await writeMeta(next);
        metas.set(id, next);
        return next;
      }),
    async read(id, offset, length) {
      const meta = metas.get(id);
      if (meta === undefined || offset >= meta.received) return new Uint8Array(0);
      const want = Math.min(length, meta.received - offset);
      const fh = await open(dataPath(id), 'r');
      try {
        const out = new Uint8Array(want);
        const { bytesRead } = await fh.read(out, 0, want, offset);
        return out.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    usage(accountId, now) {
      let incomplete = 0;
      let bytes = 0;
      for (const meta of metas.values()) {
        if (meta.accountId !== accountId || meta.expiresAt <= now) continue;
        if (meta.received < meta.size) incomplete++;
        bytes += meta.size;
      }
      return Promise.resolve({ incomplete, bytes });
    },
    async deleteExpired(now, limit) {
      const expired = [...metas.values()].filter((m) => m.expiresAt <= now).slice(0, limit);
      for (const m of expired) await lock(m.attachmentId, () => remove(m.attachmentId));
      return expired.length;
    },
    async deleteAccount(accountId) {
      const owned = [...metas.values()].filter((m) => m.accountId === accountId);
      for (const m of owned) await lock(m.attachmentId, () => remove(m.attachmentId));
    },
    close: () => Promise.resolve(),
  };
}
