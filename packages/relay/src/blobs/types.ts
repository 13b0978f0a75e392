/**
 * Where the relay keeps attachment blobs uploaded in chunks: opaque bytes under an unguessable
 * id, with the uploading device, the declared size, how much arrived and when it expires. A
 * store of its own beside `Storage`, because blobs are large, sequentially written and read in
 * ranges, which a file suits better than a database row (and because a relay that scales out
 * over PostgreSQL may keep them in object storage). Backends: memory (tests) and a directory
 * on disk (`disk.ts`); both run `blobStoreConformance` (`@parley/relay/testing`).
 *
 * The store only stores; the routes (`routes/attachment-uploads.ts`) check ownership, offsets,
 * sizes, quotas and expiry. Calls for one id may arrive concurrently: a backend serialises them.
 */
export interface BlobMeta {
  readonly attachmentId: string;
  readonly accountId: string;
  readonly deviceId: number;
  /** The size declared when the upload started. */
  readonly size: number;
  /** Bytes stored so far; the blob is complete when `received === size`. */
  readonly received: number;
  readonly expiresAt: number;
}

export interface BlobStore {
  /** Starts an empty blob; the id is new (the caller makes it from 256 random bits). */
  create(meta: Omit<BlobMeta, 'received'>): Promise<void>;
  /** The blob's state, expired or not (the caller compares `expiresAt`). */
  get(attachmentId: string): Promise<BlobMeta | undefined>;
  /**
   * Appends `bytes` if the blob has exactly `offset` bytes and room for them, setting
   * `expiresAt` at the same time; returns the new state, or `undefined` when the blob is gone,
   * or the unchanged state when the offset does not match or the bytes would pass `size`.
   */
  append(
    attachmentId: string,
    offset: number,
    bytes: Uint8Array,
    expiresAt: number,
  ): Promise<BlobMeta | undefined>;
  /** Up to `length` stored bytes from `offset` (fewer at the end; none past it). */
  read(attachmentId: string, offset: number, length: number): Promise<Uint8Array>;
  /** An account's blobs not yet expired at `now`: how many are incomplete, and their declared bytes. */
  usage(accountId: string, now: number): Promise<{ incomplete: number; bytes: number }>;
  /** Deletes up to `limit` blobs expired at `now`; how many it deleted. */
  deleteExpired(now: number, limit: number): Promise<number>;
  /** Deletes every blob of an account (the account was deleted). */
  deleteAccount(accountId: string): Promise<void>;
  close(): Promise<void>;
}
