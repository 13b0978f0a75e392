/**
 * The SQLite backend keeps queue depths in memory (`sqlite-queue-depths.ts`): the depth a send
 * is checked against must equal the stored queue after every kind of write, a rollback and a
 * restart, and the queue cap must refuse at exactly the cap.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_FILE_NAME, openSqliteStorage, type Storage } from '@parley/relay';
import { account, device, message } from '@parley/relay/testing';
import type { FastifyInstance } from 'fastify';
import { QueueDepths } from '../src/storage/sqlite-queue-depths.js';
import { errorCode, link, newRelay, register, send, type TestDevice } from './support.js';

const ack = (app: FastifyInstance, d: TestDevice, guids: string[]) =>
  app.inject({
    method: 'POST',
    url: '/v1/messages/acks',
    headers: { authorization: d.auth },
    payload: { guids },
  });

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'parley-depths-'));

/** The depth `routes` reports for ('a', 1) inside a transaction. */
const routeDepth = (s: Storage, a = 'a', d = 1): Promise<number> =>
  s.transact(
    async (w) => (await w.devices.routes(a)).find((r) => r.deviceId === d)?.queueDepth ?? NaN,
  );

const stored = (dir: string, a = 'a', d = 1): number => {
  const raw = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
  try {
    return (
      raw
        .prepare<[string, number], number>(
          'SELECT count(*) FROM messages WHERE recipient_account = ? AND recipient_device = ?',
        )
        .pluck()
        .get(a, d) ?? NaN
    );
  } finally {
    raw.close();
  }
};

test('sqlite queue depths: follow enqueue, acks, rollback, removal, sweeps and a restart', async () => {
  const dir = tempDir();
  try {
    let s = openSqliteStorage({ dataDir: dir });
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      await w.devices.add(device('a', 1));
      await w.devices.add(device('a', 2));
    });
    assert.equal(await routeDepth(s), 0);
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await s.transact(async (w) => {
        assert.equal((await w.devices.routes('a'))[0]?.queueDepth, i, 'depth before the enqueue');
        return w.messages.enqueue(message(`m${i}`, ['a', 1], 1_000 + i));
      });
      seqs.push(m.seq);
    }
    assert.equal(await routeDepth(s), 5);
    assert.equal(await s.transact((w) => w.messages.depth('a', 1)), 5);
    assert.equal(await routeDepth(s, 'a', 2), 0, 'the other device is counted apart');

    // A transaction that enqueued and then threw is rolled back: the depth is as before.
    await assert.rejects(
      s.transact(async (w) => {
        await w.messages.enqueue(message('lost', ['a', 1]));
        assert.equal((await w.devices.routes('a'))[0]?.queueDepth, 6, 'its own enqueue counted');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await routeDepth(s), 5);

    // Cumulative ack, ack by guid, a repeated ack.
    await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[1] ?? 0));
    assert.equal(await routeDepth(s), 3);
    const page = await s.reader.messages.list('a', 1, 0, 10);
    await s.transact((w) => w.messages.delete('a', 1, [page[0]?.guid ?? '', 'no-such-guid']));
    assert.equal(await routeDepth(s), 2);
    await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[1] ?? 0));
    assert.equal(await routeDepth(s), 2);

    // The age sweep deletes from queues behind the tracker's back: it forgets the depths.
    await s.transact((w) => w.messages.deleteOlderThan(1_004, 100));
    assert.equal(await routeDepth(s), 1);
    assert.equal(stored(dir), 1);

    // A restart counts again from the database.
    await s.transact((w) => w.messages.enqueue(message('m5', ['a', 1], 2_000)));
    await s.close();
    s = openSqliteStorage({ dataDir: dir });
    assert.equal(await routeDepth(s), 2);
    await s.transact((w) => w.messages.enqueue(message('m6', ['a', 1], 2_000)));
    assert.equal(await routeDepth(s), 3);

    // Removing the device cascades to its queue; a device added again under the id starts empty.
    await s.transact(async (w) => {
      await w.devices.remove('a', 1);
      await w.devices.add(device('a', 1));
    });
    assert.equal(await routeDepth(s), 0);
    assert.equal(stored(dir), 0);
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite queue cap: sends up to exactly the cap are stored, the next is QUEUE_FULL, also after a restart', async () => {
  const dir = tempDir();
  const cap = 3;
  try {
    let storage = openSqliteStorage({ dataDir: dir });
    let app = await newRelay({
      storage,
      limits: { maxQueueDepth: cap },
    });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    for (let i = 0; i < cap; i++)
      assert.equal((await send(app, alice, [bob], `q-${i}`)).statusCode, 200, `send ${i}`);
    const full = await send(app, alice, [bob], `q-${cap}`);
    assert.equal(full.statusCode, 503);
    assert.equal(errorCode(full), 'QUEUE_FULL');
    assert.equal(stored(dir, bob.accountId), cap, 'nothing stored past the cap');
    await app.close();
    await storage.close();

    storage = openSqliteStorage({ dataDir: dir });
    app = await newRelay({
      storage,
      limits: { maxQueueDepth: cap },
    });
    assert.equal(
      errorCode(await send(app, alice, [bob], `q-${cap}`)),
      'QUEUE_FULL',
      'after restart',
    );
    const page = await app.inject({
      method: 'GET',
      url: '/v1/messages',
      headers: { authorization: bob.auth },
    });
    const guid = page.json<{ messages: { guid: string }[] }>().messages[0]?.guid ?? '';
    assert.equal((await ack(app, bob, [guid])).statusCode, 204);
    assert.equal((await send(app, alice, [bob], `q-${cap}`)).statusCode, 200, 'an ack makes room');
    assert.equal(errorCode(await send(app, alice, [bob], `q-${cap + 1}`)), 'QUEUE_FULL');
    assert.equal(stored(dir, bob.accountId), cap);
    await app.close();
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite device lists in memory: read once per account, forgotten with the depths', () => {
  const reads: string[] = [];
  const depths = new QueueDepths(
    () => 0,
    (a) => {
      reads.push(a);
      return [[1, 101]];
    },
  );
  assert.deepEqual(depths.devices('a'), [[1, 101]]);
  assert.deepEqual(depths.devices('a'), [[1, 101]]);
  depths.devices('b');
  assert.deepEqual(reads, ['a', 'b'], 'one read per account');
  assert.equal(depths.deviceLists, 2);
  depths.forget();
  assert.equal(depths.deviceLists, 0);
  depths.devices('a');
  assert.deepEqual(reads, ['a', 'b', 'a'], 'read again after forget');
});

