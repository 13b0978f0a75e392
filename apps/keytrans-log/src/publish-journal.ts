/**
 * The relay bridge's durable queue: an append-only journal of the label values waiting to be
 * published (`add`) and published (`done`), one JSON line each, written before `publish`
 * returns (a killed relay loses nothing) and fsynced once per event-loop turn for all the
 * changes of that turn (group commit); `added` resolves only after the fsync that covers its
 * lines, and the relay replies after that, so an acknowledged change survives an OS crash. After a
 * stop or a crash the bridge starts with what is still pending, so a change the relay
 * committed reaches the log even if the relay stopped before publishing it (publishing is
 * idempotent: the log skips a value equal to the label's greatest). A torn last line is
 * ignored. The journal is rewritten with only the pending values at start and whenever it
 * has grown well past them, and emptied when nothing is pending.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** Lines past which (beyond 4× the pending values) the journal is rewritten. */
export const JOURNAL_COMPACT_SLACK = 1024;

export interface PendingValue {
  readonly label: Uint8Array;
  readonly value: Uint8Array;
}

export interface PublishJournal {
  /** What was pending when the journal was opened (oldest first). */
  readonly pending: readonly PendingValue[];
  /**
   * Records values waiting to be published: written at once, durable when the promise resolves
   * (one fsync shared by every `added` of the event-loop turn); rejects when the fsync fails.
   */
  added(values: readonly PendingValue[]): Promise<void>;
  /** Records published values (one write and fsync for all); newer values stay pending. */
  done(values: readonly PendingValue[]): void;
  close(): void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function load(path: string): Map<string, PendingValue> {
  const pending = new Map<string, PendingValue>();
  if (!existsSync(path)) return pending;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    let entry: { op?: unknown; label?: unknown; value?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // empty or torn line
    }
    if (typeof entry.label !== 'string' || typeof entry.value !== 'string') continue;
    const label = Uint8Array.from(Buffer.from(entry.label, 'hex'));
    const value = Uint8Array.from(Buffer.from(entry.value, 'base64'));
    if (entry.op === 'add') {
      pending.delete(entry.label);
      pending.set(entry.label, { label, value });
    } else if (entry.op === 'done') {
      const current = pending.get(entry.label);
      if (current !== undefined && b64(current.value) === entry.value) pending.delete(entry.label);
    }
  }
  return pending;
}

export interface PublishJournalOptions {
  /** The data sync of the journal's file (tests count or fail it). */
  readonly fdatasync?: (fd: number) => void;
}

export function openPublishJournal(
  path: string,
  options: PublishJournalOptions = {},
): PublishJournal {
  const fdatasync = options.fdatasync ?? fdatasyncSync;
  const pending = load(path);
  const start = [...pending.values()];
  let fd = -1;
  let lines = 0;
  const line = (op: 'add' | 'done', p: PendingValue): string =>
    `${JSON.stringify({ op, label: hex(p.label), value: b64(p.value) })}\n`;
  const compact = (): void => {
    if (fd >= 0) closeSync(fd);
    const tmp = `${path}.tmp`;
    const t = openSync(tmp, 'w');
    for (const p of pending.values()) writeSync(t, line('add', p));
    fdatasyncSync(t);
    closeSync(t);
    renameSync(tmp, path);
    // The rename is durable only once the directory is synced.
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    fd = openSync(path, 'a');
    lines = pending.size;
  };
  let syncQueued = false;
  /** Callers whose lines are written, waiting for the fsync that covers them. */
  let waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const sync = (): void => {
    syncQueued = false;
    const covered = waiting;
    waiting = [];
    try {
      if (fd >= 0) fdatasync(fd);
    } catch (error) {
      for (const w of covered) w.reject(error);
      return;
    }
    for (const w of covered) w.resolve();
  };
  /** Writes now (a killed process loses nothing); `later` shares one fsync per event-loop turn. */
  const append = (text: string, count: number, later = false): void => {
    writeSync(fd, text);
    lines += count;
    if (!later) sync();
    else if (!syncQueued) {
      syncQueued = true;
      setImmediate(sync);
    }
  };
  compact();
  return {
    pending: start,
    added(values) {
      if (fd < 0 || values.length === 0) return Promise.resolve();
      for (const p of values) {
        pending.delete(hex(p.label));
        pending.set(hex(p.label), p);
      }
      const durable = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      append(values.map((p) => line('add', p)).join(''), values.length, true);
      // Compaction rewrites every pending value into a synced file; the queued fsync (now of
      // the new file) still resolves the waiters.
      if (lines > 4 * pending.size + JOURNAL_COMPACT_SLACK) compact();
      return durable;
    },
    done(values) {
      if (fd < 0) return;
      const finished = values.filter((p) => {
        const current = pending.get(hex(p.label));
        return current !== undefined && b64(current.value) === b64(p.value);
      });
      if (finished.length === 0) return;
      for (const p of finished) pending.delete(hex(p.label));
      if (pending.size === 0) {
        ftruncateSync(fd, 0);
        lines = 0;
        sync();
        return;
      }
      append(finished.map((p) => line('done', p)).join(''), finished.length);
    },
    close() {
      if (syncQueued) sync();
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  };
}
