/**
 * Long polls on provisioning channels: a poll that finds its channel empty waits here until a
 * message is delivered to that channel (on this node) or its time is up, then reads again. So
 * linking needs no busy polling. On several relay nodes, a delivery on another node is seen
 * when the wait ends (latency, never a lost message: the channel in storage is the truth).
 */
import { MAX_PROVISIONING_WAITERS } from './limits.js';

export class ProvisioningWaiters {
  readonly #waiting = new Map<string, Set<() => void>>();
  #count = 0;
  #closed = false;

  /** Resolves when `channelId` is notified, after `ms`, or at once if too many wait already. */
  wait(channelId: string, ms: number): Promise<void> {
    if (this.#closed || ms <= 0 || this.#count >= MAX_PROVISIONING_WAITERS)
      return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.#waiting.get(channelId) ?? new Set();
      this.#waiting.set(channelId, set);
      this.#count++;
      const done = (): void => {
        clearTimeout(timer);
        if (set.delete(done)) this.#count--;
        if (set.size === 0) this.#waiting.delete(channelId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /** Wakes every poll waiting on `channelId`. */
  notify(channelId: string): void {
    for (const done of [...(this.#waiting.get(channelId) ?? [])]) done();
  }

  /** Wakes everyone and accepts no more waits (shutdown). */
  close(): void {
    this.#closed = true;
    for (const channelId of [...this.#waiting.keys()]) this.notify(channelId);
  }
}
