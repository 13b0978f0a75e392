/**
 * The storage conformance suite: every backend runs it (`runStorageConformance(name, open)`), so
 * the memory and SQLite backends, and the PostgreSQL one to come, behave the same.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccountRecord, DeviceRecord, MessageRecord, Storage } from '../storage/types.js';
import { runGroupStorageConformance } from './group-storage-conformance.js';
import { runProfileStorageConformance } from './profile-storage-conformance.js';

export interface OpenedStorage {
  readonly storage: Storage;
  readonly cleanup: () => Promise<void>;
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

export function account(id: string, username = id): AccountRecord {
  return { accountId: id, username, identityKey: bytes(33, 1), createdAt: 1 };
}

export function device(
  accountId: string,
  deviceId: number,
  registrationId = 100 + deviceId,
): DeviceRecord {
  return {
    accountId,
    deviceId,
    registrationId,
    identityKey: bytes(33, deviceId),
    secretHash: bytes(32, deviceId),
    createdAt: 2,
  };
}

/** A message for `to`; `tag` becomes its client message id (what tests recognise it by). */
export function message(tag: string, to: [string, number], at = 1_000): MessageRecord {
  return {
    recipientAccountId: to[0],
    recipientDeviceId: to[1],
    senderAccountId: 'sender',
    senderDeviceId: 1,
    clientMessageId: tag,
    type: 1,
    content: bytes(10, 9),
    serverTimestamp: at,
  };
}

