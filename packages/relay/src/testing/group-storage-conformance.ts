/**
 * The storage conformance cases for MLS KeyPackages and groups, run by every backend as part of
 * `runStorageConformance`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  GroupExistsError,
  type ClaimedKeyPackageRecord,
  type HandshakeRecord,
} from '../storage/group-types.js';
import type { Storage } from '../storage/types.js';
import type { OpenedStorage } from './storage-conformance.js';

const kp = (fill: number): Uint8Array => new Uint8Array(40).fill(fill);
/** A claim with plain `Uint8Array` bytes (backends may return a Buffer subclass). */
const plain = (c: ClaimedKeyPackageRecord | undefined) =>
  c === undefined
    ? undefined
    : { keyPackage: new Uint8Array(c.keyPackage), lastResort: c.lastResort };
const account = (accountId: string) => ({
  accountId,
  username: accountId,
  identityKey: kp(1),
  createdAt: 1,
});
const device = (accountId: string, deviceId: number) => ({
  accountId,
  deviceId,
  registrationId: 100 + deviceId,
  identityKey: kp(deviceId),
  secretHash: kp(deviceId),
  createdAt: 2,
});

const handshake = (groupId: string, epoch: number, fill = epoch): HandshakeRecord => ({
  groupId,
  epoch,
  senderAccountId: 'a',
  senderDeviceId: 1,
  commit: kp(fill),
  serverTimestamp: 1_000 + epoch,
});

