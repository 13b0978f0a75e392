/**
 * Disappearing messages in the engine: a timer set to the earliest expiry the mirror knows
 * (capped at `MAX_EXPIRY_WAIT_MS`, so a far one is looked at again hourly), which runs the SDK's
 * sweep when it fires. The sweep deletes the expired messages in one transaction; the mirror
 * sees the deletes and takes them out of the index, the summaries and the tabs. The timer is
 * re-armed after every commit (a message with a timer arrived) and every sweep.
 */
import { EXPIRY_SWEEP_COST_FACTOR, MAX_EXPIRY_WAIT_MS, MIN_EXPIRY_WAIT_MS } from './limits.js';

export interface ExpiryHost {
  /** The earliest expiry of a stored message with a timer (ms), as far as known. */
  readonly nextExpiry: () => number | undefined;
  /** Deletes every message whose time is up (the SDK's `sweepExpired`). */
  readonly sweep: () => void;
  readonly now: () => number;
}

export class ExpiryTimer {
  readonly #h: ExpiryHost;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer set fires (ms); Infinity: none set. */
  #due = Infinity;
  /** When the last sweep ran (ms). */
  #lastSweep = -Infinity;
  /** How long the last sweep took (ms). */
  #lastCost = 0;
  #stopped = false;

  constructor(host: ExpiryHost) {
    this.#h = host;
  }

  /**
   * Sets the timer to the earliest expiry known (at most `MAX_EXPIRY_WAIT_MS` away, at least
   * `MIN_EXPIRY_WAIT_MS` or `EXPIRY_SWEEP_COST_FACTOR` times its duration after the last sweep),
   * unless one set fires sooner. It fires on a timer task, so a sweep never delays what runs now
   * (the list at start).
   */
  arm(): void {
    if (this.#stopped) return;
    const next = this.#h.nextExpiry();
    if (next === undefined) {
      this.#clear();
      return;
    }
    const now = this.#h.now();
    const due = Math.min(now + MAX_EXPIRY_WAIT_MS, Math.max(next, this.#lastSweep + this.#gap()));
    if (this.#timer !== undefined && due >= this.#due) return;
    this.#clear();
    this.#due = due;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#due = Infinity;
        this.#fire();
      },
      Math.max(0, due - now),
    );
  }

  /** Sweeps if something is due (a timer capped by the hour may fire with nothing due). */
  #fire(): void {
    if (this.#stopped) return;
    const next = this.#h.nextExpiry();
    if (next !== undefined && next <= this.#h.now()) {
      this.#lastSweep = this.#h.now();
      try {
        this.#h.sweep();
      } catch (error) {
        // Tried again at the next arm; without the error's text.
        console.error('parley engine: expiry failed', error instanceof Error ? error.name : '');
      }
      this.#lastCost = Math.max(0, this.#h.now() - this.#lastSweep);
    }
    this.arm();
  }

  /** The least time between two sweeps: the floor, or a multiple of the last one's cost. */
  #gap(): number {
    return Math.max(MIN_EXPIRY_WAIT_MS, this.#lastCost * EXPIRY_SWEEP_COST_FACTOR);
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#due = Infinity;
  }

  stop(): void {
    this.#stopped = true;
    this.#clear();
  }
}
