/**
 * The storage backend conformance suite: every backend runs it (memory and SQLite). It checks
 * reads, ordering, copies, atomic transactions and that a failed transaction leaves nothing.
 */
import { deepStrictEqual, strictEqual, throws } from 'node:assert/strict';
import { test } from 'node:test';
import type { StorageBackend } from '../src/storage.js';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

/** Registers the suite's tests; `open` gives a fresh, empty backend. */
export function storageConformance(name: string, open: () => StorageBackend): void {
  test(`${name}: a missing key reads as undefined`, () => {
    const db = open();
    strictEqual(db.get('ns', 'k'), undefined);
    deepStrictEqual(db.list('ns'), []);
    db.close();
  });

  test(`${name}: writes inside a transaction are read back, by namespace, ordered by key`, () => {
    const db = open();
    db.transact((w) => {
      w.put('a', 'k2', bytes(2));
      w.put('a', 'k1', bytes(1));
      w.put('b', 'k1', bytes(9));
      deepStrictEqual(w.get('a', 'k2'), bytes(2));
    });
    deepStrictEqual(db.get('a', 'k1'), bytes(1));
    deepStrictEqual(
      db.list('a').map(([k, v]) => [k, [...v]]),
      [
        ['k1', [1]],
        ['k2', [2]],
      ],
    );
    deepStrictEqual(db.get('b', 'k1'), bytes(9));
    db.close();
  });

  test(`${name}: a transaction that throws writes nothing`, () => {
    const db = open();
    db.transact((w) => w.put('a', 'kept', bytes(1)));
    throws(() =>
      db.transact((w) => {
        w.put('a', 'lost', bytes(2));
        w.delete('a', 'kept');
        throw new Error('crash');
      }),
    );
    strictEqual(db.get('a', 'lost'), undefined);
    deepStrictEqual(db.get('a', 'kept'), bytes(1));
    db.close();
  });

  test(`${name}: delete and overwrite; the list inside a transaction sees staged writes`, () => {
    const db = open();
    db.transact((w) => {
      w.put('a', 'x', bytes(1));
      w.put('a', 'y', bytes(2));
    });
    db.transact((w) => {
      w.delete('a', 'x');
      w.put('a', 'y', bytes(3));
      deepStrictEqual(
        w.list('a').map(([k]) => k),
        ['y'],
      );
    });
    strictEqual(db.get('a', 'x'), undefined);
    deepStrictEqual(db.get('a', 'y'), bytes(3));
    db.close();
  });

  test(`${name}: values are copies (mutating one changes nothing stored)`, () => {
    const db = open();
    const v = bytes(1, 2, 3);
    db.transact((w) => w.put('a', 'k', v));
    v[0] = 99;
    const read = db.get('a', 'k') ?? new Uint8Array(3);
    deepStrictEqual(read, bytes(1, 2, 3));
    read[1] = 99;
    deepStrictEqual(db.get('a', 'k'), bytes(1, 2, 3));
    db.close();
  });

  test(`${name}: keys and values of any length, including empty values and unicode keys`, () => {
    const db = open();
    const big = new Uint8Array(100_000).fill(7);
    db.transact((w) => {
      w.put('a', 'é/ü:1', new Uint8Array(0));
      w.put('a', 'big', big);
    });
    deepStrictEqual(db.get('a', 'é/ü:1'), new Uint8Array(0));
    deepStrictEqual(db.get('a', 'big'), big);
    db.close();
  });
}
