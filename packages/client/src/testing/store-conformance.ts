/**
 * The storage backend conformance suite (`@parley/client/testing`): every backend runs it
 * (memory and SQLite in Node, SQLite WASM on OPFS in the browser). It checks reads, ordering,
 * copies, atomic transactions and that a failed transaction leaves nothing. Isomorphic: it
 * returns named cases that throw on failure, and each runtime registers them with its runner.
 */
import type { StorageBackend } from '../storage.js';

/** One named check of a {@link StorageBackend}; `run` throws when it does not hold. */
export interface StoreConformanceCase {
  readonly name: string;
  run(): void;
}

/** A conformance check that did not hold. */
export class StoreConformanceFailure extends Error {
  override readonly name = 'StoreConformanceFailure';
}

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function expectBytes(
  actual: Uint8Array | undefined,
  expected: Uint8Array | undefined,
  what: string,
) {
  if (sameBytes(actual, expected)) return;
  const shape = (v: Uint8Array | undefined): string =>
    v === undefined ? 'undefined' : `${v.length} bytes`;
  throw new StoreConformanceFailure(
    `${what}: expected ${shape(expected)}, got ${shape(actual)}${
      actual !== undefined && expected !== undefined && actual.length === expected.length
        ? ' with different contents'
        : ''
    }`,
  );
}

function expectKeys(
  actual: readonly (readonly [string, Uint8Array])[],
  expected: readonly (readonly [string, Uint8Array])[],
  what: string,
): void {
  const keys = actual.map(([k]) => k).join(',');
  const wanted = expected.map(([k]) => k).join(',');
  if (keys !== wanted)
    throw new StoreConformanceFailure(`${what}: keys [${keys}], expected [${wanted}]`);
  actual.forEach(([k, v], i) => {
    expectBytes(v, expected[i]?.[1], `${what}: value of ${k}`);
  });
}

function expectThrows(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch {
    return;
  }
  throw new StoreConformanceFailure(`${what}: did not throw`);
}

/**
 * The suite's cases; `open` gives a fresh, empty backend each time it is called. Each case
 * closes the backends it opens.
 */
export function storeConformanceCases(open: () => StorageBackend): StoreConformanceCase[] {
  return [
    {
      name: 'a missing key reads as undefined',
      run: () => {
        const db = open();
        expectBytes(db.get('ns', 'k'), undefined, 'get of a missing key');
        expectKeys(db.list('ns'), [], 'list of an empty namespace');
        db.close();
      },
    },
    {
      name: 'writes inside a transaction are read back, by namespace, ordered by key',
      run: () => {
        const db = open();
        db.transact((w) => {
          w.put('a', 'k2', bytes(2));
          w.put('a', 'k1', bytes(1));
          w.put('b', 'k1', bytes(9));
          expectBytes(w.get('a', 'k2'), bytes(2), 'a staged write read inside the transaction');
        });
        expectBytes(db.get('a', 'k1'), bytes(1), 'a committed write');
        expectKeys(
          db.list('a'),
          [
            ['k1', bytes(1)],
            ['k2', bytes(2)],
          ],
          'list of namespace a',
        );
        expectBytes(db.get('b', 'k1'), bytes(9), 'the same key in another namespace');
        db.close();
      },
    },
    {
      name: 'a transaction that throws writes nothing',
      run: () => {
        const db = open();
        db.transact((w) => {
          w.put('a', 'kept', bytes(1));
        });
        expectThrows(
          () =>
            db.transact((w) => {
              w.put('a', 'lost', bytes(2));
              w.delete('a', 'kept');
              throw new Error('crash');
            }),
          'a transaction whose function throws',
        );
        expectBytes(db.get('a', 'lost'), undefined, 'a write of a failed transaction');
        expectBytes(db.get('a', 'kept'), bytes(1), 'a delete of a failed transaction');
        db.close();
      },
    },
    {
      name: 'delete and overwrite; the list inside a transaction sees staged writes',
      run: () => {
        const db = open();
        db.transact((w) => {
          w.put('a', 'x', bytes(1));
          w.put('a', 'y', bytes(2));
        });
        db.transact((w) => {
          w.delete('a', 'x');
          w.put('a', 'y', bytes(3));
          expectKeys(w.list('a'), [['y', bytes(3)]], 'list inside the transaction');
        });
        expectBytes(db.get('a', 'x'), undefined, 'a deleted key');
        expectBytes(db.get('a', 'y'), bytes(3), 'an overwritten key');
        db.close();
      },
    },
    {
      name: 'values are copies (mutating one changes nothing stored)',
      run: () => {
        const db = open();
        const v = bytes(1, 2, 3);
        db.transact((w) => {
          w.put('a', 'k', v);
        });
        v[0] = 99;
        const read = db.get('a', 'k') ?? new Uint8Array(3);
        expectBytes(read, bytes(1, 2, 3), 'a value after the caller changed its array');
        read[1] = 99;
        expectBytes(db.get('a', 'k'), bytes(1, 2, 3), 'a value after the reader changed its copy');
        db.close();
      },
    },
    {
      name: 'keys and values of any length, including empty values and unicode keys',
      run: () => {
        const db = open();
        const big = new Uint8Array(100_000).fill(7);
        db.transact((w) => {
          w.put('a', 'é/ü:1', new Uint8Array(0));
          w.put('a', 'big', big);
        });
        expectBytes(db.get('a', 'é/ü:1'), new Uint8Array(0), 'an empty value under a unicode key');
        expectBytes(db.get('a', 'big'), big, 'a 100,000-byte value');
        db.close();
      },
    },
  ];
}
