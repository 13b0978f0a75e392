// The expiry index: a sweep deletes exactly the expired messages (1:1 and group, after an edit,
// a delete for everyone, or the message's own removal) and reads only them, not the history;
// an older store without the index is indexed once by its first sweep.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { utf8Encode } from '@parley/bytes';
import { sweepExpired } from '../src/disappearing.js';
import { nextExpiry } from '../src/expiry-index.js';
import { GROUP_NS, groupRecords, type GroupMessageRecord } from '../src/group-records.js';
import { openSqliteBackend } from '../src/sqlite-backend.node.js';
import { NS, records, type MessageRecord } from '../src/state.js';
import { MemoryBackend, type StorageBackend, type StorageWriter } from '../src/storage.js';
import { primitives } from './harness.js';

const T = 1_700_000_000_000;

const direct = (n: number, expiresAt?: number): MessageRecord => ({
  id: `d${n}`,
  peer: 'bob',
  direction: 'in',
  text: `direct ${n}`,
  sentAt: T + n,
  status: 'received',
  ...(expiresAt !== undefined && { expiresAt }),
});

const grouped = (n: number, expiresAt?: number): GroupMessageRecord => ({
  id: `g${n}`,
  groupId: 'grp',
  direction: 'in',
  fromAccount: 'carol',
  fromDevice: 1,
  text: `group ${n}`,
  sentAt: T + n,
  ...(expiresAt !== undefined && { expiresAt }),
});

/** Counts the values a backend hands out: all of them, and those of message records. */
function counting(inner: StorageBackend): {
  db: StorageBackend;
  reads: () => { values: number; messages: number };
} {
  let values = 0;
  let messages = 0;
  const isMessage = (ns: string): boolean => ns === NS.message || ns === GROUP_NS.groupMessage;
  const got = (ns: string, n: number): void => {
    values += n;
    if (isMessage(ns)) messages += n;
  };
  const wrap = (w: StorageWriter): StorageWriter => ({
    get: (ns, key) => {
      const v = w.get(ns, key);
      got(ns, v === undefined ? 0 : 1);
      return v;
    },
    list: (ns) => {
      const l = w.list(ns);
      got(ns, l.length);
      return l;
    },
    put: (ns, key, value) => {
      w.put(ns, key, value);
    },
    delete: (ns, key) => {
      w.delete(ns, key);
    },
  });
  const db: StorageBackend = {
    get: (ns, key) => inner.get(ns, key),
    list: (ns) => inner.list(ns),
    transact: (fn) => inner.transact((w) => fn(wrap(w))),
    close: () => {
      inner.close();
    },
  };
  return { db, reads: () => ({ values, messages }) };
}

const ids = (db: StorageBackend): string[] => [
  ...records.messages(db).map((m) => m.id),
  ...groupRecords.messages(db, 'grp').map((m) => m.id),
];

test('a sweep deletes exactly the expired messages: 1:1, group, edited, deleted for everyone', () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    records.putMessage(w, direct(1, T + 10));
    records.putMessage(w, direct(2, T + 20));
    records.putMessage(w, direct(3));
    records.putMessage(w, direct(4, T + 15));
    groupRecords.putMessage(w, grouped(1, T + 10));
    groupRecords.putMessage(w, grouped(2, T + 30));
    groupRecords.putMessage(w, grouped(3));
    groupRecords.putMessage(w, { ...grouped(4, T + 12), savedFiles: ['/files/g4.jpg'] });
  });
  // Edited, and deleted for everyone (a tombstone), after they were stored.
  db.transact((w) => {
    const d4 = direct(4, T + 15);
    records.putMessage(w, { ...d4, text: 'new', edits: [{ text: d4.text, replacedAt: T + 5 }] });
    groupRecords.putMessage(w, { ...grouped(1, T + 10), text: '', deleted: true });
    records.putMessage(w, { ...direct(2, T + 20), text: '', deleted: true });
  });

  deepStrictEqual(
    db.transact((w) => sweepExpired(w, T + 9)),
    { messages: 0, files: [] },
  );
  deepStrictEqual(
    db.transact((w) => sweepExpired(w, T + 15)),
    { messages: 4, files: ['/files/g4.jpg'] },
  );
  deepStrictEqual(ids(db), ['d2', 'd3', 'g2', 'g3']);
  strictEqual(nextExpiry(db), T + 20);
  strictEqual(db.transact((w) => sweepExpired(w, T + 25)).messages, 1);
  deepStrictEqual(ids(db), ['d3', 'g2', 'g3']);
  strictEqual(db.transact((w) => sweepExpired(w, T + 1_000_000)).messages, 1);
  deepStrictEqual(ids(db), ['d3', 'g3']);
  strictEqual(nextExpiry(db), undefined, 'the index is empty');
  deepStrictEqual(db.list('expiry'), []);
});

