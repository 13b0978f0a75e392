import type { QueuedMessage } from '../storage/types.js';

/**
 * Fan-out: tells whoever holds a device's connection that something happened to it. Events are
 * small wake-ups (the queue in storage is the source of truth), so a lost event costs latency,
 * not a message. `redis.ts` is the backend for several relay nodes.
 */
export type FanOutEvent =
  /**
   * New messages were committed to the device's queue. The publisher may attach them
   * (`queued`, in commit order), so a connection that has read its whole queue can push them
   * without reading it again. A fan-out hands them to a subscriber only when no earlier message
   * can be missing: within one process, events in commit order; between processes (`redis.ts`),
   * only messages whose `seq` follows, with no gap, the highest delivered on the channel (a
   * per-device counter has no gaps); otherwise it sends the wake-up alone and the connection
   * reads its queue.
   */
  | { readonly kind: 'messages'; readonly queued?: readonly QueuedMessage[] }
  /** The device's one-time prekeys are low. */
  | { readonly kind: 'keys-low' }
  /** The device was removed (or its account deleted): close its connection. */
  | { readonly kind: 'device-removed' }
  /**
   * A connection authenticated as this device at `at` (ms); `connectionId` breaks ties. Older
   * connections of the device close, so two racing reconnects leave exactly one (the newest).
   */
  | { readonly kind: 'connected'; readonly connectionId: string; readonly at: number };

export type FanOutHandler = (event: FanOutEvent) => void;

export interface FanOut {
  /**
   * Delivers `event` to the channel's subscribers. Subscribers in this process are called
   * before `publish` returns, in the order of the calls: events published one after another
   * without awaiting in between reach each subscriber in that order.
   */
  publish(channel: string, event: FanOutEvent): Promise<void>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(channel: string, handler: FanOutHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The channel of one device. */
export function deviceChannel(accountId: string, deviceId: number): string {
  return `d:${accountId}:${deviceId}`;
}

/** The device of a channel made by `deviceChannel`; undefined for any other string. */
export function parseDeviceChannel(
  channel: string,
): { readonly accountId: string; readonly deviceId: number } | undefined {
  const at = channel.lastIndexOf(':');
  if (!channel.startsWith('d:') || at <= 2) return undefined;
  const deviceId = Number(channel.slice(at + 1));
  if (!Number.isSafeInteger(deviceId) || deviceId < 0) return undefined;
  return { accountId: channel.slice(2, at), deviceId };
}
