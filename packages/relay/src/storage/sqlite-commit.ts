/**
 * Group commit for the SQLite backend, by window: transactions wait until `maxBatch` are pending
 * or `windowMs` has passed since the first of them, whichever comes first, then run one after
 * another in one SQLite transaction. One that throws before writing anything needs no undoing;
 * if one throws after writing, the batch is rolled back and run again with each transaction in
 * its own savepoint, so it is rolled back alone (savepoints cost two statements per transaction,
 * so they are kept for that case). The batch has one COMMIT and, if any of its transactions is
 * durable, one `fdatasync` of
 * the WAL on libuv's thread pool; durable transactions settle after that sync, others (deletes of
 * acknowledged messages) at the COMMIT. While a sync runs the next batch collects; it starts
 * once the sync is done, so at most one commit is ever unsynced.
 *
 * Reads never see what is not durable, nor what is not committed: between a COMMIT and its sync,
 * reads wait for the sync (a message is never pushed before it is on disk). Otherwise they go to
 * the writing connection, whose page cache stays warm (a second connection loses its cache at
 * every commit of the first), inside one read transaction per turn of the event loop, or, while
 * a batch is open on that connection, to a second connection that sees only committed data.
 */
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { MAX_WAL_BYTES } from '../limits.js';
import { flushDelay, type GroupCommitOptions } from './group-window.js';
import type { Reader, Writer } from './types.js';

type Db = Database.Database;

export type { GroupCommitOptions };

