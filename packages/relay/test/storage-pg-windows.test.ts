// Two send windows in flight at once on the PostgreSQL backend (`PG_SEND_WINDOWS_IN_FLIGHT`):
// per-device `seq` in commit order and callers settled in that order (even when the COMMIT
// answers arrive the other way round), acks that never reach a message a later commit writes, a
// failed window that leaves no gap, and one client message id in two windows answered once.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { openPgStorage, type PgStorage } from '@parley/relay';
import { account, device, message, useThrowawayDatabase } from '@parley/relay/testing';

const { url, freshSchema } = useThrowawayDatabase('w');

/** Every transaction is its own window, started at once. */
async function open(connectionString = url()): Promise<PgStorage> {
  const s = await openPgStorage({
    connectionString,
    schema: freshSchema(),
    groupCommit: { maxBatch: 1, windowMs: 0 },
  });
  await s.transact(async (w) => {
    for (const a of ['a', 'b']) {
      await w.accounts.create(account(a));
      await w.devices.add(device(a, 1));
    }
  });
  return s;
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** Resolves once `done()` holds; rejects after `ms`. */
async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!done()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('pg windows: a second window runs while the first is open; seq and settling follow commit order', async () => {
  const s = await open();
  try {
    const g = gate();
    const settled: string[] = [];
    let secondStarted = false;
    // The first window takes seq 1 for a/1 and holds its counter row until it commits.
    let bumped = false;
    const first = s.transact(async (w) => {
      const m = await w.messages.enqueue(message('first', ['a', 1]));
      bumped = true;
      await g.wait;
      return m.seq;
    });
    void first.then(() => settled.push('first'));
    await until(() => bumped, 'the first window to bump');
    // A window for another device commits while the first is still open.
    const other = await s.transact(
      async (w) => (await w.messages.enqueue(message('other', ['b', 1]))).seq,
    );
    assert.equal(other, 1);
    const second = s.transact(async (w) => {
      secondStarted = true;
      return (await w.messages.enqueue(message('second', ['a', 1]))).seq;
    });
    void second.then(() => settled.push('second'));
    await until(() => secondStarted, 'the second window to start beside the first');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(settled, [], 'the second waits on the counter row the first holds');
    g.open();
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(settled, ['first', 'second']);
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => [m.seq, m.clientMessageId]),
      [
        [1, 'first'],
        [2, 'second'],
      ],
    );
    assert.equal(await s.queueHead('a', 1), 2);
  } finally {
    await s.close();
  }
});

test('pg windows: the window that bumps first gets the lower seq and settles first, whichever started first', async () => {
  const s = await open();
  try {
    const g = gate();
    const settled: number[] = [];
    // The first window to start waits before it enqueues; the second enqueues and commits.
    const late = s.transact(async (w) => {
      await g.wait;
      return (await w.messages.enqueue(message('late', ['a', 1]))).seq;
    });
    void late.then((seq) => settled.push(seq));
    const early = await s.transact(
      async (w) => (await w.messages.enqueue(message('early', ['a', 1]))).seq,
    );
    settled.push(early);
    g.open();
    await late;
    assert.deepEqual(settled, [1, 2]);
  } finally {
    await s.close();
  }
});

test('pg windows: an ack never deletes a message a send window still open wrote', async () => {
  const s = await open();
  try {
    await s.transact((w) => w.messages.enqueue(message('committed', ['a', 1])));
    const g = gate();
    let bumped = false;
    const open = s.transact(async (w) => {
      const m = await w.messages.enqueue(message('open', ['a', 1]));
      bumped = true;
      await g.wait;
      return m.seq;
    });
    await until(() => bumped, 'the open window to bump');
    // An acknowledgement past both seqs, committed while the second send is uncommitted.
    const deleted = await s.transact((w) => w.messages.deleteUpTo('a', 1, 100), {
      durable: false,
    });
    assert.equal(deleted, 1, 'only the committed message');
    g.open();
    assert.equal(await open, 2);
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
      ['open'],
    );
    assert.equal(await s.reader.messages.depth('a', 1), 1);
  } finally {
    await s.close();
  }
});

