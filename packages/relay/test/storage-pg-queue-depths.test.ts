/**
 * The PostgreSQL backend reads a queue's depth as its counter minus its `queue_removals` row
 * (migration 4), kept by a trigger on every delete: the depth a send is checked against must
 * equal the stored queue after every kind of write, with two nodes writing at once, after the
 * migration fills it for existing rows, and the queue cap must refuse at exactly the cap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openPgStorage, type PgStorage, type Storage } from '@parley/relay';
import { account, device, message, useThrowawayDatabase } from '@parley/relay/testing';
import type { FastifyInstance } from 'fastify';
import { newRelay, register, send, errorCode, type TestDevice } from './support.js';

// One throwaway database per run; every test gets a fresh schema in it.
const { url, freshSchema } = useThrowawayDatabase('d');

/** Runs `sql` in `schema` on its own connection. */
async function raw<R extends pg.QueryResultRow>(
  schema: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url(), options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The rows really stored for the device. */
const stored = async (schema: string, a = 'a', d = 1): Promise<number> =>
  Number(
    (
      await raw<{ n: string }>(
        schema,
        'SELECT count(*) AS n FROM messages WHERE recipient_account = $1 AND recipient_device = $2',
        [a, d],
      )
    )[0]?.n,
  );

/** The depth `routes` reports for the device inside a transaction. */
const routeDepth = (s: Storage, a = 'a', d = 1): Promise<number> =>
  s.transact(
    async (w) => (await w.devices.routes(a)).find((r) => r.deviceId === d)?.queueDepth ?? NaN,
  );

/** Routes, `depth` and a count of the rows agree. */
async function assertDepth(s: Storage, schema: string, expected: number, what: string) {
  assert.equal(await stored(schema), expected, `${what}: stored`);
  assert.equal(await routeDepth(s), expected, `${what}: routes`);
  assert.equal(await s.reader.messages.depth('a', 1), expected, `${what}: depth`);
}

const seeded = async (schema: string): Promise<PgStorage> => {
  const s = await openPgStorage({ connectionString: url(), schema });
  await s.transact(async (w) => {
    await w.accounts.create(account('a'));
    await w.devices.add(device('a', 1));
    await w.devices.add(device('a', 2));
  });
  return s;
};

test('pg queue depths: follow enqueue, rollback, acks, sweeps, device and account removal', async () => {
  const schema = freshSchema();
  const s = await seeded(schema);
  try {
    await assertDepth(s, schema, 0, 'empty');
    const seqs: number[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await s.transact(async (w) => {
        assert.equal((await w.devices.routes('a'))[0]?.queueDepth, i, 'depth before the enqueue');
        return w.messages.enqueue({
          ...message(`m${String(i)}`, ['a', 1], 1_000 + i),
          ...(i === 5 ? { expiresAt: 1_500 } : {}),
        });
      });
      seqs.push(m.seq);
    }
    await assertDepth(s, schema, 6, 'six enqueued');
    assert.equal(await routeDepth(s, 'a', 2), 0, 'the other device is counted apart');

    await assert.rejects(
      s.transact(async (w) => {
        await w.messages.enqueue(message('lost', ['a', 1]));
        assert.equal((await w.devices.routes('a'))[0]?.queueDepth, 7, 'its own enqueue counted');
        throw new Error('boom');
      }),
      /boom/,
    );
    await assertDepth(s, schema, 6, 'after a rollback');

    // Cumulative ack, ack by guid (with an unknown one), a repeated ack.
    await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[1] ?? 0));
    await assertDepth(s, schema, 4, 'cumulative ack');
    const page = await s.reader.messages.list('a', 1, 0, 10);
    await s.transact((w) => w.messages.delete('a', 1, [page[0]?.guid ?? '', 'no-such-guid']));
    await assertDepth(s, schema, 3, 'ack by guid');
    await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[1] ?? 0));
    await assertDepth(s, schema, 3, 'repeated ack');

    // Two acks of one device coalesced into one statement in one window.
    await Promise.all([
      s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[2] ?? 0), { durable: false }),
      s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[2] ?? 0), { durable: false }),
    ]);
    await assertDepth(s, schema, 3, 'coalesced acks of acknowledged messages');

    // Expiry sweep (message 5 expires at 1,500), then the age sweep.
    assert.equal(await s.transact((w) => w.messages.deleteExpired(1_600, 100)), 1);
    await assertDepth(s, schema, 2, 'expiry sweep');
    assert.equal(await s.transact((w) => w.messages.deleteOlderThan(1_004, 100)), 1);
    await assertDepth(s, schema, 1, 'age sweep');

    // Removing the device cascades to its queue; the device added again under the id is empty
    // and counts from there (its counter row, and so its seq, is kept).
    await s.transact(async (w) => {
      await w.devices.remove('a', 1);
      await w.devices.add(device('a', 1));
    });
    await assertDepth(s, schema, 0, 'device removed and added again');
    const next = await s.transact((w) => w.messages.enqueue(message('again', ['a', 1])));
    assert.ok(next.seq > (seqs[5] ?? Infinity), 'no seq reused');
    await assertDepth(s, schema, 1, 'after the device came back');

    // Deleting the account cascades to every device's queue.
    await s.transact((w) => w.messages.enqueue(message('two', ['a', 2])));
    await s.transact((w) => w.accounts.delete('a'));
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      await w.devices.add(device('a', 1));
      await w.devices.add(device('a', 2));
    });
    await assertDepth(s, schema, 0, 'account deleted and made again');
    assert.equal(await routeDepth(s, 'a', 2), 0);
  } finally {
    await s.close();
  }
});

