/**
 * When a group commit flushes, shared by the SQLite and PostgreSQL committers. Pending
 * transactions wait until `maxBatch` of them are pending or `windowMs` has passed since the
 * first, so that under load one COMMIT (and one fsync) serves many; but a transaction that
 * arrives while the committer has been idle for a whole window is flushed at once, so a lightly
 * loaded relay does not make every send (or the delete of an acknowledgement) wait out the
 * window. Storage CPU per message falls steeply with the batch size (README, "Performance"),
 * and under load batches are what the window makes them.
 */

export interface GroupCommitOptions {
  /** Flush as soon as this many transactions are pending. */
  readonly maxBatch: number;
  /** Flush at most this long after the first pending transaction arrived (0: the next turn). */
  readonly windowMs: number;
}

export interface WindowState {
  readonly pending: number;
  /** When the oldest pending transaction arrived (performance.now()). */
  readonly oldestAt: number;
  /** When the last batch finished (-Infinity before the first). */
  readonly lastBatchEnd: number;
  readonly now: number;
  /** Closing: flush whatever is pending. */
  readonly closed: boolean;
}

/** 0 to flush now, else how many milliseconds to wait before asking again. */
export function flushDelay(s: WindowState, options: GroupCommitOptions): number {
  const waited = s.now - s.oldestAt;
  if (s.closed || s.pending >= options.maxBatch || waited >= options.windowMs) return 0;
  if (s.now - s.lastBatchEnd >= options.windowMs) return 0;
  return options.windowMs - waited;
}