export function runGroupStorageConformance(name: string, open: () => Promise<OpenedStorage>): void {
  const withStorage = (title: string, body: (s: Storage) => Promise<void>): void => {
    test(title, async () => {
      const { storage, cleanup } = await open();
      try {
        await storage.transact(async (w) => {
          for (const id of ['a', 'b']) {
            await w.accounts.create(account(id));
            await w.devices.add(device(id, 1));
            await w.devices.add(device(id, 2));
          }
        });
        await body(storage);
      } finally {
        await storage.close();
        await cleanup();
      }
    });
  };

  describe(`storage conformance (MLS groups): ${name}`, () => {
    withStorage(
      'KeyPackages: one-time ones claimed oldest first, then the last resort',
      async (s) => {
        await s.transact((w) => w.mlsKeyPackages.add('a', 1, [kp(1), kp(2)]));
        assert.equal(await s.reader.mlsKeyPackages.count('a', 1), 2);
        assert.equal(await s.reader.mlsKeyPackages.count('a', 2), 0);
        assert.equal(await s.reader.mlsKeyPackages.hasLastResort('a', 1), false);
        assert.equal(
          await s.transact((w) => w.mlsKeyPackages.claim('a', 1)).then((c) => c?.keyPackage[0]),
          1,
        );
        await s.transact((w) => w.mlsKeyPackages.setLastResort('a', 1, kp(9)));
        await s.transact((w) => w.mlsKeyPackages.setLastResort('a', 1, kp(8)));
        assert.equal(await s.reader.mlsKeyPackages.hasLastResort('a', 1), true);
        assert.deepEqual(plain(await s.transact((w) => w.mlsKeyPackages.claim('a', 1))), {
          keyPackage: kp(2),
          lastResort: false,
        });
        for (let i = 0; i < 2; i++) {
          assert.deepEqual(plain(await s.transact((w) => w.mlsKeyPackages.claim('a', 1))), {
            keyPackage: kp(8),
            lastResort: true,
          });
        }
        assert.equal(await s.transact((w) => w.mlsKeyPackages.claim('a', 2)), undefined);
      },
    );

    withStorage('KeyPackages: go with their device', async (s) => {
      await s.transact(async (w) => {
        await w.mlsKeyPackages.add('a', 2, [kp(1)]);
        await w.mlsKeyPackages.setLastResort('a', 2, kp(2));
      });
      await s.transact((w) => w.devices.remove('a', 2));
      assert.equal(await s.reader.mlsKeyPackages.count('a', 2), 0);
      assert.equal(await s.reader.mlsKeyPackages.hasLastResort('a', 2), false);
    });

    withStorage('KeyPackages: a failed transaction stores none', async (s) => {
      await assert.rejects(
        s.transact(async (w) => {
          await w.mlsKeyPackages.add('a', 1, [kp(1)]);
          throw new Error('abort');
        }),
      );
      assert.equal(await s.reader.mlsKeyPackages.count('a', 1), 0);
    });

    withStorage('groups: create once, members sorted', async (s) => {
      const members = [
        { accountId: 'b', deviceId: 1 },
        { accountId: 'a', deviceId: 2 },
        { accountId: 'a', deviceId: 1 },
      ];
      await s.transact((w) => w.groups.create({ groupId: 'g', epoch: 0, members, createdAt: 5 }));
      const group = await s.reader.groups.get('g');
      assert.equal(group?.epoch, 0);
      assert.deepEqual(group.members, [
        { accountId: 'a', deviceId: 1 },
        { accountId: 'a', deviceId: 2 },
        { accountId: 'b', deviceId: 1 },
      ]);
      await assert.rejects(
        s.transact((w) => w.groups.create({ groupId: 'g', epoch: 0, members, createdAt: 6 })),
        (e: unknown) => e instanceof GroupExistsError,
      );
      assert.equal(await s.reader.groups.get('other'), undefined);
    });

    withStorage('groups: exactly one commit per epoch, in order', async (s) => {
      const first = [{ accountId: 'a', deviceId: 1 }];
      const second = [...first, { accountId: 'b', deviceId: 1 }];
      await s.transact((w) =>
        w.groups.create({ groupId: 'g', epoch: 0, members: first, createdAt: 5 }),
      );
      assert.equal(
        await s.transact((w) => w.groups.advance(handshake('g', 0), second, undefined)),
        true,
      );
      assert.equal(
        await s.transact((w) => w.groups.advance(handshake('g', 0, 7), first, undefined)),
        false,
        'a second commit for epoch 0 is refused',
      );
      assert.equal(
        await s.transact((w) => w.groups.advance(handshake('g', 5), first, undefined)),
        false,
      );
      assert.equal(
        await s.transact((w) => w.groups.advance(handshake('none', 0), first, undefined)),
        false,
      );
      assert.equal(
        await s.transact((w) => w.groups.advance(handshake('g', 1), first, undefined)),
        true,
      );
      const group = await s.reader.groups.get('g');
      assert.equal(group?.epoch, 2);
      assert.deepEqual(group.members, first);
      const log = await s.reader.groups.handshakes('g', 0, 10);
      assert.deepEqual(
        log.map((h) => [h.epoch, h.commit[0]]),
        [
          [0, 0],
          [1, 1],
        ],
      );
      assert.deepEqual(
        (await s.reader.groups.handshakes('g', 1, 10)).map((h) => h.epoch),
        [1],
      );
      assert.equal((await s.reader.groups.handshakes('g', 0, 1)).length, 1);
    });

    withStorage(
      "groups: each epoch's delivery token hash replaces the last, which is kept as the previous",
      async (s) => {
        const members = [{ accountId: 'a', deviceId: 1 }];
        const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b);
        // Compared as byte lists: backends may return a Buffer.
        const bytes = (h: Uint8Array | undefined): number[] | undefined =>
          h === undefined ? undefined : [...h];
        const stored = async (): Promise<number[] | undefined> =>
          bytes((await s.reader.groups.get('g'))?.deliveryTokenHash);
        const previous = async (): Promise<number[] | undefined> =>
          bytes((await s.reader.groups.get('g'))?.previousTokenHash);
        await s.transact((w) =>
          w.groups.create({
            groupId: 'g',
            epoch: 0,
            members,
            createdAt: 5,
            deliveryTokenHash: hash(1),
          }),
        );
        assert.deepEqual(await stored(), [...hash(1)]);
        assert.equal(await previous(), undefined);
        await s.transact((w) => w.groups.advance(handshake('g', 0), members, hash(2)));
        assert.deepEqual(await stored(), [...hash(2)]);
        assert.deepEqual(await previous(), [...hash(1)]);
        await s.transact((w) => w.groups.advance(handshake('g', 1), members, undefined));
        const group = await s.reader.groups.get('g');
        assert.equal(group?.epoch, 2);
        assert.equal(group.deliveryTokenHash, undefined, 'a commit without a hash clears it');
        assert.deepEqual(await previous(), [...hash(2)]);
        await s.transact((w) => w.groups.advance(handshake('g', 2), members, hash(3)));
        assert.equal(
          await previous(),
          undefined,
          'an epoch without a hash leaves none as previous',
        );
        // A refused advance (wrong epoch) changes neither.
        await s.transact((w) => w.groups.advance(handshake('g', 0), members, hash(9)));
        assert.deepEqual(await stored(), [...hash(3)]);
        assert.equal(await previous(), undefined);
        await s.transact((w) => w.groups.create({ groupId: 'h', epoch: 0, members, createdAt: 5 }));
        assert.equal((await s.reader.groups.get('h'))?.deliveryTokenHash, undefined);
        assert.equal((await s.reader.groups.get('h'))?.previousTokenHash, undefined);
      },
    );

    withStorage('groups: a sealed commit is logged with no sender', async (s) => {
      const members = [{ accountId: 'a', deviceId: 1 }];
      await s.transact((w) => w.groups.create({ groupId: 'g', epoch: 0, members, createdAt: 5 }));
      await s.transact((w) =>
        w.groups.advance(
          { ...handshake('g', 0), senderAccountId: '', senderDeviceId: 0 },
          members,
          undefined,
        ),
      );
      const [logged] = await s.reader.groups.handshakes('g', 0, 10);
      assert.equal(logged?.senderAccountId, '');
      assert.equal(logged.senderDeviceId, 0);
    });

    withStorage('groups: a failed transaction leaves the epoch and the log', async (s) => {
      const members = [{ accountId: 'a', deviceId: 1 }];
      await s.transact((w) => w.groups.create({ groupId: 'g', epoch: 0, members, createdAt: 5 }));
      await assert.rejects(
        s.transact(async (w) => {
          await w.groups.advance(handshake('g', 0), members, undefined);
          throw new Error('abort');
        }),
      );
      assert.equal((await s.reader.groups.get('g'))?.epoch, 0);
      assert.deepEqual(await s.reader.groups.handshakes('g', 0, 10), []);
    });
  });
}