test('sqlite routes follow device additions, removals, rollbacks, account deletion and a restart', async () => {
  const dir = tempDir();
  const routes = (s: Storage, a = 'a'): Promise<[number, number][]> =>
    s.transact(async (w) =>
      (await w.devices.routes(a)).map((r): [number, number] => [r.deviceId, r.registrationId]),
    );
  try {
    let s = openSqliteStorage({ dataDir: dir });
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      await w.devices.add(device('a', 1));
    });
    assert.deepEqual(await routes(s), [[1, 101]]);
    // Added in the same transaction as a routes read that came before it.
    await s.transact(async (w) => {
      assert.deepEqual((await w.devices.routes('a')).length, 1);
      await w.devices.add(device('a', 2, 202));
      assert.deepEqual(
        (await w.devices.routes('a')).map((r) => r.deviceId),
        [1, 2],
        'its own addition',
      );
    });
    assert.deepEqual(await routes(s), [
      [1, 101],
      [2, 202],
    ]);
    // An addition rolled back is not seen afterwards.
    await assert.rejects(
      s.transact(async (w) => {
        await w.devices.add(device('a', 3));
        assert.equal((await w.devices.routes('a')).length, 3);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await routes(s), [
      [1, 101],
      [2, 202],
    ]);
    // Removed, then added again under the same id with another registration id.
    await s.transact((w) => w.devices.remove('a', 1));
    assert.deepEqual(await routes(s), [[2, 202]]);
    await s.transact((w) => w.devices.add(device('a', 1, 999)));
    assert.deepEqual(await routes(s), [
      [1, 999],
      [2, 202],
    ]);
    await s.close();
    s = openSqliteStorage({ dataDir: dir });
    assert.deepEqual(await routes(s), [
      [1, 999],
      [2, 202],
    ]);
    await s.transact((w) => w.accounts.delete('a'));
    assert.deepEqual(await routes(s), [], 'the account and its devices are gone');
    await s.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite relay: a send after linking or removing a device is checked against the new devices', async () => {
  const dir = tempDir();
  try {
    const storage = openSqliteStorage({ dataDir: dir });
    const app = await newRelay({ storage });
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    assert.equal((await send(app, alice, [bob], 'd-1')).statusCode, 200, 'routes read and kept');
    const bob2 = await link(app, bob);
    const missing = await send(app, alice, [bob], 'd-2');
    assert.equal(errorCode(missing), 'DEVICE_MISMATCH', 'the linked device is seen');
    assert.equal((await send(app, alice, [bob, bob2], 'd-3')).statusCode, 200);
    const removed = await app.inject({
      method: 'DELETE',
      url: `/v1/devices/${String(bob2.deviceId)}`,
      headers: { authorization: bob.auth },
    });
    assert.equal(removed.statusCode, 204);
    assert.equal(
      errorCode(await send(app, alice, [bob, bob2], 'd-4')),
      'DEVICE_MISMATCH',
      'the removed device is gone',
    );
    assert.equal((await send(app, alice, [bob], 'd-5')).statusCode, 200);
    await app.close();
    await storage.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
