/**
 * The engine's priority lane: background work (the history index's slices, the catch-up after a
 * connection) holds back while the tabs are asking for something a person waits
 * to see (`INTERACTIVE_REQUESTS`: opening a conversation, searching, the list). A worker cannot
 * interrupt a task that runs, so a request that arrives in the middle of a background slice
 * still waits for that slice; what the gate stops is the next slice starting in the pause
 * between an interactive request and the next one (a person clicking through conversations, the
 * read mark and key check that follow an open) and the page's drawing of the answer competing
 * with the worker for the machine's cores. A pause never lasts more than
 * `MAX_BACKGROUND_DEFER_MS`, so a tab asking without end cannot stop the index.
 */
import { INTERACTIVE_QUIET_MS, MAX_BACKGROUND_DEFER_MS } from './limits.js';
import type { RequestName } from './protocol.js';
import { yieldToRequests } from './yield-to-requests.js';

/** Requests whose answer a person waits to see drawn: background work holds back around them. */
export const INTERACTIVE_REQUESTS: ReadonlySet<RequestName> = new Set<RequestName>([
  'timeline',
  'search',
  'conversations',
  'disappearingTimer',
]);

export interface GateClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Lets requests queued in the worker run first (default: `yieldToRequests`). */
  readonly yield?: () => Promise<void>;
}

export class BackgroundGate {
  readonly #c: GateClock;
  /** When an interactive request last arrived or was answered (ms). */
  #lastAt = -Infinity;

  constructor(clock: GateClock) {
    this.#c = clock;
  }

  /** An interactive request arrived or was answered: background work holds back for a while. */
  touch(): void {
    this.#lastAt = this.#c.now();
  }

  /**
   * How long background work that has waited since `since` should still wait (ms, 0: go): until
   * `INTERACTIVE_QUIET_MS` after the last interactive request, never past
   * `MAX_BACKGROUND_DEFER_MS` after `since`.
   */
  deferFor(since: number): number {
    const now = this.#c.now();
    const until = Math.min(this.#lastAt + INTERACTIVE_QUIET_MS, since + MAX_BACKGROUND_DEFER_MS);
    return Math.max(0, until - now);
  }

  /**
   * Awaited by background work between its slices: lets the requests waiting in the worker run,
   * then waits while interactive requests keep coming (bounded as `deferFor` says).
   */
  async pause(): Promise<void> {
    const since = this.#c.now();
    await (this.#c.yield ?? yieldToRequests)();
    for (let wait = this.deferFor(since); wait > 0; wait = this.deferFor(since)) {
      await this.#c.sleep(wait);
      await (this.#c.yield ?? yieldToRequests)();
    }
  }
}
