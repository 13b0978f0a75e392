// The unread index: `markRead` reads the unread messages of one peer, not the whole history;
// kept by every message write in its transaction; built once, in one pass, on an older store.
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { test } from 'node:test';
import { utf8Encode } from '@parley/bytes';
import { records, type MessageRecord } from '../src/state.js';
import { MemoryBackend, type StorageBackend } from '../src/storage.js';
import { unreadFrom } from '../src/unread-index.js';

const message = (
  n: number,
  peer: string,
  direction: 'in' | 'out',
  status: MessageRecord['status'] = 'received',
): MessageRecord => ({
  id: `m${n}`,
  peer,
  direction,
  text: `text ${n}`,
  sentAt: 1_000 + n,
  status,
});

/** A backend that counts full reads of the message namespace. */
function counting(inner: StorageBackend): { db: StorageBackend; scans: () => number } {
  let scans = 0;
  const db: StorageBackend = {
    get: (ns, key) => inner.get(ns, key),
    list: (ns) => {
      if (ns === 'message') scans++;
      return inner.list(ns);
    },
    transact: (fn) =>
      inner.transact((w) =>
        fn({
          ...w,
          get: (ns, key) => w.get(ns, key),
          put: (ns, key, value) => {
            w.put(ns, key, value);
          },
          delete: (ns, key) => {
            w.delete(ns, key);
          },
          list: (ns) => {
            if (ns === 'message') scans++;
            return w.list(ns);
          },
        }),
      ),
    close: () => {
      inner.close();
    },
  };
  return { db, scans: () => scans };
}

const ids = (list: readonly MessageRecord[]): string[] => list.map((m) => m.id);

test('the unread messages of one peer, oldest first, kept by every message write', () => {
  const { db, scans } = counting(new MemoryBackend());
  unreadFrom(db, 'bob', records); // builds the (empty) index and its mark
  db.transact((w) => {
    records.putMessage(w, message(3, 'bob', 'in'));
    records.putMessage(w, message(1, 'bob', 'in'));
    records.putMessage(w, message(2, 'bob', 'out'));
    records.putMessage(w, message(4, 'carol', 'in'));
    records.putMessage(w, message(5, 'bob', 'in', 'read'));
  });
  const before = scans();
  deepStrictEqual(ids(unreadFrom(db, 'bob', records)), ['m1', 'm3']);
  deepStrictEqual(ids(unreadFrom(db, 'carol', records)), ['m4']);
  deepStrictEqual(ids(unreadFrom(db, 'dave', records)), []);
  // Read: the entry goes with the same write.
  db.transact((w) => {
    records.putMessage(w, message(1, 'bob', 'in', 'read'));
  });
  deepStrictEqual(ids(unreadFrom(db, 'bob', records)), ['m3']);
  strictEqual(scans(), before, 'the history was read');
});

test('a store from before the index: built in one pass, then not scanned again', () => {
  const inner = new MemoryBackend();
  // Written as an older SDK wrote them: the message records alone.
  inner.transact((w) => {
    for (let n = 0; n < 20; n++) {
      const m = message(n, n % 2 === 0 ? 'bob' : 'carol', n % 3 === 0 ? 'out' : 'in');
      w.put('message', m.id, utf8Encode(JSON.stringify({ rv: 1, ...m })));
    }
  });
  const { db, scans } = counting(inner);
  const bob = [2, 4, 8, 10, 14, 16].map((n) => `m${n}`);
  deepStrictEqual(ids(unreadFrom(db, 'bob', records)), bob);
  strictEqual(scans(), 1);
  deepStrictEqual(ids(unreadFrom(db, 'bob', records)), bob);
  deepStrictEqual(ids(unreadFrom(db, 'carol', records)), [
    'm1',
    'm5',
    'm7',
    'm11',
    'm13',
    'm17',
    'm19',
  ]);
  strictEqual(scans(), 1, 'scanned again');
});

test('a stale or foreign entry is ignored: the message record decides', () => {
  const db = new MemoryBackend();
  unreadFrom(db, 'bob', records);
  db.transact((w) => {
    records.putMessage(w, message(1, 'bob', 'in'));
    // An entry naming a message that is not there, one naming another peer's, and junk.
    w.put('unread', 'bob/ghost', utf8Encode(JSON.stringify({ rv: 1, peer: 'bob', id: 'ghost' })));
    w.put('unread', 'bob/m2', utf8Encode(JSON.stringify({ rv: 1, peer: 'bob', id: 'm2' })));
    w.put('unread', 'junk', Uint8Array.of(0xff, 0x00));
    w.put('message', 'm2', utf8Encode(JSON.stringify({ rv: 1, ...message(2, 'carol', 'in') })));
  });
  deepStrictEqual(ids(unreadFrom(db, 'bob', records)), ['m1']);
});
