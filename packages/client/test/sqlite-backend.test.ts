import { ok, strictEqual, throws } from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MlsCrypto, decodeGroupState } from '@parley/mls';
import { createNodePrimitives } from '@parley/primitives-node';
import { ClientError } from '../src/errors.js';
import { openSqliteBackend } from '../src/sqlite-backend.node.js';
import { newClient, nodeFetch, startRelay } from './harness.js';
import { storageConformance } from './store-conformance.js';

const primitives = createNodePrimitives();
const fresh = (): string => mkdtempSync(join(tmpdir(), 'parley-client-store-'));

storageConformance('sqlite backend (key file)', () =>
  openSqliteBackend({
    path: join(fresh(), 'store.db'),
    primitives,
    secret: { keyFile: join(fresh(), 'key') },
  }),
);

test('sqlite backend: a store reopens with its passphrase and refuses a wrong one', () => {
  const path = join(fresh(), 'store.db');
  const db = openSqliteBackend({ path, primitives, secret: { passphrase: 'correct horse' } });
  db.transact((w) => w.put('ns', 'alice', Uint8Array.of(1, 2, 3)));
  db.close();
  const again = openSqliteBackend({ path, primitives, secret: { passphrase: 'correct horse' } });
  strictEqual(again.get('ns', 'alice')?.[2], 3);
  again.close();
  throws(
    () => openSqliteBackend({ path, primitives, secret: { passphrase: 'wrong' } }),
    (e: unknown) => e instanceof ClientError && e.code === 'STORE_LOCKED',
  );
});

test('sqlite backend: nothing stored is readable in the file (keys and values encrypted)', () => {
  const dir = fresh();
  const path = join(dir, 'store.db');
  const db = openSqliteBackend({ path, primitives, secret: { keyFile: join(dir, 'key') } });
  db.transact((w) =>
    w.put('contact', 'bob-the-username', new TextEncoder().encode('very secret text')),
  );
  db.close();
  const raw = Buffer.concat([
    readFileSync(path),
    ...['-wal'].flatMap((s) => {
      try {
        return [readFileSync(path + s)];
      } catch {
        return [];
      }
    }),
  ]);
  strictEqual(raw.includes('bob-the-username'), false);
  strictEqual(raw.includes('very secret text'), false);
  strictEqual(statSync(join(dir, 'key')).mode & 0o777, 0o600);
});

test('sqlite backend: a key file others can read is refused', () => {
  const dir = fresh();
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, new Uint8Array(32));
  chmodSync(keyFile, 0o644);
  throws(
    () => openSqliteBackend({ path: join(dir, 'store.db'), primitives, secret: { keyFile } }),
    (e: unknown) => e instanceof ClientError && e.code === 'STORE_LOCKED',
  );
});

test('sqlite backend: MLS group state (which holds secrets in the clear) is encrypted at rest', async () => {
  const relay = await startRelay();
  try {
    const dir = fresh();
    const path = join(dir, 'store.db');
    const backend = openSqliteBackend({ path, primitives, secret: { keyFile: join(dir, 'key') } });
    const alice = newClient(relay.base, nodeFetch, backend);
    await alice.register('atrest');
    const { groupId } = await alice.createGroup('at-rest group name');
    await alice.sendToGroup(groupId, 'group text at rest');
    const stored = backend.get('group-state', groupId);
    ok(stored !== undefined);
    const state = decodeGroupState(new MlsCrypto(primitives, 1), stored);
    const secrets = [state.secrets.encryptionSecret, state.secrets.initSecret, stored.slice(0, 64)];
    backend.close();
    const raw = Buffer.concat(
      ['', '-wal'].flatMap((s) => {
        try {
          return [readFileSync(path + s)];
        } catch {
          return [];
        }
      }),
    );
    for (const s of secrets) strictEqual(raw.includes(Buffer.from(s)), false);
    strictEqual(raw.includes('at-rest group name'), false);
    strictEqual(raw.includes('group text at rest'), false);
  } finally {
    await relay.close();
  }
});

test('sqlite backend: a deleted record leaves none of its bytes in the file (secure_delete)', () => {
  const dir = fresh();
  const path = join(dir, 'store.db');
  const db = openSqliteBackend({ path, primitives, secret: { keyFile: join(dir, 'key') } });
  db.transact((w) => {
    w.put('kept', 'a', primitives.randomBytes(300));
    w.put('erased', 'b', primitives.randomBytes(300));
    w.put('kept', 'c', primitives.randomBytes(300));
  });
  // The sealed bytes as stored, read beside the backend.
  const raw = new Database(path, { readonly: true });
  const sealed = (ns: string): Buffer =>
    (raw.prepare('SELECT value FROM kv WHERE ns = ?').get(ns) as { value: Buffer }).value;
  const erased = sealed('erased');
  const kept = sealed('kept');
  raw.close();
  db.transact((w) => {
    w.delete('erased', 'b');
  });
  db.close(); // the last connection: the WAL is checkpointed into the file and removed
  const file = readFileSync(path);
  ok(file.includes(kept.subarray(100, 164)), 'a record still stored is found in the file');
  strictEqual(file.includes(erased.subarray(100, 164)), false, 'the erased record lingers');
});
