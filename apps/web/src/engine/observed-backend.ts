/**
 * A `StorageBackend` wrapper that reports, after each transaction commits, what it wrote to the
 * namespaces the engine mirrors (messages, contacts, groups). The SDK keeps no state outside
 * its store, so every change a user should see — a message arriving, a status moving from
 * queued to read, a contact's key changing — is one of these writes: observing them keeps the
 * engine's view exact without polling and without reaching into the SDK. A transaction that
 * throws reports nothing. An optional hook runs inside each transaction, after the SDK's writes
 * and before the commit, with those writes (and whether each record existed before), so records
 * derived from them (the conversation summaries) commit with them or not at all.
 */
import type { StorageBackend, StorageReader, StorageWriter } from '@parley/client';

/**
 * One committed write: a value, or `undefined` for a delete, which carries the record it deleted
 * (`previous`, if there was one) so that what was derived from it can go too.
 */
export interface StoredChange {
  readonly ns: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
  readonly previous?: Uint8Array;
}

/** A write seen inside its transaction: the change, and whether the record existed before. */
export interface WriteInTransaction {
  readonly change: StoredChange;
  readonly existed: boolean;
}

export type InTransactionHook = (w: StorageWriter, writes: readonly WriteInTransaction[]) => void;

export class ObservedBackend implements StorageBackend {
  readonly #inner: StorageBackend;
  readonly #watched: ReadonlySet<string>;
  readonly #onCommit: (changes: readonly StoredChange[]) => void;
  readonly #inTransaction: InTransactionHook | undefined;

  constructor(
    inner: StorageBackend,
    watched: readonly string[],
    onCommit: (changes: readonly StoredChange[]) => void,
    inTransaction?: InTransactionHook,
  ) {
    this.#inner = inner;
    this.#watched = new Set(watched);
    this.#onCommit = onCommit;
    this.#inTransaction = inTransaction;
  }

  get(namespace: string, key: string): Uint8Array | undefined {
    return this.#inner.get(namespace, key);
  }

  list(namespace: string): ReturnType<StorageReader['list']> {
    return this.#inner.list(namespace);
  }

  transact<T>(fn: (w: StorageWriter) => T): T {
    const changes: StoredChange[] = [];
    const writes: WriteInTransaction[] = [];
    const hook = this.#inTransaction;
    const seen = (w: StorageWriter, change: StoredChange): void => {
      changes.push(change);
      // Whether it existed: only the hook asks, and a record written twice here existed the
      // second time.
      if (hook !== undefined)
        writes.push({
          change,
          existed:
            change.value === undefined
              ? change.previous !== undefined
              : w.get(change.ns, change.key) !== undefined,
        });
    };
    const result = this.#inner.transact((w) => {
      const r = fn({
        get: (ns, key) => w.get(ns, key),
        list: (ns) => w.list(ns),
        put: (ns, key, value) => {
          if (this.#watched.has(ns)) seen(w, { ns, key, value: value.slice() });
          w.put(ns, key, value);
        },
        delete: (ns, key) => {
          if (this.#watched.has(ns)) {
            const previous = w.get(ns, key);
            seen(w, { ns, key, value: undefined, ...(previous !== undefined && { previous }) });
          }
          w.delete(ns, key);
        },
      });
      if (hook !== undefined && writes.length > 0) hook(w, writes);
      return r;
    });
    if (changes.length > 0) this.#onCommit(changes);
    return result;
  }

  close(): void {
    this.#inner.close();
  }
}
