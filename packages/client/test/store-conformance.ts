/** Registers the isomorphic storage conformance suite (`@parley/client/testing`) with node:test. */
import { test } from 'node:test';
import type { StorageBackend } from '../src/storage.js';
import { storeConformanceCases } from '../src/testing/store-conformance.js';

/** Registers the suite's tests; `open` gives a fresh, empty backend. */
export function storageConformance(name: string, open: () => StorageBackend): void {
  for (const c of storeConformanceCases(open)) test(`${name}: ${c.name}`, () => c.run());
}
