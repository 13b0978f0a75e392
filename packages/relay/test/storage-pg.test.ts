import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import {
  PG_MIGRATIONS,
  StorageUnavailableError,
  openPgStorage,
  type Storage,
  type Writer,
} from '@parley/relay';
import {
  account,
  device,
  message,
  runStorageConformance,
  useThrowawayDatabase,
} from '@parley/relay/testing';

// One throwaway database per run; every test gets a fresh schema in it.
const { url, freshSchema } = useThrowawayDatabase('t');

runStorageConformance('pg', async () => ({
  storage: await openPgStorage({ connectionString: url(), schema: freshSchema() }),
  cleanup: () => Promise.resolve(),
}));

const seed = async (s: Storage): Promise<void> => {
  await s.transact(async (w) => {
    await w.accounts.create(account('a'));
    await w.devices.add(device('a', 1));
  });
};

test('pg: migrations are numbered 1..n; reopening keeps data and migrates nothing twice', async () => {
  assert.deepEqual(
    PG_MIGRATIONS.map((m) => m.version),
    PG_MIGRATIONS.map((_, i) => i + 1),
  );
  const schema = freshSchema();
  const first = await openPgStorage({ connectionString: url(), schema });
  await seed(first);
  await first.transact((w) => w.messages.enqueue(message('m1', ['a', 1])));
  await first.close();
  const second = await openPgStorage({ connectionString: url(), schema });
  assert.deepEqual(
    (await second.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
    ['m1'],
  );
  await second.close();
  const client = new pg.Client({ connectionString: url() });
  await client.connect();
  const { rows } = await client.query<{ version: number }>(
    `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
  );
  await client.end();
  assert.deepEqual(
    rows.map((r) => r.version),
    PG_MIGRATIONS.map((m) => m.version),
  );
});

test('pg: one batch of enqueues is one statement (counters and rows) and one commit', async () => {
  const s = await openPgStorage({
    connectionString: url(),
    schema: freshSchema(),
    groupCommit: { maxBatch: 100, windowMs: 50 },
  });
  try {
    await seed(s);
    const before = { ...s.stats };
    const sends = Array.from({ length: 20 }, (_, i) =>
      s.transact((w) => w.messages.enqueue(message(`m${String(i)}`, ['a', 1]))),
    );
    const queued = await Promise.all(sends);
    assert.equal(s.stats.batches - before.batches, 1);
    // BEGIN, one statement bumping the counter for all 20 and inserting them, COMMIT.
    assert.equal(s.stats.statements - before.statements, 3);
    assert.deepEqual(
      queued.map((m) => m.seq),
      queued.map((_, i) => i + 1),
    );
    assert.equal(await s.reader.messages.depth('a', 1), 20);
    // Two devices interleaved in one round, one message with an expiry: each device's rows get
    // its own consecutive seqs, in callback order, with their contents.
    await s.transact((w) => w.devices.add(device('a', 2)));
    const mixed = await Promise.all(
      [1, 2, 2, 1, 2].map((d, i) =>
        s.transact((w) =>
          w.messages.enqueue({
            ...message(`x${String(i)}`, ['a', d]),
            content: new Uint8Array([i, d]),
            ...(i === 2 ? { expiresAt: 9_999_999_999_999 } : {}),
          }),
        ),
      ),
    );
    assert.deepEqual(
      mixed.map((m) => m.seq),
      [21, 1, 2, 22, 3],
    );
    const rows2 = await s.reader.messages.list('a', 2, 0, 10);
    assert.deepEqual(
      rows2.map((m) => [m.clientMessageId, m.seq, [...m.content], m.expiresAt]),
      [
        ['x1', 1, [1, 2], undefined],
        ['x2', 2, [2, 2], 9_999_999_999_999],
        ['x4', 3, [4, 2], undefined],
      ],
    );
    const rows1 = await s.reader.messages.list('a', 1, 20, 10);
    assert.deepEqual(
      rows1.map((m) => [m.clientMessageId, m.seq]),
      [
        ['x0', 21],
        ['x3', 22],
      ],
    );
  } finally {
    await s.close();
  }
});

test('pg: a window of sends is four statements whatever its size, two on the send path (no transaction); a duplicate in it runs serially', async () => {
  const s = await openPgStorage({
    connectionString: url(),
    schema: freshSchema(),
    groupCommit: { maxBatch: 100, windowMs: 50 },
  });
  try {
    await seed(s);
    await s.transact(async (w) => {
      await w.accounts.create(account('b'));
      await w.devices.add(device('b', 1));
    });
    // As the relay's send: duplicate check with routes and depths, send record, enqueue.
    const send = (id: string) =>
      s.transact(async (w) => {
        const [again, [route]] = await Promise.all([
          w.messages.findSend('b', 1, id),
          w.devices.routes('a'),
        ]);
        if (again !== undefined) return -1;
        await w.messages.recordSend({
          senderAccountId: 'b',
          senderDeviceId: 1,
          clientMessageId: id,
          serverTimestamp: 1,
        });
        const m = await w.messages.enqueue(message(id, ['a', 1]));
        return { depth: route?.queueDepth ?? NaN, seq: m.seq };
      });
    let before = { ...s.stats };
    const first = await Promise.all(['m0', 'm1', 'm2', 'm3'].map(send));
    assert.equal(s.stats.batches - before.batches, 1);
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    // BEGIN, one statement of duplicate checks and routes for the four sends, one bumping the
    // counter and inserting the messages and send records, COMMIT.
    assert.equal(s.stats.statements - before.statements, 4);
    assert.deepEqual(
      first,
      [0, 1, 2, 3].map((i) => ({ depth: 0, seq: i + 1 })),
      'the window read the depths together; seqs follow the callbacks',
    );
    before = { ...s.stats };
    // The same client message id twice in one window: the window runs again, one send at a time.
    const second = await Promise.all(['m4', 'm1', 'm4'].map(send));
    assert.equal(s.stats.batches - before.batches, 1);
    assert.equal(s.stats.fallbacks - before.fallbacks, 1);
    assert.deepEqual(second, [{ depth: 4, seq: 5 }, -1, -1], 'm1 and m4 again are duplicates');
    assert.equal(await s.reader.messages.depth('a', 1), 5);
    // A lone send on the send path is coalesced too; without the hint it runs serially.
    const lone = (id: string, sendPath: boolean) =>
      s.transact(
        async (w) => {
          const [again] = await Promise.all([
            w.messages.findSend('b', 1, id),
            w.devices.routes('a'),
          ]);
          if (again !== undefined) return -1;
          await w.messages.recordSend({
            senderAccountId: 'b',
            senderDeviceId: 1,
            clientMessageId: id,
            serverTimestamp: 1,
          });
          return (await w.messages.enqueue(message(id, ['a', 1]))).seq;
        },
        { sendPath },
      );
    before = { ...s.stats };
    assert.equal(await lone('l1', true), 6);
    // No transaction: the read, and the round that commits by itself.
    assert.equal(s.stats.statements - before.statements, 2);
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    before = { ...s.stats };
    assert.equal(await lone('l2', false), 7);
    // BEGIN, duplicate check, routes, counter, send record, message, COMMIT.
    assert.equal(s.stats.statements - before.statements, 7);
    assert.equal(await lone('l1', true), -1);
    await s.transact((w) => w.messages.deleteUpTo('a', 1, 7));
    // A send-path window of three, one a duplicate: still two statements.
    before = { ...s.stats };
    assert.deepEqual(await Promise.all(['l3', 'l1', 'l4'].map((id) => lone(id, true))), [8, -1, 9]);
    assert.equal(s.stats.statements - before.statements, 2);
    assert.equal(s.stats.batches - before.batches, 1);
    // Against the contract, a send-path callback asking after its round: the round committed, so
    // the window runs again in a transaction, where its duplicate check finds the send.
    before = { ...s.stats };
    const late = await s.transact(
      async (w) => {
        const [again] = await Promise.all([
          w.messages.findSend('b', 1, 't1'),
          w.devices.routes('a'),
        ]);
        if (again !== undefined) return 'duplicate';
        await w.messages.recordSend({
          senderAccountId: 'b',
          senderDeviceId: 1,
          clientMessageId: 't1',
          serverTimestamp: 1,
        });
        await w.messages.enqueue(message('t1', ['a', 1]));
        await w.messages.enqueue(message('t1-late', ['a', 1]));
        return 'sent';
      },
      { sendPath: true },
    );
    assert.equal(late, 'duplicate');
    assert.equal(s.stats.fallbacks - before.fallbacks, 1);
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 9, 10)).map((m) => m.clientMessageId),
      ['t1'],
    );
    await s.transact((w) => w.messages.deleteUpTo('a', 1, 10));
    // A duplicate of an earlier window, found by the window's one read statement.
    before = { ...s.stats };
    const third = await Promise.all(['m5', 'm2'].map(send));
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    assert.equal(s.stats.statements - before.statements, 4);
    assert.deepEqual(third, [{ depth: 0, seq: 11 }, -1]);
    assert.equal(await s.reader.messages.depth('a', 1), 1);
    for (const id of ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
      assert.notEqual(await s.reader.messages.findSend('b', 1, id), undefined, id);
  } finally {
    await s.close();
  }
});

test('pg: a send refused in a send-path window (no transaction) costs the honest sends beside it nothing and stores nothing', async () => {
  const s = await openPgStorage({
    connectionString: url(),
    schema: freshSchema(),
    groupCommit: { maxBatch: 100, windowMs: 50 },
  });
  try {
    await seed(s);
    await s.transact(async (w) => {
      for (const a of ['honest', 'evil']) {
        await w.accounts.create(account(a));
        await w.devices.add(device(a, 1));
      }
    });
    // As storeSend: reads, then a refusal (device mismatch, full queue, unknown account) before
    // any write, or the send record and the enqueue.
    const send = (from: string, id: string, to: string, refuse: boolean) =>
      s.transact(
        async (w) => {
          const [again, routes] = await Promise.all([
            w.messages.findSend(from, 1, id),
            w.devices.routes(to),
          ]);
          if (again !== undefined) return -1;
          if (refuse || (routes.length === 0 && (await w.accounts.byId(to)) === undefined))
            throw new Error('refused');
          await w.messages.recordSend({
            senderAccountId: from,
            senderDeviceId: 1,
            clientMessageId: id,
            serverTimestamp: 1,
          });
          return (await w.messages.enqueue(message(id, [to, 1]))).seq;
        },
        { sendPath: true },
      );
    const before = { ...s.stats };
    const results = await Promise.allSettled([
      send('evil', 'x1', 'a', true),
      send('honest', 'h1', 'a', false),
      send('evil', 'x2', 'nobody', false),
      send('honest', 'h2', 'a', false),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['refused', 1, 'refused', 2],
    );
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
      ['h1', 'h2'],
    );
    for (const id of ['x1', 'x2'])
      assert.equal(await s.reader.messages.findSend('evil', 1, id), undefined, id);
  } finally {
    await s.close();
  }
});

test('pg: one ack transaction deleting for several devices is one range delete', async () => {
  const s = await openPgStorage({ connectionString: url(), schema: freshSchema() });
  try {
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      for (const d of [1, 2, 3, 4]) await w.devices.add(device('a', d));
    });
    for (const d of [1, 2, 3, 4])
      await Promise.all(
        [0, 1, 2].map((i) =>
          s.transact((w) => w.messages.enqueue(message(`m${String(d)}-${String(i)}`, ['a', d]))),
        ),
      );
    const before = { ...s.stats };
    // As `AckDeleter`: one transaction asks every device's delete at once.
    const deleted = await s.transact(
      (w) => Promise.all([1, 2, 3, 4].map((d) => w.messages.deleteUpTo('a', d, d === 4 ? 0 : d))),
      { durable: false },
    );
    assert.deepEqual(deleted, [1, 2, 3, 0]);
    // BEGIN (with SET LOCAL), one DELETE for the four devices, COMMIT.
    assert.equal(s.stats.statements - before.statements, 3);
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    assert.deepEqual(
      await Promise.all([1, 2, 3, 4].map((d) => s.reader.messages.depth('a', d))),
      [2, 1, 0, 3],
    );
    // A lone non-durable transaction the window cannot coalesce still runs (serially).
    const [first] = await s.reader.messages.list('a', 4, 0, 1);
    assert.equal(
      await s.transact((w) => w.messages.delete('a', 4, [first?.guid ?? '']), { durable: false }),
      1,
    );
    assert.equal(await s.reader.messages.depth('a', 4), 2);
  } finally {
    await s.close();
  }
});

test("pg: deleteAcknowledged deletes several devices' acknowledged messages in one statement, outside any transaction", async () => {
  const s = await openPgStorage({ connectionString: url(), schema: freshSchema() });
  try {
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      for (const d of [1, 2, 3]) await w.devices.add(device('a', d));
    });
    for (const d of [1, 2, 3])
      await Promise.all(
        [0, 1, 2].map((i) =>
          s.transact((w) => w.messages.enqueue(message(`m${String(d)}-${String(i)}`, ['a', d]))),
        ),
      );
    const before = { ...s.stats };
    const deleted = await s.deleteAcknowledged?.([
      { accountId: 'a', deviceId: 1, upTo: 2 },
      { accountId: 'a', deviceId: 2, upTo: 3 },
      { accountId: 'a', deviceId: 3, upTo: 0 },
    ]);
    assert.equal(deleted, 5);
    assert.equal(s.stats.statements - before.statements, 1, 'no BEGIN, no COMMIT');
    assert.equal(s.stats.batches - before.batches, 0, 'not a transaction of the lanes');
    assert.deepEqual(
      await Promise.all([1, 2, 3].map((d) => s.reader.messages.depth('a', d))),
      [1, 0, 3],
      'depths follow the delete',
    );
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
      ['m1-2'],
    );
    assert.equal(await s.deleteAcknowledged?.([]), 0);
  } finally {
    await s.close();
  }
  await assert.rejects(
    s.deleteAcknowledged?.([{ accountId: 'a', deviceId: 1, upTo: 9 }]) ?? Promise.resolve(),
    /storage closed/,
  );
});

test("pg: callbacks of one window settle in an order where every device's seq rises", async () => {
  const s = await openPgStorage({
    connectionString: url(),
    schema: freshSchema(),
    groupCommit: { maxBatch: 100, windowMs: 50 },
  });
  try {
    await seed(s);
    await s.transact((w) => w.devices.add(device('a', 2)));
    const settled: string[] = [];
    const seqs = new Map<string, number[]>();
    const run = (name: string, fn: Parameters<typeof s.transact<number[]>>[0]) =>
      s.transact(fn).then((got) => {
        settled.push(name);
        for (const [i, seq] of got.entries()) {
          const k = String(i);
          seqs.set(k, [...(seqs.get(k) ?? []), seq]);
        }
      });
    // "late" bumps device 1 a round after "early" does (its first bump is device 2's): early
    // got seq 1 of device 1, so it settles first.
    let before = { ...s.stats };
    await Promise.all([
      run('late', async (w) => {
        await w.messages.enqueue(message('l2', ['a', 2]));
        return [(await w.messages.enqueue(message('l', ['a', 1]))).seq];
      }),
      run('early', async (w) => {
        await w.devices.routes('a');
        return [(await w.messages.enqueue(message('e', ['a', 1]))).seq];
      }),
    ]);
    assert.equal(s.stats.fallbacks - before.fallbacks, 0);
    assert.deepEqual(settled, ['early', 'late']);
    assert.deepEqual(seqs.get('0'), [1, 2]);
    // Two devices bumped in opposite orders: no order fits both, so the window runs serially
    // (and then settles in callback order, seqs rising with it).
    settled.length = 0;
    seqs.clear();
    before = { ...s.stats };
    const both = (first: number, second: number) => async (w: Writer) => {
      const x = await w.messages.enqueue(message(`x${String(first)}`, ['a', first]));
      const y = await w.messages.enqueue(message(`y${String(second)}`, ['a', second]));
      return first === 1 ? [x.seq, y.seq] : [y.seq, x.seq];
    };
    await Promise.all([run('one', both(1, 2)), run('two', both(2, 1))]);
    assert.equal(s.stats.fallbacks - before.fallbacks, 1);
    assert.deepEqual(settled, ['one', 'two']);
    assert.deepEqual(seqs.get('0'), [3, 4], 'device 1 in settle order');
    assert.deepEqual(seqs.get('1'), [2, 3], 'device 2 in settle order');
  } finally {
    await s.close();
  }
});

test('pg: two storages on one database (two nodes) keep per-device seq in commit order, claims exclusive', async () => {
  const schema = freshSchema();
  const a = await openPgStorage({ connectionString: url(), schema, groupCommit: { windowMs: 1 } });
  const b = await openPgStorage({ connectionString: url(), schema, groupCommit: { windowMs: 1 } });
  try {
    await seed(a);
    await a.transact((w) =>
      w.keys.addOneTime(
        'a',
        1,
        'ec',
        Array.from({ length: 40 }, (_, i) => ({
          keyId: i + 1,
          publicKey: new Uint8Array(33).fill(i),
          signature: new Uint8Array(0),
        })),
      ),
    );
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      const s = i % 2 === 0 ? a : b;
      jobs.push(s.transact((w) => w.messages.enqueue(message(`m${String(i)}`, ['a', 1]))));
    }
    const claims: Promise<number | undefined>[] = [];
    for (let i = 0; i < 50; i++) {
      const s = i % 2 === 0 ? a : b;
      claims.push(s.transact(async (w) => (await w.keys.takeOneTime('a', 1, 'ec'))?.keyId));
    }
    await Promise.all(jobs);
    const claimed = (await Promise.all(claims)).filter((k) => k !== undefined);
    assert.equal(claimed.length, 40);
    assert.equal(new Set(claimed).size, 40);
    const list = await b.reader.messages.list('a', 1, 0, 1000);
    assert.equal(list.length, 100);
    assert.equal(new Set(list.map((m) => m.seq)).size, 100);
  } finally {
    await a.close();
    await b.close();
  }
});

/** A TCP proxy to the test server that can be cut (the database "goes away") and restored. */
async function cuttableProxy(target: URL): Promise<{
  url: string;
  cut: () => Promise<void>;
  restore: () => Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server = net.createServer((inbound) => {
        const outbound = net.connect(Number(target.port || 5432), target.hostname);
        sockets.add(inbound);
        sockets.add(outbound);
        inbound.pipe(outbound).pipe(inbound);
        const end = (): void => {
          inbound.destroy();
          outbound.destroy();
        };
        inbound.on('error', end).on('close', end);
        outbound.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    cut: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        sockets.clear();
        server?.close(() => {
          resolve();
        });
      }),
    restore: listen,
  };
}

test('pg: terminated connections are replaced by the pool', async () => {
  const s = await openPgStorage({ connectionString: url(), schema: freshSchema() });
  const client = new pg.Client({ connectionString: url() });
  await client.connect();
  try {
    await seed(s);
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await s.transact((w) => w.messages.enqueue(message('m1', ['a', 1])));
    assert.equal(await s.reader.messages.depth('a', 1), 1);
  } finally {
    await client.end();
    await s.close();
  }
});

test('pg: an unreachable database fails transactions with StorageUnavailableError; nothing half-done', async () => {
  const proxy = await cuttableProxy(new URL(url()));
  const s = await openPgStorage({ connectionString: proxy.url, schema: freshSchema() });
  try {
    await seed(s);
    await s.transact((w) => w.messages.enqueue(message('m1', ['a', 1])));
    await proxy.cut();
    await assert.rejects(
      s.transact((w) => w.messages.enqueue(message('m2', ['a', 1]))),
      (e: Error) => e instanceof StorageUnavailableError,
    );
    await assert.rejects(s.reader.messages.depth('a', 1), StorageUnavailableError);
    await proxy.restore();
    await s.transact((w) => w.messages.enqueue(message('m3', ['a', 1])));
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
      ['m1', 'm3'],
    );
  } finally {
    await s.close();
    await proxy.cut();
  }
});
