/** The storage conformance suite fails a backend that breaks its promises (it can fail). */
import { ok, strictEqual } from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBackend, type StorageBackend, type StorageWriter } from '../src/storage.js';
import {
  StoreConformanceFailure,
  storeConformanceCases,
} from '../src/testing/store-conformance.js';

/** Writes straight through, so a transaction that throws keeps what it wrote before throwing. */
function noRollback(): StorageBackend {
  const inner = new MemoryBackend();
  return {
    get: (ns, k) => inner.get(ns, k),
    list: (ns) => inner.list(ns),
    transact<T>(fn: (w: StorageWriter) => T): T {
      const w: StorageWriter = {
        get: (ns, k) => inner.get(ns, k),
        list: (ns) => inner.list(ns),
        put: (ns, k, v) => inner.transact((x) => x.put(ns, k, v)),
        delete: (ns, k) => inner.transact((x) => x.delete(ns, k)),
      };
      return fn(w);
    },
    close: () => inner.close(),
  };
}

/** Hands out the stored array itself, so a caller's change reaches the store. */
function noCopies(): StorageBackend {
  const data = new Map<string, Uint8Array>();
  const backend: StorageBackend = {
    get: (ns, k) => data.get(`${ns}\0${k}`),
    list: (ns) =>
      [...data]
        .filter(([k]) => k.startsWith(`${ns}\0`))
        .map(([k, v]) => [k.slice(ns.length + 1), v] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    transact: (fn) =>
      fn({
        ...backend,
        put: (ns, k, v) => void data.set(`${ns}\0${k}`, v),
        delete: (ns, k) => void data.delete(`${ns}\0${k}`),
      }),
    close: () => data.clear(),
  };
  return backend;
}

function failures(open: () => StorageBackend): string[] {
  const failed: string[] = [];
  for (const c of storeConformanceCases(open)) {
    try {
      c.run();
    } catch (e) {
      ok(e instanceof StoreConformanceFailure, `${c.name} threw ${String(e)}`);
      failed.push(c.name);
    }
  }
  return failed;
}

test('store conformance: the memory backend passes every case', () => {
  strictEqual(failures(() => new MemoryBackend()).length, 0);
});

test('store conformance: a backend without rollback fails the failed-transaction case', () => {
  ok(failures(noRollback).includes('a transaction that throws writes nothing'));
});

test('store conformance: a backend that shares its arrays fails the copies case', () => {
  ok(failures(noCopies).includes('values are copies (mutating one changes nothing stored)'));
});