test('pg windows: a window that fails after enqueueing leaves no gap and no row; the other commits', async () => {
  const s = await open();
  try {
    const g = gate();
    let bumped = false;
    const failing = s.transact(async (w) => {
      await w.messages.enqueue(message('failing', ['a', 1]));
      bumped = true;
      await g.wait;
      throw new Error('refused after writing');
    });
    await until(() => bumped, 'the failing window to bump');
    const ok = s.transact(async (w) => (await w.messages.enqueue(message('ok', ['a', 1]))).seq);
    await new Promise((resolve) => setTimeout(resolve, 50));
    g.open();
    await assert.rejects(failing, /refused after writing/);
    assert.equal(await ok, 1, 'the seq the failed window took was rolled back');
    assert.deepEqual(
      (await s.reader.messages.list('a', 1, 0, 10)).map((m) => [m.seq, m.clientMessageId]),
      [[1, 'ok']],
    );
    assert.equal(await s.queueHead('a', 1), 1);
    // The next send follows without a gap.
    assert.equal(
      await s.transact(async (w) => (await w.messages.enqueue(message('next', ['a', 1]))).seq),
      2,
    );
  } finally {
    await s.close();
  }
});

test('pg windows: one client message id in two windows in flight is stored once, the other a duplicate', async () => {
  const s = await open();
  try {
    const g = gate();
    // As the relay's send: duplicate check, enqueue, send record.
    let recorded = false;
    const send = (wait: Promise<void> | undefined) =>
      s.transact(async (w) => {
        if ((await w.messages.findSend('b', 1, 'x')) !== undefined) return 'duplicate';
        const m = await w.messages.enqueue(message('x', ['a', 1]));
        await w.messages.recordSend({
          senderAccountId: 'b',
          senderDeviceId: 1,
          clientMessageId: 'x',
          serverTimestamp: 1,
        });
        recorded = true;
        await wait;
        return m.seq;
      });
    const first = send(g.wait);
    await until(() => recorded, 'the first window to record its send');
    const again = send(undefined);
    await until(() => s.stats.handedBack === 1, 'the second window to be handed back');
    g.open();
    assert.deepEqual(await Promise.all([first, again]), [1, 'duplicate']);
    assert.equal(await s.reader.messages.depth('a', 1), 1);
    assert.equal(await s.queueHead('a', 1), 1);
  } finally {
    await s.close();
  }
});

/** A TCP proxy to the test server that can hold back the server's answers on its connections. */
async function delayingProxy(target: URL): Promise<{
  url: string;
  /** Answers on the connections opened so far arrive `ms` late from now on. */
  delayOpen: (ms: number) => void;
  close: () => Promise<void>;
}> {
  const delays: { ms: number }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const delay = { ms: 0 };
    delays.push(delay);
    const outbound = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound);
    // A constant delay per connection keeps its bytes in order.
    outbound.on('data', (chunk: Buffer) => {
      if (delay.ms === 0) inbound.write(chunk);
      else setTimeout(() => inbound.write(chunk), delay.ms);
    });
    const end = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    delayOpen: (ms) => {
      for (const d of delays) d.ms = ms;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

test('pg windows: a window whose COMMIT answer arrives first still settles after the window that took the lower seq', async () => {
  const proxy = await delayingProxy(new URL(url()));
  const s = await open(proxy.url);
  try {
    const g = gate();
    const settled: string[] = [];
    let bumped = false;
    const first = s.transact(async (w) => {
      const m = await w.messages.enqueue(message('first', ['a', 1]));
      bumped = true;
      await g.wait;
      return m.seq;
    });
    void first.then(() => settled.push('first'));
    await until(() => bumped, 'the first window to bump');
    // The second window opens a new connection; the first's answers now come 300 ms late, so
    // its COMMIT is done in the database well before the relay hears of it.
    proxy.delayOpen(300);
    const second = s.transact(
      async (w) => (await w.messages.enqueue(message('second', ['a', 1]))).seq,
    );
    void second.then(() => settled.push('second'));
    g.open();
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(settled, ['first', 'second']);
  } finally {
    await s.close();
    await proxy.close();
  }
});