test('pg queue depths: two nodes enqueueing and acknowledging at once stay exact', async () => {
  const schema = freshSchema();
  const one = await seeded(schema);
  const two = await openPgStorage({ connectionString: url(), schema });
  try {
    const nodes = [one, two];
    const enqueues = Array.from({ length: 60 }, (_, i) =>
      (nodes[i % 2] as PgStorage).transact((w) =>
        w.messages.enqueue(message(`m${String(i)}`, ['a', 1 + (i % 3 === 0 ? 1 : 0)])),
      ),
    );
    const queued = await Promise.all(enqueues);
    const toOne = queued.filter((m) => m.recipientDeviceId === 1).map((m) => m.seq);
    assert.equal(toOne.length, 40);
    await assertDepth(one, schema, 40, 'after concurrent enqueues');
    assert.equal(await routeDepth(two, 'a', 2), 20);

    // Both nodes acknowledge overlapping ranges while both keep enqueueing.
    const sorted = [...toOne].sort((x, y) => x - y);
    await Promise.all([
      one.transact((w) => w.messages.deleteUpTo('a', 1, sorted[19] ?? 0), { durable: false }),
      two.transact((w) => w.messages.deleteUpTo('a', 1, sorted[24] ?? 0), { durable: false }),
      two.transact((w) => w.messages.deleteUpTo('a', 2, Number.MAX_SAFE_INTEGER), {
        durable: false,
      }),
      ...Array.from({ length: 10 }, (_, i) =>
        (nodes[i % 2] as PgStorage).transact((w) =>
          w.messages.enqueue(message(`late${String(i)}`, ['a', 1])),
        ),
      ),
    ]);
    await assertDepth(one, schema, 40 - 25 + 10, 'after concurrent acks and enqueues');
    assert.equal(await routeDepth(two), 25);
    assert.equal(await routeDepth(one, 'a', 2), 0);
  } finally {
    await two.close();
    await one.close();
  }
});

test('pg queue depths: migration 4 fills the removals of a queue with history', async () => {
  const schema = freshSchema();
  let s = await seeded(schema);
  const seqs: number[] = [];
  for (let i = 0; i < 5; i++)
    seqs.push(
      (await s.transact((w) => w.messages.enqueue(message(`m${String(i)}`, ['a', 1])))).seq,
    );
  await s.close();
  // Back to the schema before migration 4 (undoing migration 5 first, which the runner would
  // otherwise take as proof that 4 ran), then acknowledge two messages under it.
  await raw(
    schema,
    `ALTER TABLE groups DROP COLUMN delivery_token_hash, DROP COLUMN previous_token_hash;
     DROP TRIGGER messages_removed ON messages; DROP FUNCTION count_queue_removals();
     DROP TABLE queue_removals; DELETE FROM schema_migrations WHERE version >= 4;
     DELETE FROM messages WHERE seq <= 2`,
  );
  s = await openPgStorage({ connectionString: url(), schema });
  try {
    await assertDepth(s, schema, 3, 'filled by the migration');
    assert.deepEqual(
      await raw<{ removed: number }>(schema, 'SELECT removed::int FROM queue_removals'),
      [{ removed: 2 }],
    );
    await s.transact((w) => w.messages.deleteUpTo('a', 1, seqs[2] ?? 0));
    await assertDepth(s, schema, 2, 'an ack after the migration');
  } finally {
    await s.close();
  }
});

const ack = (app: FastifyInstance, d: TestDevice, guids: string[]) =>
  app.inject({
    method: 'POST',
    url: '/v1/messages/acks',
    headers: { authorization: d.auth },
    payload: { guids },
  });

test('pg queue cap: sends up to exactly the cap are stored, the next is QUEUE_FULL, an ack makes room', async () => {
  const schema = freshSchema();
  const cap = 3;
  const storage = await openPgStorage({ connectionString: url(), schema });
  const app = await newRelay({ storage, limits: { maxQueueDepth: cap } });
  try {
    const alice = await register(app, 'alice');
    const bob = await register(app, 'bob');
    for (let i = 0; i < cap; i++)
      assert.equal((await send(app, alice, [bob], `q-${String(i)}`)).statusCode, 200, `send ${i}`);
    const full = await send(app, alice, [bob], `q-${String(cap)}`);
    assert.equal(full.statusCode, 503);
    assert.equal(errorCode(full), 'QUEUE_FULL');
    assert.equal(await stored(schema, bob.accountId), cap, 'nothing stored past the cap');
    const page = await app.inject({
      method: 'GET',
      url: '/v1/messages',
      headers: { authorization: bob.auth },
    });
    const guid = page.json<{ messages: { guid: string }[] }>().messages[0]?.guid ?? '';
    assert.equal((await ack(app, bob, [guid])).statusCode, 204);
    assert.equal(
      (await send(app, alice, [bob], `q-${String(cap)}`)).statusCode,
      200,
      'an ack makes room',
    );
    assert.equal(errorCode(await send(app, alice, [bob], `q-${String(cap + 1)}`)), 'QUEUE_FULL');
    assert.equal(await stored(schema, bob.accountId), cap);
  } finally {
    await app.close();
    await storage.close();
  }
});
