/**
 * Acknowledgement bookkeeping of WebSocket delivery: which pushed sequence numbers a connection
 * still waits for, and the range deletes that cumulative acks turn into.
 */
import type { RelayContext } from './context.js';
import type { DeviceIdentity } from './credentials.js';
import { ACK_DELETE_INTERVAL_MS } from './limits.js';
import type { AckFloor } from './storage/types.js';

/** The pushed, unacknowledged sequence numbers of one connection, oldest first. */
export class InFlight {
  #seqs: number[] = [];
  #head = 0;
  get size(): number {
    return this.#seqs.length - this.#head;
  }
  push(seq: number): void {
    this.#seqs.push(seq);
  }
  /** Forgets every sequence number up to `seq`. */
  acknowledge(seq: number): void {
    while (this.#head < this.#seqs.length && (this.#seqs[this.#head] ?? Infinity) <= seq)
      this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#seqs.length) {
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * Cumulative acknowledgements waiting to be deleted: one transaction per group commit deletes,
 * for every device acknowledged since the last one, its queue up to its newest ack (one range
 * delete per device however many acks arrived). A new connection of a device starts after its
 * pending floor, so an acknowledged message is not pushed again while its delete is on its way.
 * The deletes need no sync of their own (`durable: false`); a storage that deletes them in one
 * statement of their own (`Storage.deleteAcknowledged`) gets at most one per
 * `ACK_DELETE_INTERVAL_MS`.
 */
export class AckDeleter {
  /** Device channel → the newest ack not yet deleted. */
  readonly #floors = new Map<string, { a: string; d: number; upTo: number }>();
  #scheduled = false;
  /** When the last delete of `Storage.deleteAcknowledged` started (performance.now()). */
  #lastStart = -Infinity;

  constructor(private readonly ctx: RelayContext) {}

  floor(key: string): number {
    return this.#floors.get(key)?.upTo ?? 0;
  }

  acknowledge(identity: DeviceIdentity, key: string, upTo: number): void {
    const floor = this.#floors.get(key);
    if (floor === undefined)
      this.#floors.set(key, { a: identity.accountId, d: identity.deviceId, upTo });
    else if (upTo > floor.upTo) floor.upTo = upTo;
    if (!this.#scheduled) this.#schedule();
  }

  #schedule(): void {
    this.#scheduled = true;
    const storage = this.ctx.storage;
    if (storage.deleteAcknowledged === undefined) {
      this.#run((take) =>
        storage.transact(
          async (w) => {
            // Taken when the transaction runs (after its window), and every device's delete
            // asked at once: a backend that coalesces statements makes them one statement.
            const counts = await Promise.all(
              take().map((f) => w.messages.deleteUpTo(f.accountId, f.deviceId, f.upTo)),
            );
            return counts.reduce((sum, c) => sum + c, 0);
          },
          { durable: false },
        ),
      );
      return;
    }
    // Its own statement, paced as a window paces the transactions.
    const wait = this.#lastStart + ACK_DELETE_INTERVAL_MS - performance.now();
    const start = (): void => {
      this.#lastStart = performance.now();
      this.#run((take) => storage.deleteAcknowledged?.(take()) ?? Promise.resolve(0));
    };
    if (wait <= 0) start();
    else setTimeout(start, wait);
  }

  /** Runs one delete of the floors as `take` finds them; settles what it took. */
  #run(remove: (take: () => AckFloor[]) => Promise<number>): void {
    let done: [string, number][] = [];
    const take = (): AckFloor[] => {
      done = [...this.#floors].map(([key, f]) => [key, f.upTo]);
      return [...this.#floors.values()].map((f) => ({
        accountId: f.a,
        deviceId: f.d,
        upTo: f.upTo,
      }));
    };
    remove(take).then(
      (n) => {
        this.ctx.metrics.messagesAcked.inc('', n);
        this.#settled(done);
      },
      () => {
        // Retried with the next ack; until then the messages stay queued (and may come again).
        this.#settled([]);
      },
    );
  }

  #settled(done: readonly [string, number][]): void {
    this.#scheduled = false;
    for (const [key, upTo] of done) {
      const f = this.#floors.get(key);
      if (f !== undefined && f.upTo <= upTo) this.#floors.delete(key);
    }
    if (done.length > 0 && this.#floors.size > 0) this.#schedule();
  }
}
