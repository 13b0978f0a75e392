/**
 * Queue depths of the SQLite backend, kept in memory so a send's queue-cap check is O(1)
 * instead of a `count(*)` of the recipient's whole queue (O(depth): 270 µs of CPU for a queue
 * of 10,000). One process owns a data directory and writes through one connection, so the
 * writing connection's view of a queue changes only through that process's writer:
 *
 * - a device's depth is counted once, on first use (so a restart starts from the database);
 * - `enqueue` adds one and the acknowledgement deletes subtract what they deleted;
 * - any other write (account or device removal, the expiry sweeps, anything not known to leave
 *   `messages` alone) and any rollback forget every depth, which are counted again on next use.
 *
 * The depths are the writing connection's view, inside the open batch (as `count(*)` there
 * was). At most `MAX_TRACKED_QUEUE_DEPTHS` devices are kept; past that the map starts over.
 *
 * Each account's device list (id and registration id, in device order) is kept the same way, so
 * a send's `routes` runs no statement: read once per account, forgotten with the depths. Device
 * lists change only by writes that forget (adding or removing a device, deleting an account), so
 * the rules above keep them right too. At most `MAX_TRACKED_DEVICE_LISTS` accounts are kept.
 */

/** Devices whose queue depth is kept in memory; past it every depth is forgotten. */
export const MAX_TRACKED_QUEUE_DEPTHS = 200_000;

/** Accounts whose device list is kept in memory; past it every list is forgotten. */
export const MAX_TRACKED_DEVICE_LISTS = 100_000;

/** One device of an account as `routes` needs it: device id, registration id. */
export type DeviceEntry = readonly [deviceId: number, registrationId: number];

export class QueueDepths {
  /** Account id → device id → messages queued. */
  #depths = new Map<string, Map<number, number>>();
  #size = 0;
  /** Account id → its devices, in device order. */
  #devices = new Map<string, readonly DeviceEntry[]>();

  constructor(
    /** The depth as stored (a `count(*)` on the writing connection). */
    private readonly count: (accountId: string, deviceId: number) => number,
    /** The account's devices as stored, in device order (on the writing connection). */
    private readonly list: (accountId: string) => readonly DeviceEntry[],
  ) {}

  /** The account's devices (read once, then kept until the next `forget`). */
  devices(accountId: string): readonly DeviceEntry[] {
    const known = this.#devices.get(accountId);
    if (known !== undefined) return known;
    const rows = this.list(accountId);
    if (this.#devices.size >= MAX_TRACKED_DEVICE_LISTS) this.#devices = new Map();
    this.#devices.set(accountId, rows);
    return rows;
  }

  /** Messages in the device's queue. */
  get(accountId: string, deviceId: number): number {
    let devices = this.#depths.get(accountId);
    const known = devices?.get(deviceId);
    if (known !== undefined) return known;
    const n = this.count(accountId, deviceId);
    if (this.#size >= MAX_TRACKED_QUEUE_DEPTHS) this.forget();
    devices = this.#depths.get(accountId);
    if (devices === undefined) {
      devices = new Map();
      this.#depths.set(accountId, devices);
    }
    devices.set(deviceId, n);
    this.#size++;
    return n;
  }

  /** `n` messages were appended to the device's queue (negative: deleted from it). */
  add(accountId: string, deviceId: number, n: number): void {
    if (n === 0) return;
    const devices = this.#depths.get(accountId);
    const known = devices?.get(deviceId);
    if (devices !== undefined && known !== undefined) devices.set(deviceId, known + n);
  }

  /** Forgets every depth and device list (after a rollback or a write that may change them). */
  forget(): void {
    if (this.#devices.size > 0) this.#devices = new Map();
    if (this.#size === 0) return;
    this.#depths = new Map();
    this.#size = 0;
  }

  /** Devices tracked (tests). */
  get size(): number {
    return this.#size;
  }

  /** Accounts whose device list is kept (tests). */
  get deviceLists(): number {
    return this.#devices.size;
  }
}