interface Pending {
  /** When it arrived (performance.now()). */
  readonly at: number;
  readonly fn: (writer: Writer) => Promise<unknown>;
  readonly durable: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export type Read = (reader: Reader) => Promise<unknown>;

export interface Committer {
  transact<T>(fn: (writer: Writer) => Promise<T>, durable: boolean): Promise<T>;
  /** Runs a read at the right moment on the right connection (see the module comment). */
  route(run: Read, waitForSync: boolean): Promise<unknown>;
  /** Waits for pending batches and their syncs; later transactions are refused. */
  close(): Promise<void>;
}

/** Set by every write method of the writer (see `trackWrites` in sqlite.ts). */
export interface WriteFlag {
  wrote: boolean;
}

export interface CommitterParts {
  readonly writeDb: Db;
  readonly writeFlag: WriteFlag;
  /** `-wal` file of the database. */
  readonly walPath: string;
  readonly writer: Writer;
  /** Reads on the writing connection (warm cache). */
  readonly warmReader: Reader;
  /** Reads on a second connection (committed data only, used while a batch is open). */
  readonly committedReader: Reader;
  /** Whether durable batches are synced (`synchronous: 'FULL'`). */
  readonly syncWal: boolean;
  readonly options: GroupCommitOptions;
  /** Called after every COMMIT (starts a checkpoint now and then). */
  readonly committed: () => void;
  /** Called after every rollback, whole or to a savepoint (state kept beside the data is stale). */
  readonly rolledBack: () => void;
}

export function createCommitter(p: CommitterParts): Committer {
  const { writeDb, writer, options } = p;
  const control = {
    begin: writeDb.prepare('BEGIN IMMEDIATE'),
    commit: writeDb.prepare('COMMIT'),
    savepoint: writeDb.prepare('SAVEPOINT parley_tx'),
    release: writeDb.prepare('RELEASE parley_tx'),
    rollbackTo: writeDb.prepare('ROLLBACK TO parley_tx'),
    readBegin: writeDb.prepare('BEGIN'),
    readEnd: writeDb.prepare('COMMIT'),
  };
  const pending: Pending[] = [];
  /** A batch is running (from its start to its settlement, sync included). */
  let running = false;
  let lastBatchEnd = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let idle: (() => void) | undefined;
  let walFd: number | undefined;
  /** A batch is between BEGIN and COMMIT on the writing connection. */
  let batchOpen = false;
  /** The sync of the last durable COMMIT, while it runs (it never rejects). */
  let syncing: Promise<void> | undefined;
  /** Reads waiting for `syncing`. */
  let held: (() => void)[] = [];

  let readTransaction = false;
  const endReadTransaction = (): void => {
    if (!readTransaction) return;
    readTransaction = false;
    control.readEnd.run();
  };
  const read = (run: Read): Promise<unknown> => {
    if (batchOpen) return run(p.committedReader);
    if (!readTransaction) {
      readTransaction = true;
      control.readBegin.run();
      setImmediate(endReadTransaction);
    }
    return run(p.warmReader);
  };

  const settle = (batch: readonly Pending[], outcomes: Outcome[], failure?: unknown): void => {
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (failure !== undefined) item.reject(failure);
      else if (outcome === undefined) item.reject(new Error('transaction lost'));
      else if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  };

  /** Syncs the COMMIT just written; settles the durable transactions and releases reads after. */
  const sync = (fd: number, batch: readonly Pending[], outcomes: Outcome[]): Promise<void> =>
    new Promise<void>((resolve) => {
      fdatasync(fd, (error) => {
        syncing = undefined;
        const reads = held;
        held = [];
        for (const run of reads) run();
        settle(batch, outcomes, error ?? undefined);
        resolve();
      });
    });

  /** Whether the transaction running now has written (read after its awaits). */
  const wrote = (): boolean => p.writeFlag.wrote;

  /** Runs the batch without savepoints; false if one threw after writing (nothing is undone). */
  const runPlain = async (batch: readonly Pending[], outcomes: Outcome[]): Promise<boolean> => {
    for (const item of batch) {
      p.writeFlag.wrote = false;
      try {
        outcomes.push({ ok: true, value: await item.fn(writer) });
      } catch (error) {
        if (wrote()) return false;
        outcomes.push({ ok: false, error });
      }
    }
    return true;
  };

  /** Runs the batch with each transaction in a savepoint. */
  const runSafe = async (batch: readonly Pending[], outcomes: Outcome[]): Promise<void> => {
    for (const item of batch) {
      control.savepoint.run();
      try {
        const value = await item.fn(writer);
        control.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        control.rollbackTo.run();
        control.release.run();
        p.rolledBack();
        outcomes.push({ ok: false, error });
      }
    }
  };

  const runBatch = async (): Promise<void> => {
    const batch = pending.splice(0, options.maxBatch);
    const outcomes: Outcome[] = [];
    try {
      endReadTransaction();
      if (walFd !== undefined && fstatSync(walFd).size > MAX_WAL_BYTES) {
        writeDb.pragma('wal_checkpoint(TRUNCATE)');
      }
      control.begin.run();
      batchOpen = true;
      if (!(await runPlain(batch, outcomes))) {
        writeDb.exec('ROLLBACK');
        p.rolledBack();
        outcomes.length = 0;
        control.begin.run();
        await runSafe(batch, outcomes);
      }
      control.commit.run();
      batchOpen = false;
      walFd ??= openSync(p.walPath, 'r');
      p.committed();
    } catch (error) {
      batchOpen = false;
      if (writeDb.inTransaction) writeDb.exec('ROLLBACK');
      p.rolledBack();
      settle(batch, outcomes, error);
      return;
    }
    const durable = batch.some((item, i) => item.durable && outcomes[i]?.ok === true);
    if (!(durable && p.syncWal)) {
      settle(batch, outcomes);
      return;
    }
    // Transactions that need no sync settle now; the others after it.
    const later: Pending[] = [];
    const laterOutcomes: Outcome[] = [];
    const now: Pending[] = [];
    const nowOutcomes: Outcome[] = [];
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as Outcome;
      if (item.durable && outcome.ok) {
        later.push(item);
        laterOutcomes.push(outcome);
      } else {
        now.push(item);
        nowOutcomes.push(outcome);
      }
    });
    settle(now, nowOutcomes);
    syncing = sync(walFd, later, laterOutcomes);
    await syncing;
  };

  /** Starts the next batch now, or arms the window's timer. */
  const schedule = (): void => {
    const oldest = pending[0];
    if (running || oldest === undefined) return;
    const delay = flushDelay(
      {
        pending: pending.length,
        oldestAt: oldest.at,
        lastBatchEnd,
        now: performance.now(),
        closed,
      },
      options,
    );
    if (delay === 0) {
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      running = true;
      // The batch starts in the next turn, so whatever arrives in this one joins it.
      setImmediate(() => {
        void runBatch().then(() => {
          running = false;
          lastBatchEnd = performance.now();
          if (pending.length > 0) schedule();
          else idle?.();
        });
      });
      return;
    }
    timer ??= setTimeout(() => {
      timer = undefined;
      schedule();
    }, delay);
  };

  return {
    transact: <T>(fn: (writer: Writer) => Promise<T>, durable: boolean): Promise<T> => {
      if (closed) return Promise.reject(new Error('storage closed'));
      return new Promise<T>((resolve, reject) => {
        pending.push({
          at: performance.now(),
          fn,
          durable,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        if (pending.length === 1 || pending.length >= options.maxBatch) schedule();
      });
    },
    route: (run, waitForSync) => {
      if (syncing === undefined || !waitForSync) return read(run);
      return new Promise((resolve, reject) => {
        held.push(() => {
          read(run).then(resolve, reject);
        });
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      if (running || pending.length > 0) {
        await new Promise<void>((resolve) => {
          idle = resolve;
          schedule();
        });
      }
      if (syncing !== undefined) await syncing;
      endReadTransaction();
      if (walFd !== undefined) closeSync(walFd);
    },
  };
}
