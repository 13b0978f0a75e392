/**
 * Conformance of `MessageWriter.claimSend` (optional): backends that implement it run this
 * beside `runStorageConformance`. A claim records a send once; a second claim of the same sender
 * and client message id writes nothing and answers the first one's timestamp.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SendRecord, Storage, Writer } from '../storage/types.js';
import { account, device, type OpenedStorage } from './storage-conformance.js';

const send = (clientMessageId: string, serverTimestamp: number, deviceId = 1): SendRecord => ({
  senderAccountId: 'a',
  senderDeviceId: deviceId,
  clientMessageId,
  serverTimestamp,
});

function claim(w: Writer, s: SendRecord): Promise<number | undefined> {
  if (w.messages.claimSend === undefined) throw new Error('this backend has no claimSend');
  return w.messages.claimSend(s);
}

export function runClaimSendConformance(name: string, open: () => Promise<OpenedStorage>): void {
  const withStorage = (title: string, body: (s: Storage) => Promise<void>): void => {
    test(title, async () => {
      const { storage, cleanup } = await open();
      try {
        await storage.transact(async (w) => {
          await w.accounts.create(account('a'));
          await w.devices.add(device('a', 1));
          await w.devices.add(device('a', 2));
        });
        await body(storage);
      } finally {
        await storage.close();
        await cleanup();
      }
    });
  };

  describe(`${name}: claimSend`, () => {
    withStorage('the first claim records, a repeat answers the first timestamp', async (s) => {
      assert.equal(await s.transact((w) => claim(w, send('x', 10))), undefined);
      assert.equal((await s.reader.messages.findSend('a', 1, 'x'))?.serverTimestamp, 10);
      assert.equal(await s.transact((w) => claim(w, send('x', 20))), 10);
      assert.equal(
        (await s.reader.messages.findSend('a', 1, 'x'))?.serverTimestamp,
        10,
        'a repeat overwrites nothing',
      );
    });

    withStorage('keyed by sender device and client message id', async (s) => {
      await s.transact((w) => claim(w, send('x', 10)));
      assert.equal(await s.transact((w) => claim(w, send('x', 11, 2))), undefined);
      assert.equal(await s.transact((w) => claim(w, send('y', 12))), undefined);
      assert.equal((await s.reader.messages.findSend('a', 2, 'x'))?.serverTimestamp, 11);
      assert.equal((await s.reader.messages.findSend('a', 1, 'y'))?.serverTimestamp, 12);
    });

    withStorage('two claims in one transaction: the second sees the first', async (s) => {
      const [first, second] = await s.transact(async (w) => [
        await claim(w, send('x', 10)),
        await claim(w, send('x', 20)),
      ]);
      assert.equal(first, undefined);
      assert.equal(second, 10);
    });

    withStorage('a claim in a transaction that throws is not recorded', async (s) => {
      await assert.rejects(
        s.transact(async (w) => {
          await claim(w, send('x', 10));
          throw new Error('refused');
        }),
        /refused/,
      );
      assert.equal(await s.reader.messages.findSend('a', 1, 'x'), undefined);
      assert.equal(await s.transact((w) => claim(w, send('x', 20))), undefined);
    });

    withStorage('claimed sends go with their account', async (s) => {
      await s.transact((w) => claim(w, send('x', 10)));
      await s.transact((w) => w.accounts.delete('a'));
      assert.equal(await s.reader.messages.findSend('a', 1, 'x'), undefined);
    });
  });
}
