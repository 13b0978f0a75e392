/**
 * The relay bridge's durable queue: an append-only journal of the label values waiting to be
 * published (`add`) and published (`done`), one JSON line each, written before `publish`
 * returns (a killed relay loses nothing) and fsynced once per event-loop turn for all the
 * changes of that turn (group commit: an OS crash within that turn may lose them). After a
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
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';

/** Lines past which (beyond 4× the pending values) the journal is rewritten. */
export const JOURNAL_COMPACT_SLACK = 1024;

export interface PendingValue {
  readonly label: Uint8Array;
  readonly value: Uint8Array;
}

export interface PublishJournal {
  /** What was pending when the journal was opened (oldest first). */
  readonly pending: readonly PendingValue[];
  /** Records values waiting to be published (one write and fsync for all). */
  added(values: readonly PendingValue[]): void;
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

export function openPublishJournal(path: string): PublishJournal {
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
    fd = openSync(path, 'a');
    lines = pending.size;
  };
  let syncQueued = false;
  const sync = (): void => {
    syncQueued = false;
    if (fd >= 0) fdatasyncSync(fd);
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
      if (fd < 0 || values.length === 0) return;
      for (const p of values) {
        pending.delete(hex(p.label));
        pending.set(hex(p.label), p);
      }
      append(values.map((p) => line('add', p)).join(''), values.length, true);
      if (lines > 4 * pending.size + JOURNAL_COMPACT_SLACK) compact();
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
        fdatasyncSync(fd);
        lines = 0;
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
