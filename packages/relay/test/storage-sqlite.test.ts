import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, SQLITE_FILE_NAME, openSqliteStorage } from '@parley/relay';
import {
  account,
  device,
  message,
  runClaimSendConformance,
  runStorageConformance,
} from '@parley/relay/testing';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'parley-sqlite-'));

const openTemp = () => {
  const dir = tempDir();
  return Promise.resolve({
    storage: openSqliteStorage({ dataDir: dir }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
};

runStorageConformance('sqlite', openTemp);
runClaimSendConformance('sqlite', openTemp);

test('sqlite: committed data survives reopening; WAL journal; schema at the last migration', async () => {
  const dir = tempDir();
  try {
    const first = openSqliteStorage({ dataDir: dir });
    await first.transact(async (w) => {
      await w.accounts.create(account('a'));
      await w.devices.add(device('a', 1));
      await w.messages.enqueue(message('m1', ['a', 1]));
    });
    await first.close();
    const second = openSqliteStorage({ dataDir: dir });
    assert.deepEqual(
      (await second.reader.messages.list('a', 1, 0, 10)).map((m) => m.clientMessageId),
      ['m1'],
    );
    await second.close();
    const raw = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)?.version);
    raw.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: migrations are numbered 1..n without gaps', () => {
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
});

test('sqlite: reads outside a transaction do not see its uncommitted writes', async () => {
  const dir = tempDir();
  const s = openSqliteStorage({ dataDir: dir });
  try {
    await s.transact(async (w) => {
      await w.accounts.create(account('a'));
      await w.devices.add(device('a', 1));
    });
    let seenInside = -1;
    await s.transact(async (w) => {
      await w.messages.enqueue(message('m1', ['a', 1]));
      seenInside = await s.reader.messages.depth('a', 1);
    });
    assert.equal(seenInside, 0);
    assert.equal(await s.reader.messages.depth('a', 1), 1);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: migration 4 keeps queued messages, their guids and the sequence counter', async () => {
  const dir = tempDir();
  try {
    const raw = new Database(join(dir, SQLITE_FILE_NAME));
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) raw.exec(m.sql);
    raw.pragma('user_version = 3');
    raw.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?)').run('a', 'a', Buffer.alloc(33), 1);
    raw
      .prepare('INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?)')
      .run('a', 1, 101, Buffer.alloc(33), Buffer.alloc(32), 1);
    const insert = raw.prepare(
      `INSERT INTO messages (seq, guid, recipient_account, recipient_device, sender_account,
         sender_device, client_message_id, type, content, server_timestamp)
       VALUES (?, ?, 'a', 1, 's', 1, ?, 1, x'01', 5)`,
    );
    insert.run(5, '2f1d7c52-6a0e-4b8e-9d55-0e0f3c3c1b01', 'old-5');
    insert.run(9, '2f1d7c52-6a0e-4b8e-9d55-0e0f3c3c1b02', 'old-9');
    insert.run(12, 'gone', 'gone');
    raw.prepare("DELETE FROM messages WHERE guid = 'gone'").run();
    raw.close();

    const s = openSqliteStorage({ dataDir: dir });
    const queued = await s.reader.messages.list('a', 1, 0, 10);
    assert.deepEqual(
      queued.map((m) => [m.seq, m.guid, m.clientMessageId]),
      [
        [5, '2f1d7c52-6a0e-4b8e-9d55-0e0f3c3c1b01', 'old-5'],
        [9, '2f1d7c52-6a0e-4b8e-9d55-0e0f3c3c1b02', 'old-9'],
      ],
    );
    const { seq } = await s.transact((w) => w.messages.enqueue(message('new', ['a', 1])));
    assert.ok(seq > 12, `the counter carried over (${seq})`);
    assert.equal(
      await s.transact((w) => w.messages.delete('a', 1, ['2f1d7c52-6a0e-4b8e-9d55-0e0f3c3c1b01'])),
      1,
      'a legacy guid is acknowledged by guid',
    );
    const guid = (await s.reader.messages.list('a', 1, 9, 1))[0]?.guid;
    await s.close();
    const again = openSqliteStorage({ dataDir: dir });
    assert.equal(
      (await again.reader.messages.list('a', 1, 9, 1))[0]?.guid,
      guid,
      'guids are stable across reopening',
    );
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: a transaction after an idle window commits at once; right after a batch it waits for the window', async () => {
  const dir = tempDir();
  const windowMs = 1_000;
  const s = openSqliteStorage({ dataDir: dir, groupCommit: { windowMs } });
  const timed = async (durable: boolean): Promise<number> => {
    const started = performance.now();
    await s.transact(() => Promise.resolve(), { durable });
    return performance.now() - started;
  };
  try {
    assert.ok((await timed(true)) < windowMs / 2, 'idle: no wait for the window');
    assert.ok((await timed(true)) >= windowMs * 0.9, 'right after a batch: waits the window');
    assert.ok((await timed(false)) >= windowMs * 0.9, 'so does an ack delete');
    await new Promise((r) => setTimeout(r, windowMs * 1.1));
    assert.ok((await timed(false)) < windowMs / 2, 'an ack delete after an idle window: at once');
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
