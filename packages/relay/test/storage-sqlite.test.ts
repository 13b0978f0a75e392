import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, SQLITE_FILE_NAME, openSqliteStorage } from '@parley/relay';
import { account, device, message, runStorageConformance } from '@parley/relay/testing';

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'parley-sqlite-'));

runStorageConformance('sqlite', () => {
  const dir = tempDir();
  return Promise.resolve({
    storage: openSqliteStorage({ dataDir: dir }),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

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
      (await second.reader.messages.list('a', 1, 0, 10)).map((m) => m.guid),
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
