/**
 * The storage conformance cases for delivery token hashes and encrypted profiles, run by every
 * backend as part of `runStorageConformance`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Storage } from '../storage/types.js';
import type { OpenedStorage } from './storage-conformance.js';

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const plain = (b: Uint8Array | undefined): Uint8Array | undefined =>
  b === undefined ? undefined : new Uint8Array(b);

export function runProfileStorageConformance(
  name: string,
  open: () => Promise<OpenedStorage>,
): void {
  const withStorage = (title: string, body: (s: Storage) => Promise<void>): void => {
    test(title, async () => {
      const { storage, cleanup } = await open();
      try {
        await storage.transact((w) =>
          w.accounts.create({
            accountId: 'a',
            username: 'a',
            identityKey: fill(33, 1),
            createdAt: 1,
          }),
        );
        await body(storage);
      } finally {
        await storage.close();
        await cleanup();
      }
    });
  };

  describe(`profile storage conformance: ${name}`, () => {
    withStorage('a delivery token hash is stored, replaced and revoked', async (s) => {
      assert.equal(await s.reader.profiles.deliveryTokenHash('a'), undefined);
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', fill(32, 1)));
      assert.deepEqual(plain(await s.reader.profiles.deliveryTokenHash('a')), fill(32, 1));
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', fill(32, 2)));
      assert.deepEqual(plain(await s.reader.profiles.deliveryTokenHash('a')), fill(32, 2));
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', null));
      assert.equal(await s.reader.profiles.deliveryTokenHash('a'), undefined);
    });

    withStorage('the profile and the token hash are independent', async (s) => {
      await s.transact((w) => w.profiles.setProfile('a', fill(100, 7)));
      assert.equal(await s.reader.profiles.deliveryTokenHash('a'), undefined);
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', fill(32, 3)));
      await s.transact((w) => w.profiles.setProfile('a', fill(50, 8)));
      assert.deepEqual(plain(await s.reader.profiles.profile('a')), fill(50, 8));
      assert.deepEqual(plain(await s.reader.profiles.deliveryTokenHash('a')), fill(32, 3));
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', null));
      assert.deepEqual(plain(await s.reader.profiles.profile('a')), fill(50, 8));
    });

    withStorage('a failed transaction leaves the token as it was', async (s) => {
      await s.transact((w) => w.profiles.setDeliveryTokenHash('a', fill(32, 1)));
      await assert.rejects(
        s.transact(async (w) => {
          await w.profiles.setDeliveryTokenHash('a', fill(32, 9));
          await w.profiles.setProfile('a', fill(10, 9));
          throw new Error('abort');
        }),
      );
      assert.deepEqual(plain(await s.reader.profiles.deliveryTokenHash('a')), fill(32, 1));
      assert.equal(await s.reader.profiles.profile('a'), undefined);
    });

    withStorage('deleting the account deletes its token hash and profile', async (s) => {
      await s.transact(async (w) => {
        await w.profiles.setDeliveryTokenHash('a', fill(32, 1));
        await w.profiles.setProfile('a', fill(10, 2));
      });
      await s.transact((w) => w.accounts.delete('a'));
      assert.equal(await s.reader.profiles.deliveryTokenHash('a'), undefined);
      assert.equal(await s.reader.profiles.profile('a'), undefined);
    });
  });
}