test('an entry whose message is gone is dropped; a message is swept once', () => {
  const db = new MemoryBackend();
  db.transact((w) => {
    records.putMessage(w, direct(1, T + 10));
    records.putMessage(w, direct(2, T + 10));
  });
  db.transact((w) => {
    records.deleteMessage(w, 'd1');
  });
  strictEqual(db.transact((w) => sweepExpired(w, T + 10)).messages, 1);
  strictEqual(db.transact((w) => sweepExpired(w, T + 10)).messages, 0);
  deepStrictEqual(db.list('expiry'), []);
});

test('a sweep reads the expired messages only: 3 of 2,000, and two small records when none is due', () => {
  const { db, reads } = counting(new MemoryBackend());
  db.transact((w) => sweepExpired(w, T)); // a new store: the (empty) index is built
  db.transact((w) => {
    for (let n = 0; n < 1_000; n++) {
      // 3 expire at T + 100; 17 later; the rest never.
      const expiry = n < 3 ? T + 100 : n < 20 ? T + 10_000 + n : undefined;
      records.putMessage(w, direct(n, expiry));
      groupRecords.putMessage(w, grouped(n, n < 20 ? T + 10_000 + n : undefined));
    }
  });
  let before = reads();
  strictEqual(db.transact((w) => sweepExpired(w, T + 99)).messages, 0);
  deepStrictEqual(
    { values: reads().values - before.values, messages: reads().messages - before.messages },
    { values: 2, messages: 0 },
    'nothing due: the built mark and the next expiry',
  );
  before = reads();
  strictEqual(db.transact((w) => sweepExpired(w, T + 100)).messages, 3);
  const swept = {
    values: reads().values - before.values,
    messages: reads().messages - before.messages,
  };
  strictEqual(swept.messages, 3, 'only the expired messages were read');
  // The built mark, the next expiry, the 3 + 17 + 20 index entries (small), the 3 messages.
  ok(swept.values <= 2 + 40 + 3, `read ${String(swept.values)} values`);
  strictEqual(records.messages(db).length, 997);
});

test('a store written before the index: the first sweep indexes it once, then reads no history', () => {
  const { db, reads } = counting(new MemoryBackend());
  // As the code before the index wrote them: the records alone.
  db.transact((w) => {
    for (let n = 0; n < 50; n++) {
      const d = direct(n, n < 2 ? T + 10 : undefined);
      w.put(NS.message, d.id, utf8Encode(JSON.stringify({ rv: 1, ...d })));
      const g = grouped(n, n === 7 ? T + 10 : undefined);
      w.put(GROUP_NS.groupMessage, `grp/${g.id}`, utf8Encode(JSON.stringify({ rv: 1, ...g })));
    }
  });
  strictEqual(db.transact((w) => sweepExpired(w, T + 5)).messages, 0);
  strictEqual(db.transact((w) => sweepExpired(w, T + 10)).messages, 3);
  const before = reads().messages;
  strictEqual(db.transact((w) => sweepExpired(w, T + 20)).messages, 0);
  strictEqual(reads().messages, before, 'the history was read again');
  strictEqual(records.messages(db).length, 48);
  strictEqual(groupRecords.messages(db, 'grp').length, 49);
});

test('the SQLite backend keeps the index too (HMAC-keyed: the index is listed whole)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-expiry-'));
  try {
    const db = openSqliteBackend({
      path: join(dir, 'store.db'),
      primitives,
      secret: { keyFile: join(dir, 'key') },
    });
    db.transact((w) => {
      for (let n = 0; n < 20; n++)
        records.putMessage(w, direct(n, n % 2 === 0 ? T + n : undefined));
      groupRecords.putMessage(w, grouped(1, T + 5));
    });
    strictEqual(db.transact((w) => sweepExpired(w, T + 9)).messages, 6);
    deepStrictEqual(
      records.messages(db).map((m) => m.id),
      [
        'd1',
        'd3',
        'd5',
        'd7',
        'd9',
        'd10',
        'd11',
        'd12',
        'd13',
        'd14',
        'd15',
        'd16',
        'd17',
        'd18',
        'd19',
      ],
    );
    strictEqual(nextExpiry(db), T + 10);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
