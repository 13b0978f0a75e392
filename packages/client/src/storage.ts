/**
 * The client's storage backend: a small namespaced key–value store with synchronous reads and
 * one synchronous `transact` for writes, so that a decrypted message, the session change that
 * produced it and the mark that it was seen are written together or not at all. Backends:
 * {@link MemoryBackend} here, SQLite (encrypted at rest) in `sqlite-backend.node.ts`. Both run
 * the suite in `testing/store-conformance.ts` (`@parley/client/testing`), as does the
 * browser's SQLite WASM backend in apps/web.
 */

/** Reads, available everywhere. */
export interface StorageReader {
  get(namespace: string, key: string): Uint8Array | undefined;
  /** Every entry of a namespace, ordered by key. */
  list(namespace: string): readonly (readonly [string, Uint8Array])[];
}

/** Writes, available only inside {@link StorageBackend.transact}. */
export interface StorageWriter extends StorageReader {
  put(namespace: string, key: string, value: Uint8Array): void;
  delete(namespace: string, key: string): void;
}

export interface StorageBackend extends StorageReader {
  /** Runs `fn`; its writes persist together if it returns, none of them if it throws. */
  transact<T>(fn: (w: StorageWriter) => T): T;
  close(): void;
}

function compareKeys(a: readonly [string, Uint8Array], b: readonly [string, Uint8Array]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** In-memory backend for tests and short-lived clients; values are copied in and out. */
export class MemoryBackend implements StorageBackend {
  readonly #data = new Map<string, Map<string, Uint8Array>>();
  #inTransaction = false;

  get(namespace: string, key: string): Uint8Array | undefined {
    return this.#data.get(namespace)?.get(key)?.slice();
  }

  list(namespace: string): readonly (readonly [string, Uint8Array])[] {
    const ns = this.#data.get(namespace);
    if (ns === undefined) return [];
    return [...ns].map(([k, v]) => [k, v.slice()] as const).sort(compareKeys);
  }

  transact<T>(fn: (w: StorageWriter) => T): T {
    if (this.#inTransaction) throw new Error('transactions do not nest');
    const staged = new Map<string, Map<string, Uint8Array | null>>();
    const stagedGet = (namespace: string, key: string): Uint8Array | null | undefined =>
      staged.get(namespace)?.get(key);
    const stage = (namespace: string, key: string, value: Uint8Array | null): void => {
      const ns = staged.get(namespace) ?? new Map<string, Uint8Array | null>();
      ns.set(key, value);
      staged.set(namespace, ns);
    };
    const writer: StorageWriter = {
      get: (namespace, key) => {
        const s = stagedGet(namespace, key);
        if (s === null) return undefined;
        return s?.slice() ?? this.get(namespace, key);
      },
      list: (namespace) => {
        const merged = new Map(this.list(namespace));
        for (const [k, v] of staged.get(namespace) ?? []) {
          if (v === null) merged.delete(k);
          else merged.set(k, v.slice());
        }
        return [...merged].sort(compareKeys);
      },
      put: (namespace, key, value) => stage(namespace, key, value.slice()),
      delete: (namespace, key) => stage(namespace, key, null),
    };
    this.#inTransaction = true;
    let result: T;
    try {
      result = fn(writer);
    } finally {
      this.#inTransaction = false;
    }
    for (const [namespace, entries] of staged) {
      const ns = this.#data.get(namespace) ?? new Map<string, Uint8Array>();
      for (const [k, v] of entries) {
        if (v === null) ns.delete(k);
        else ns.set(k, v);
      }
      this.#data.set(namespace, ns);
    }
    return result;
  }

  close(): void {
    this.#data.clear();
  }
}
