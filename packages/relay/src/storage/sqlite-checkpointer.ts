/**
 * WAL checkpoints on a worker thread. SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses its threshold, on the committing thread: it copies the WAL back into the database and
 * syncs both files, which on the relay's event loop stalls every socket for tens of
 * milliseconds. Here the writing connection turns automatic checkpoints off and a worker with its
 * own connection runs PASSIVE checkpoints (which never block the writer or readers) at most every
 * `CHECKPOINT_INTERVAL_MS` while commits keep coming. The writer rewinds the WAL by itself at the
 * first write after a complete checkpoint; if it still grows past `MAX_WAL_BYTES`, the storage
 * truncates it between batches.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHECKPOINT_INTERVAL_MS } from '../limits.js';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let ok = true;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    ok = false;
  }
  parentPort.postMessage(ok);
});
`;

export interface Checkpointer {
  /** Called after each COMMIT: starts a checkpoint if none ran recently. */
  committed(): void;
  /** Waits for a running checkpoint, then stops the worker. */
  close(): Promise<void>;
}

export function createCheckpointer(path: string, now: () => number = Date.now): Checkpointer {
  let worker: Worker | undefined;
  let failed = false;
  let running: Promise<void> | undefined;
  let finish: (() => void) | undefined;
  let last = now();
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    w.on('message', () => {
      last = now();
      running = undefined;
      finish?.();
    });
    w.on('error', () => {
      // Without the worker the WAL only grows to `MAX_WAL_BYTES`, where the storage truncates
      // it itself; the worker is not restarted.
      failed = true;
      running = undefined;
      finish?.();
      worker = undefined;
    });
    w.unref();
    return w;
  };
  return {
    committed: () => {
      if (failed || running !== undefined || now() - last < CHECKPOINT_INTERVAL_MS) return;
      worker ??= start();
      const w = worker;
      running = new Promise((resolve) => {
        finish = resolve;
      });
      w.postMessage('checkpoint');
    },
    close: async () => {
      // The worker is unref'd so it never keeps a relay alive; while closing, it must keep the
      // event loop alive until its checkpoint and its exit are through, or a caller awaiting
      // `close()` would be left with a promise that never settles.
      worker?.ref();
      if (running !== undefined) await running;
      const w = worker;
      worker = undefined;
      if (w === undefined) return;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      w.postMessage('close');
      await exited;
    },
  };
}
