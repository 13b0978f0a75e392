/** The engine sees exactly the committed writes to the namespaces it mirrors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend } from '@parley/client';
import { ObservedBackend, type StoredChange } from '../src/engine/observed-backend.js';

function observed(): { db: ObservedBackend; seen: StoredChange[][] } {
  const seen: StoredChange[][] = [];
  const db = new ObservedBackend(new MemoryBackend(), ['message', 'contact'], (c) =>
    seen.push([...c]),
  );
  return { db, seen };
}

test('a committed transaction reports its writes to watched namespaces, in order', () => {
  const { db, seen } = observed();
  db.transact((w) => {
    w.put('message', 'm1', Uint8Array.of(1));
    w.put('session', 's1', Uint8Array.of(9));
    w.delete('contact', 'bob');
  });
  assert.equal(seen.length, 1);
  assert.deepEqual(
    seen[0]?.map((c) => [c.ns, c.key, c.value === undefined ? null : [...c.value]]),
    [
      ['message', 'm1', [1]],
      ['contact', 'bob', null],
    ],
  );
  assert.deepEqual(db.get('session', 's1'), Uint8Array.of(9));
});

test('a transaction that throws reports nothing and writes nothing', () => {
  const { db, seen } = observed();
  assert.throws(() =>
    db.transact((w) => {
      w.put('message', 'lost', Uint8Array.of(1));
      throw new Error('crash');
    }),
  );
  assert.equal(seen.length, 0);
  assert.equal(db.get('message', 'lost'), undefined);
});

test('writes only to unwatched namespaces report nothing; reported values are copies', () => {
  const { db, seen } = observed();
  db.transact((w) => w.put('session', 's', Uint8Array.of(1)));
  assert.equal(seen.length, 0);
  const v = Uint8Array.of(5);
  db.transact((w) => w.put('message', 'm', v));
  v[0] = 6;
  assert.deepEqual(seen[0]?.[0]?.value, Uint8Array.of(5));
});

test('a delete carries the record it deleted; deleting nothing carries none', () => {
  const { db, seen } = observed();
  db.transact((w) => w.put('message', 'm', Uint8Array.of(7)));
  db.transact((w) => {
    w.delete('message', 'm');
    w.delete('message', 'never');
  });
  const deletes = seen[1] ?? [];
  assert.equal(deletes.length, 2);
  assert.equal(deletes[0]?.value, undefined);
  assert.deepEqual(deletes[0]?.previous, Uint8Array.of(7));
  assert.equal(deletes[1]?.previous, undefined);
  assert.equal(db.get('message', 'm'), undefined);
});

test('the in-transaction hook sees a delete of an existing record as existing', () => {
  const writes: { key: string; existed: boolean }[] = [];
  const db = new ObservedBackend(
    new MemoryBackend(),
    ['message'],
    () => undefined,
    (_w, ws) => {
      for (const x of ws) writes.push({ key: x.change.key, existed: x.existed });
    },
  );
  db.transact((w) => w.put('message', 'm', Uint8Array.of(1)));
  db.transact((w) => {
    w.delete('message', 'm');
    w.delete('message', 'gone');
  });
  assert.deepEqual(writes, [
    { key: 'm', existed: false },
    { key: 'm', existed: true },
    { key: 'gone', existed: false },
  ]);
});
