/**
 * The conformance suite every `BlobStore` backend runs: appends only at the stored length and
 * within the declared size, ranged reads, usage, expiry, account deletion, and concurrent
 * appends to one blob (exactly one wins).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BlobStore } from '../blobs/types.js';

export interface OpenedBlobStore {
  readonly store: BlobStore;
  /** Closes and opens the same store again (backends that persist), or undefined. */
  readonly reopen?: () => Promise<BlobStore>;
  readonly close: () => Promise<void>;
}

const ID = 'blob-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const meta = (attachmentId = ID, size = 10, expiresAt = 1_000, accountId = 'acct') => ({
  attachmentId,
  accountId,
  deviceId: 1,
  size,
  expiresAt,
});
const bytes = (...v: number[]) => new Uint8Array(v);

export function runBlobStoreConformance(name: string, open: () => Promise<OpenedBlobStore>): void {
  describe(`blob store conformance: ${name}`, () => {
    test('appends go in order at the stored length, never past the declared size', async () => {
      const { store, close } = await open();
      await store.create(meta());
      assert.equal((await store.get(ID))?.received, 0);
      assert.equal((await store.append(ID, 0, bytes(1, 2, 3), 2_000))?.received, 3);
      assert.equal((await store.append(ID, 0, bytes(9), 3_000))?.received, 3, 'stale offset');
      assert.equal((await store.append(ID, 3, new Uint8Array(8), 3_000))?.received, 3, 'too long');
      const done = await store.append(ID, 3, bytes(4, 5, 6, 7, 8, 9, 10), 5_000);
      assert.deepEqual(done, { ...meta(), received: 10, expiresAt: 5_000 });
      assert.deepEqual([...(await store.read(ID, 0, 100))], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual([...(await store.read(ID, 8, 100))], [9, 10]);
      assert.deepEqual([...(await store.read(ID, 2, 3))], [3, 4, 5]);
      assert.equal((await store.read(ID, 10, 5)).length, 0);
      assert.equal(await store.append('unknown-blob-id-000000', 0, bytes(1), 1), undefined);
      await close();
    });

    test('concurrent appends at one offset: exactly one is stored', async () => {
      const { store, close } = await open();
      await store.create(meta(ID, 4));
      const results = await Promise.all([
        store.append(ID, 0, bytes(1, 1), 2),
        store.append(ID, 0, bytes(2, 2), 2),
        store.append(ID, 0, bytes(3, 3), 2),
      ]);
      assert.deepEqual(
        results.map((r) => r?.received),
        [2, 2, 2],
      );
      const stored = await store.read(ID, 0, 4);
      assert.equal(stored.length, 2);
      assert.equal(stored[0], stored[1]);
      await close();
    });

    test('usage counts incomplete uploads and declared bytes of unexpired blobs per account', async () => {
      const { store, close } = await open();
      await store.create(meta('blob-1-aaaaaaaaaaaaaaaaa', 2, 100));
      await store.create(meta('blob-2-aaaaaaaaaaaaaaaaa', 5, 100));
      await store.create(meta('blob-3-aaaaaaaaaaaaaaaaa', 7, 100, 'other'));
      await store.append('blob-1-aaaaaaaaaaaaaaaaa', 0, bytes(1, 2), 100);
      assert.deepEqual(await store.usage('acct', 50), { incomplete: 1, bytes: 7 });
      assert.deepEqual(await store.usage('acct', 100), { incomplete: 0, bytes: 0 });
      await close();
    });

    test('expired blobs are swept in batches; account deletion removes its blobs', async () => {
      const { store, close } = await open();
      await store.create(meta('blob-1-aaaaaaaaaaaaaaaaa', 2, 100));
      await store.create(meta('blob-2-aaaaaaaaaaaaaaaaa', 2, 100));
      await store.create(meta('blob-3-aaaaaaaaaaaaaaaaa', 2, 300));
      await store.create(meta('blob-4-aaaaaaaaaaaaaaaaa', 2, 300, 'other'));
      assert.equal(await store.deleteExpired(200, 1), 1);
      assert.equal(await store.deleteExpired(200, 10), 1);
      assert.equal(await store.get('blob-1-aaaaaaaaaaaaaaaaa'), undefined);
      assert.equal(await store.get('blob-2-aaaaaaaaaaaaaaaaa'), undefined);
      assert.ok(await store.get('blob-3-aaaaaaaaaaaaaaaaa'));
      await store.deleteAccount('acct');
      assert.equal(await store.get('blob-3-aaaaaaaaaaaaaaaaa'), undefined);
      assert.ok(await store.get('blob-4-aaaaaaaaaaaaaaaaa'));
      await close();
    });

    test('a persistent store keeps blobs and partial uploads across a reopen', async (t) => {
      const opened = await open();
      if (opened.reopen === undefined) {
        await opened.close();
        t.diagnostic('not persistent');
        return;
      }
      await opened.store.create(meta());
      await opened.store.append(ID, 0, bytes(1, 2, 3), 2_000);
      const again = await opened.reopen();
      assert.deepEqual(await again.get(ID), { ...meta(), received: 3, expiresAt: 2_000 });
      assert.equal((await again.append(ID, 3, bytes(4), 2_000))?.received, 4);
      assert.deepEqual([...(await again.read(ID, 0, 10))], [1, 2, 3, 4]);
      await opened.close();
    });
  });
}
