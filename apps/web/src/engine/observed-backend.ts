/**
 * A `StorageBackend` wrapper that reports, after each transaction commits, what it wrote to the
 * namespaces the engine mirrors (messages, contacts, groups). The SDK keeps no state outside
 * its store, so every change a user should see — a message arriving, a status moving from
 * queued to read, a contact's key changing — is one of these writes: observing them keeps the
 * engine's view exact without polling and without reaching into the SDK. A transaction that
 * throws reports nothing.
 */
import type { StorageBackend, StorageReader, StorageWriter } from '@parley/client';

/** One committed write: a value, or `undefined` for a delete. */
export interface StoredChange {
  readonly ns: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
}

export class ObservedBackend implements StorageBackend {
  readonly #inner: StorageBackend;
  readonly #watched: ReadonlySet<string>;
  readonly #onCommit: (changes: readonly StoredChange[]) => void;

  constructor(
    inner: StorageBackend,
    watched: readonly string[],
    onCommit: (changes: readonly StoredChange[]) => void,
  ) {
    this.#inner = inner;
    this.#watched = new Set(watched);
    this.#onCommit = onCommit;
  }

  get(namespace: string, key: string): Uint8Array | undefined {
    return this.#inner.get(namespace, key);
  }

  list(namespace: string): ReturnType<StorageReader['list']> {
    return this.#inner.list(namespace);
  }

  transact<T>(fn: (w: StorageWriter) => T): T {
    const changes: StoredChange[] = [];
    const result = this.#inner.transact((w) =>
      fn({
        get: (ns, key) => w.get(ns, key),
        list: (ns) => w.list(ns),
        put: (ns, key, value) => {
          w.put(ns, key, value);
          if (this.#watched.has(ns)) changes.push({ ns, key, value: value.slice() });
        },
        delete: (ns, key) => {
          w.delete(ns, key);
          if (this.#watched.has(ns)) changes.push({ ns, key, value: undefined });
        },
      }),
    );
    if (changes.length > 0) this.#onCommit(changes);
    return result;
  }

  close(): void {
    this.#inner.close();
  }
}