/** Runs the whole suite against storages from `open` (a fresh, empty one per test). */
export function runStorageConformance(name: string, open: () => Promise<OpenedStorage>): void {
  const withStorage = (title: string, body: (s: Storage) => Promise<void>): void => {
    test(title, async () => {
      const { storage, cleanup } = await open();
      try {
        await body(storage);
      } finally {
        await storage.close();
        await cleanup();
      }
    });
  };
  const seed = async (s: Storage, ...ids: string[]): Promise<void> => {
    await s.transact(async (w) => {
      for (const id of ids) {
        await w.accounts.create(account(id));
        await w.devices.add(device(id, 1));
        await w.devices.add(device(id, 2));
      }
    });
  };

  describe(`storage conformance: ${name}`, () => {
    withStorage('accounts: create, find by id and by username case-insensitively', async (s) => {
      await s.transact((w) => w.accounts.create(account('a1', 'alice')));
      assert.equal((await s.reader.accounts.byId('a1'))?.username, 'alice');
      assert.equal((await s.reader.accounts.byUsername('ALICE'))?.accountId, 'a1');
      assert.equal(await s.reader.accounts.byId('nobody'), undefined);
    });

    withStorage('accounts: the account key is replaced in place', async (s) => {
      await s.transact((w) => w.accounts.create(account('a1', 'alice')));
      await s.transact((w) => w.accounts.setIdentityKey('a1', new Uint8Array(33).fill(9)));
      const key = (await s.reader.accounts.byId('a1'))?.identityKey;
      assert.deepEqual([...(key ?? [])], [...new Uint8Array(33).fill(9)]);
      assert.equal((await s.reader.accounts.byUsername('alice'))?.identityKey[5], 9);
    });

    withStorage(
      'accounts: a taken username is refused and the transaction rolls back',
      async (s) => {
        await s.transact((w) => w.accounts.create(account('a1', 'alice')));
        await assert.rejects(
          s.transact(async (w) => {
            await w.accounts.create(account('a2', 'bob'));
            await w.accounts.create(account('a3', 'alice'));
          }),
          { name: 'UsernameTakenError' },
        );
        assert.equal(await s.reader.accounts.byId('a2'), undefined, 'a2 rolled back');
      },
    );

    withStorage('transact: a throwing callback leaves nothing behind', async (s) => {
      await seed(s, 'a');
      await assert.rejects(
        s.transact(async (w) => {
          await w.messages.enqueue(message('m1', ['a', 1]));
          await w.keys.addOneTime('a', 1, 'ec', [
            { keyId: 1, publicKey: bytes(33, 1), signature: bytes(0, 0) },
          ]);
          await w.deviceLists.put({ accountId: 'a', version: 1, blob: bytes(5, 5) });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await s.reader.messages.depth('a', 1), 0);
      assert.equal(await s.reader.keys.count('a', 1, 'ec'), 0);
      assert.equal(await s.reader.deviceLists.get('a'), undefined);
    });

    withStorage('transact: concurrent transactions commit or fail independently', async (s) => {
      await seed(s, 'a');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          s.transact(async (w) => {
            await w.messages.enqueue(message(`m${i}`, ['a', 1]));
            if (i % 3 === 0) throw new Error(`abort ${i}`);
            return i;
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? 'rejected' : 'fulfilled')),
      );
      assert.deepEqual(
        (await s.reader.messages.list('a', 1, 0, 100)).map((m) => m.clientMessageId),
        ['m1', 'm2', 'm4', 'm5', 'm7', 'm8'],
      );
    });

    withStorage('transact: the writer sees its own writes', async (s) => {
      await seed(s, 'a');
      const seen = await s.transact(async (w) => {
        await w.messages.enqueue(message('m1', ['a', 1]));
        return w.messages.depth('a', 1);
      });
      assert.equal(seen, 1);
    });

    withStorage('devices: listed in id order; removal drops their keys and queue', async (s) => {
      await s.transact(async (w) => {
        await w.accounts.create(account('a'));
        await w.devices.add(device('a', 3));
        await w.devices.add(device('a', 1));
        await w.keys.addOneTime('a', 3, 'ec', [
          { keyId: 1, publicKey: bytes(33, 1), signature: bytes(0, 0) },
        ]);
        await w.keys.setSigned('a', 3, 'ec-signed', {
          keyId: 1,
          publicKey: bytes(33, 1),
          signature: bytes(64, 1),
        });
        await w.messages.enqueue(message('m1', ['a', 3]));
      });
      assert.deepEqual(
        (await s.reader.devices.list('a')).map((d) => d.deviceId),
        [1, 3],
      );
      assert.equal((await s.reader.devices.get('a', 3))?.registrationId, 103);
      await s.transact((w) => w.devices.remove('a', 3));
      assert.equal(await s.reader.devices.get('a', 3), undefined);
      assert.equal(await s.reader.keys.count('a', 3, 'ec'), 0);
      assert.equal(await s.reader.keys.signed('a', 3, 'ec-signed'), undefined);
      assert.equal(await s.reader.messages.depth('a', 3), 0);
    });

    withStorage(
      'accounts: deletion removes devices, lists, keys, queues, send records and attachments',
      async (s) => {
        await seed(s, 'a', 'b');
        await s.transact(async (w) => {
          await w.deviceLists.put({ accountId: 'a', version: 3, blob: bytes(4, 4) });
          await w.keys.addOneTime('a', 1, 'kyber', [
            { keyId: 7, publicKey: bytes(33, 1), signature: bytes(64, 1) },
          ]);
          await w.messages.enqueue(message('m1', ['a', 2]));
          await w.messages.enqueue(message('m2', ['b', 1]));
          await w.messages.recordSend({
            senderAccountId: 'a',
            senderDeviceId: 1,
            clientMessageId: 'x',
            serverTimestamp: 5,
          });
          await w.linkTokens.put({ tokenHash: 'h', accountId: 'a', expiresAt: 10 });
          await w.attachments.put(
            { attachmentId: 'att-a', bytes: bytes(10, 1), expiresAt: 99 },
            'a',
          );
          await w.attachments.put(
            { attachmentId: 'att-b', bytes: bytes(10, 2), expiresAt: 99 },
            'b',
          );
        });
        await s.transact((w) => w.accounts.delete('a'));
        assert.equal(await s.reader.attachments.get('att-a', 0), undefined);
        assert.equal((await s.reader.attachments.get('att-b', 0))?.bytes.length, 10);
        assert.equal(await s.reader.accounts.byId('a'), undefined);
        assert.equal(await s.reader.accounts.byUsername('a'), undefined);
        assert.deepEqual(await s.reader.devices.list('a'), []);
        assert.equal(await s.reader.deviceLists.get('a'), undefined);
        assert.equal(await s.reader.keys.count('a', 1, 'kyber'), 0);
        assert.equal(await s.reader.messages.depth('a', 2), 0);
        assert.equal(await s.reader.messages.findSend('a', 1, 'x'), undefined);
        assert.equal(await s.transact((w) => w.linkTokens.take('h', 0)), undefined);
        assert.equal(await s.reader.messages.depth('b', 1), 1, 'other accounts untouched');
        assert.equal((await s.reader.accounts.byId('b'))?.accountId, 'b');
      },
    );

    withStorage('device lists: the latest put is served', async (s) => {
      await seed(s, 'a');
      await s.transact((w) => w.deviceLists.put({ accountId: 'a', version: 1, blob: bytes(3, 1) }));
      await s.transact((w) => w.deviceLists.put({ accountId: 'a', version: 2, blob: bytes(3, 2) }));
      const list = await s.reader.deviceLists.get('a');
      assert.equal(list?.version, 2);
      assert.deepEqual([...list.blob], [2, 2, 2]);
    });

    withStorage(
      'keys: signed keys replace; one-time keys are taken lowest id first, once',
      async (s) => {
        await seed(s, 'a');
        await s.transact(async (w) => {
          await w.keys.setSigned('a', 1, 'ec-signed', {
            keyId: 1,
            publicKey: bytes(33, 1),
            signature: bytes(64, 1),
          });
          await w.keys.setSigned('a', 1, 'ec-signed', {
            keyId: 2,
            publicKey: bytes(33, 2),
            signature: bytes(64, 2),
          });
          await w.keys.addOneTime('a', 1, 'ec', [
            { keyId: 9, publicKey: bytes(33, 9), signature: bytes(0, 0) },
            { keyId: 4, publicKey: bytes(33, 4), signature: bytes(0, 0) },
          ]);
        });
        assert.equal((await s.reader.keys.signed('a', 1, 'ec-signed'))?.keyId, 2);
        assert.equal(await s.reader.keys.count('a', 1, 'ec'), 2);
        assert.equal(await s.reader.keys.count('a', 1, 'kyber'), 0);
        const first = await s.transact((w) => w.keys.takeOneTime('a', 1, 'ec'));
        const second = await s.transact((w) => w.keys.takeOneTime('a', 1, 'ec'));
        const third = await s.transact((w) => w.keys.takeOneTime('a', 1, 'ec'));
        assert.equal(first?.keyId, 4);
        assert.deepEqual([...first.publicKey], [...bytes(33, 4)]);
        assert.equal(second?.keyId, 9);
        assert.equal(third, undefined);
      },
    );

    withStorage('keys: concurrent takes never return the same key', async (s) => {
      await seed(s, 'a');
      const keys = Array.from({ length: 20 }, (_, i) => ({
        keyId: i,
        publicKey: bytes(33, i),
        signature: bytes(0, 0),
      }));
      await s.transact((w) => w.keys.addOneTime('a', 1, 'ec', keys));
      const taken = await Promise.all(
        Array.from({ length: 30 }, () => s.transact((w) => w.keys.takeOneTime('a', 1, 'ec'))),
      );
      const ids = taken.filter((k) => k !== undefined).map((k) => k.keyId);
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20);
    });

    withStorage('messages: queue order, cursor, depth, delete by guid, per device', async (s) => {
      await seed(s, 'a');
      const seqs: number[] = [];
      await s.transact(async (w) => {
        for (let i = 0; i < 5; i++)
          seqs.push((await w.messages.enqueue(message(`m${i}`, ['a', 1]))).seq);
        await w.messages.enqueue(message('other', ['a', 2]));
      });
      assert.deepEqual(
        [...seqs].sort((x, y) => x - y),
        seqs,
        'seq increases',
      );
      const all = await s.reader.messages.list('a', 1, 0, 100);
      assert.deepEqual(
        all.map((m) => m.clientMessageId),
        ['m0', 'm1', 'm2', 'm3', 'm4'],
      );
      assert.equal(all[0]?.senderAccountId, 'sender');
      assert.deepEqual([...all[0].content], [...bytes(10, 9)]);
      assert.equal(new Set(all.map((m) => m.guid)).size, 5, 'guids are distinct');
      const after = await s.reader.messages.list('a', 1, seqs[1] ?? 0, 2);
      assert.deepEqual(
        after.map((m) => m.clientMessageId),
        ['m2', 'm3'],
      );
      assert.equal(await s.reader.messages.depth('a', 1), 5);
      assert.equal(await s.reader.messages.total(), 6);
      assert.equal(
        await s.transact((w) =>
          w.messages.delete('a', 1, [all[1]?.guid ?? '', all[3]?.guid ?? '', 'nope', '9999_ab']),
        ),
        2,
      );
      assert.deepEqual(
        (await s.reader.messages.list('a', 1, 0, 100)).map((m) => m.clientMessageId),
        ['m0', 'm2', 'm4'],
      );
      assert.equal(
        await s.reader.messages.depth('a', 2),
        1,
        "another device's message is not deleted",
      );
    });

    withStorage(
      'messages: seq increases per device in commit order and is never reused',
      async (s) => {
        await seed(s, 'a', 'b');
        const firsts = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.transact((w) =>
              w.messages.enqueue(message(`m${i}`, i % 2 === 0 ? ['a', 1] : ['b', 1])),
            ),
          ),
        );
        for (const [who, parity] of [
          ['a', 0],
          ['b', 1],
        ] as const) {
          const queue = await s.reader.messages.list(who, 1, 0, 100);
          assert.deepEqual(
            queue.map((m) => m.clientMessageId),
            firsts.map((_, i) => `m${i}`).filter((_, i) => i % 2 === parity),
            'queue order is commit order',
          );
          const seqs = queue.map((m) => m.seq);
          assert.deepEqual(
            seqs,
            [...seqs].sort((x, y) => x - y),
          );
          assert.equal(new Set(seqs).size, seqs.length);
        }
        const last = Math.max(...(await s.reader.messages.list('a', 1, 0, 100)).map((m) => m.seq));
        await s.transact((w) => w.messages.deleteUpTo('a', 1, last));
        assert.equal(await s.reader.messages.depth('a', 1), 0);
        const next = (await s.transact((w) => w.messages.enqueue(message('after', ['a', 1])))).seq;
        assert.ok(next > last, 'a seq is never reused, even when the queue was emptied');
      },
    );

    withStorage(
      'messages: deleteUpTo removes a range of one device and nothing else',
      async (s) => {
        await seed(s, 'a', 'b');
        const seqs = await s.transact(async (w) => {
          const out: number[] = [];
          for (let i = 0; i < 6; i++)
            out.push((await w.messages.enqueue(message(`m${i}`, ['a', 1]))).seq);
          await w.messages.enqueue(message('a2', ['a', 2]));
          await w.messages.enqueue(message('b1', ['b', 1]));
          return out;
        });
        // A gap: m1 is deleted on its own first.
        const m1 = (await s.reader.messages.list('a', 1, 0, 10))[1]?.guid ?? '';
        assert.equal(await s.transact((w) => w.messages.delete('a', 1, [m1])), 1);
        assert.equal(
          await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[3] ?? 0), { durable: false }),
          3,
          'm0, m2 and m3',
        );
        assert.deepEqual(
          (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
          ['m4', 'm5'],
        );
        assert.equal(await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[3] ?? 0)), 0);
        assert.equal(await s.transact((w) => w.messages.deleteUpTo('a', 1, 0)), 0);
        assert.equal(await s.reader.messages.depth('a', 2), 1, 'other device untouched');
        assert.equal(await s.reader.messages.depth('b', 1), 1, 'other account untouched');
      },
    );

    withStorage(
      'devices: routes give ids, registration ids and queue depths in order',
      async (s) => {
        await seed(s, 'a');
        await s.transact(async (w) => {
          await w.devices.add(device('a', 5, 7));
          await w.messages.enqueue(message('m1', ['a', 5]));
          await w.messages.enqueue(message('m2', ['a', 5]));
          await w.messages.enqueue(message('m3', ['a', 1]));
        });
        assert.deepEqual(await s.reader.devices.routes('a'), [
          { deviceId: 1, registrationId: 101, queueDepth: 1 },
          { deviceId: 2, registrationId: 102, queueDepth: 0 },
          { deviceId: 5, registrationId: 7, queueDepth: 2 },
        ]);
        assert.deepEqual(await s.reader.devices.routes('nobody'), []);
      },
    );

    withStorage('transact: many concurrent transactions, durable or not, all settle', async (s) => {
      await seed(s, 'a');
      const results = await Promise.all(
        Array.from({ length: 1_200 }, (_, i) =>
          s.transact((w) => w.messages.enqueue(message(`m${i}`, ['a', 1])), {
            durable: i % 2 === 0,
          }),
        ),
      );
      assert.equal(new Set(results.map((m) => m.seq)).size, 1_200);
      assert.equal(await s.reader.messages.depth('a', 1), 1_200);
    });

    withStorage('messages: send records for idempotency, and age-based expiry', async (s) => {
      await seed(s, 'a');
      await s.transact(async (w) => {
        await w.messages.enqueue(message('old1', ['a', 1], 10));
        await w.messages.enqueue(message('old2', ['a', 2], 20));
        await w.messages.enqueue(message('new', ['a', 1], 1_000));
        await w.messages.recordSend({
          senderAccountId: 'a',
          senderDeviceId: 1,
          clientMessageId: 'old',
          serverTimestamp: 10,
        });
        await w.messages.recordSend({
          senderAccountId: 'a',
          senderDeviceId: 1,
          clientMessageId: 'new',
          serverTimestamp: 1_000,
        });
      });
      assert.equal((await s.reader.messages.findSend('a', 1, 'new'))?.serverTimestamp, 1_000);
      assert.equal(await s.reader.messages.findSend('a', 2, 'new'), undefined);
      assert.equal(
        await s.transact((w) => w.messages.deleteOlderThan(500, 1)),
        1,
        'bounded by the limit',
      );
      assert.equal(await s.transact((w) => w.messages.deleteOlderThan(500, 10)), 1);
      assert.deepEqual(
        (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
        ['new'],
      );
      assert.equal(await s.reader.messages.depth('a', 2), 0);
      assert.equal(await s.transact((w) => w.messages.deleteSendsOlderThan(500, 10)), 1);
      assert.equal(await s.reader.messages.findSend('a', 1, 'old'), undefined);
    });

    withStorage(
      'messages: a disappearing message keeps its expiry and the sweep deletes it then',
      async (s) => {
        await seed(s, 'a');
        await s.transact(async (w) => {
          await w.messages.enqueue({ ...message('brief', ['a', 1], 10), expiresAt: 2_000 });
          await w.messages.enqueue({ ...message('briefer', ['a', 2], 10), expiresAt: 1_500 });
          await w.messages.enqueue(message('kept', ['a', 1], 10));
        });
        const listed = await s.reader.messages.list('a', 1, 0, 10);
        assert.deepEqual(
          listed.map((m) => [m.clientMessageId, m.expiresAt]),
          [
            ['brief', 2_000],
            ['kept', undefined],
          ],
        );
        assert.equal(await s.transact((w) => w.messages.deleteExpired(1_000, 10)), 0, 'not yet');
        assert.equal(await s.transact((w) => w.messages.deleteExpired(2_000, 1)), 1, 'bounded');
        assert.equal(await s.transact((w) => w.messages.deleteExpired(2_000, 10)), 1);
        assert.deepEqual(
          (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
          ['kept'],
        );
        assert.equal(await s.reader.messages.depth('a', 2), 0);
      },
    );

    withStorage('link tokens: taken once, and not after expiry', async (s) => {
      await seed(s, 'a');
      await s.transact(async (w) => {
        await w.linkTokens.put({ tokenHash: 't1', accountId: 'a', expiresAt: 100 });
        await w.linkTokens.put({ tokenHash: 't2', accountId: 'a', expiresAt: 100 });
        await w.linkTokens.put({ tokenHash: 't3', accountId: 'a', expiresAt: 50 });
      });
      assert.equal((await s.transact((w) => w.linkTokens.take('t1', 99)))?.accountId, 'a');
      assert.equal(await s.transact((w) => w.linkTokens.take('t1', 99)), undefined, 'single use');
      assert.equal(await s.transact((w) => w.linkTokens.take('t2', 100)), undefined, 'expired');
      assert.equal(await s.transact((w) => w.linkTokens.deleteExpired(60, 10)), 1);
    });

    withStorage('provisioning: deliver into an open channel, read, close, expire', async (s) => {
      await s.transact((w) =>
        w.provisioning.open({ channelId: 'c1', ciphertext: null, expiresAt: 100 }),
      );
      assert.equal((await s.reader.provisioning.get('c1', 10))?.ciphertext, null);
      assert.equal(await s.transact((w) => w.provisioning.deliver('c1', bytes(4, 4), 10)), true);
      assert.equal(await s.transact((w) => w.provisioning.deliver('nope', bytes(4, 4), 10)), false);
      assert.deepEqual(
        [...((await s.reader.provisioning.get('c1', 10))?.ciphertext ?? [])],
        [4, 4, 4, 4],
      );
      assert.equal(await s.reader.provisioning.get('c1', 100), undefined, 'expired');
      assert.equal(await s.transact((w) => w.provisioning.deliver('c1', bytes(4, 4), 100)), false);
      await s.transact((w) => w.provisioning.close('c1'));
      assert.equal(await s.reader.provisioning.get('c1', 10), undefined);
      await s.transact((w) =>
        w.provisioning.open({ channelId: 'c2', ciphertext: null, expiresAt: 5 }),
      );
      assert.equal(await s.transact((w) => w.provisioning.deleteExpired(10, 10)), 1);
    });

    withStorage('attachments: stored bytes until expiry', async (s) => {
      await seed(s, 'a');
      await s.transact((w) =>
        w.attachments.put({ attachmentId: 'x', bytes: bytes(1000, 3), expiresAt: 100 }, 'a'),
      );
      assert.equal((await s.reader.attachments.get('x', 99))?.bytes.length, 1000);
      assert.equal(await s.reader.attachments.get('x', 100), undefined);
      assert.equal(await s.reader.attachments.get('y', 0), undefined);
      assert.equal(await s.transact((w) => w.attachments.deleteExpired(100, 10)), 1);
      assert.equal(await s.reader.attachments.get('x', 0), undefined);
    });

    withStorage('close: waits for a running transaction, then refuses new ones', async (s) => {
      await seed(s, 'a');
      const running = s.transact(async (w) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return w.messages.enqueue(message('m', ['a', 1]));
      });
      const closed = s.close();
      assert.equal(typeof (await running).seq, 'number');
      await closed;
      await assert.rejects(s.transact((w) => w.messages.depth('a', 1)));
    });
  });
  runGroupStorageConformance(name, open);
  runProfileStorageConformance(name, open);
}
