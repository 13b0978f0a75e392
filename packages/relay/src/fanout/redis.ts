/**
 * Fan-out between relay nodes through Redis pub/sub (ioredis). Each device channel is a Redis
 * channel: a node subscribes to it while it holds a connection of the device, so Redis's own
 * subscription table is the presence map (which nodes hold a device's socket; `PUBSUB NUMSUB`
 * answers it), and one PUBLISH reaches exactly those nodes. A device connected on two nodes
 * ends with one connection: the `connected` event crosses nodes, and both compare the same
 * (time, connection id) pair, so the newest wins everywhere.
 *
 * Redis carries wake-ups only, never messages: the queue in storage is the only copy. Events are
 * delivered in this process first (synchronously, as `FanOut.publish` requires), then published
 * without `queued` (and local subscribers get no `queued` either: with several nodes, another
 * node may have committed an earlier message for the device whose wake-up has not arrived yet,
 * so a connection must read its queue rather than push what it was handed). When Redis is down,
 * publishes are dropped (counted) and subscriptions wait; when it is back, ioredis
 * resubscribes and every local subscriber gets a `messages` wake-up (it re-reads its queue) and
 * the last `connected` event of each local device is published again. Losing Redis costs
 * latency, not messages.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { FanOut, FanOutEvent, FanOutHandler } from './types.js';

/** Prefix of every Redis key and channel the relay uses. */
export const REDIS_PREFIX = 'parley:';
/** Largest fan-out message accepted from Redis (events are a few dozen bytes). */
const MAX_REDIS_EVENT_BYTES = 1_024;

export interface RedisFanOutOptions {
  readonly url: string;
  /** This node's id (default: random); events it published come back and are ignored. */
  readonly nodeId?: string;
}

/** Counters for metrics and the bench. */
export interface RedisFanOutStats {
  published: number;
  received: number;
  /** Publishes dropped because Redis was unreachable. */
  dropped: number;
  /** Times the subscription connection came back after a loss. */
  reconnects: number;
}

type WireEvent =
  | { readonly kind: 'messages' }
  | { readonly kind: 'keys-low' }
  | { readonly kind: 'device-removed' }
  | { readonly kind: 'connected'; readonly connectionId: string; readonly at: number };

/** Parses an event from Redis; undefined for anything malformed (never throws). */
export function parseWireEvent(
  text: string,
): { readonly node: string; readonly event: WireEvent } | undefined {
  if (text.length > MAX_REDIS_EVENT_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { n, e } = value as { n?: unknown; e?: unknown };
  if (typeof n !== 'string' || typeof e !== 'object' || e === null) return undefined;
  const { kind, connectionId, at } = e as { kind?: unknown; connectionId?: unknown; at?: unknown };
  switch (kind) {
    case 'messages':
    case 'keys-low':
    case 'device-removed':
      return { node: n, event: { kind } };
    case 'connected':
      if (typeof connectionId !== 'string' || typeof at !== 'number' || !Number.isFinite(at))
        return undefined;
      return { node: n, event: { kind, connectionId, at } };
    default:
      return undefined;
  }
}

function toWire(event: FanOutEvent): WireEvent {
  return event.kind === 'connected'
    ? { kind: 'connected', connectionId: event.connectionId, at: event.at }
    : { kind: event.kind };
}

export function createRedisFanOut(
  options: RedisFanOutOptions,
): FanOut & { readonly stats: RedisFanOutStats; readonly ready: Promise<void> } {
  const nodeId = options.nodeId ?? randomBytes(8).toString('hex');
  const stats: RedisFanOutStats = { published: 0, received: 0, dropped: 0, reconnects: 0 };
  const common = {
    maxRetriesPerRequest: 1,
    retryStrategy: (n: number) => Math.min(n * 100, 1_000),
  };
  const pub = new Redis(options.url, {
    ...common,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
  });
  const sub = new Redis(options.url, { ...common, autoResubscribe: true });
  // Connection errors are expected while Redis restarts; ioredis retries on its own.
  pub.on('error', () => undefined);
  sub.on('error', () => undefined);
  const channels = new Map<string, Set<FanOutHandler>>();
  /** The last `connected` event published here per subscribed channel (re-sent after a loss). */
  const lastConnected = new Map<string, FanOutEvent>();
  /** Subscriptions on their way to Redis (a second subscriber of the channel waits for it). */
  const subscribing = new Map<string, Promise<unknown>>();

  const deliver = (channel: string, event: FanOutEvent): void => {
    const handlers = channels.get(channel);
    if (handlers === undefined) return;
    for (const handler of handlers) {
      try {
        handler(event);
      } catch {
        /* the subscriber logs its own failures */
      }
    }
  };

  const send = (channel: string, event: FanOutEvent): void => {
    if (pub.status !== 'ready') {
      stats.dropped++;
      return;
    }
    stats.published++;
    pub
      .publish(REDIS_PREFIX + channel, JSON.stringify({ n: nodeId, e: toWire(event) }))
      .catch(() => {
        stats.dropped++;
      });
  };

  sub.on('message', (redisChannel: string, text: string) => {
    if (!redisChannel.startsWith(REDIS_PREFIX)) return;
    const parsed = parseWireEvent(text);
    if (parsed === undefined || parsed.node === nodeId) return;
    stats.received++;
    deliver(redisChannel.slice(REDIS_PREFIX.length), parsed.event);
  });

  let lost = false;
  sub.on('close', () => {
    lost = true;
  });
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    stats.reconnects++;
    // Wake-ups published while Redis was away are gone: every connection re-reads its queue,
    // once the resubscriptions (sent before this PING) are active.
    const wake = (): void => {
      for (const channel of channels.keys()) deliver(channel, { kind: 'messages' });
    };
    sub.ping().then(wake, wake);
    // Connections that arrived elsewhere meanwhile learn about the ones here (and vice versa).
    const republish = (): void => {
      for (const [channel, event] of lastConnected) send(channel, event);
    };
    if (pub.status === 'ready') republish();
    else pub.once('ready', republish);
  });

  const ready = new Promise<void>((resolve) => {
    let n = 0;
    const one = (): void => {
      if (++n === 2) resolve();
    };
    if (pub.status === 'ready') one();
    else pub.once('ready', one);
    if (sub.status === 'ready') one();
    else sub.once('ready', one);
  });

  return {
    stats,
    ready,
    publish: (channel, event) => {
      const local: FanOutEvent = event.kind === 'messages' ? { kind: 'messages' } : event;
      deliver(channel, local);
      if (event.kind === 'connected' && channels.has(channel)) lastConnected.set(channel, event);
      send(channel, event);
      return Promise.resolve();
    },
    subscribe: async (channel, handler) => {
      let set = channels.get(channel);
      if (set === undefined) {
        set = new Set();
        channels.set(channel, set);
        // Waits for Redis to confirm, unless it is away (then ioredis subscribes on reconnect).
        const confirmed = sub.subscribe(REDIS_PREFIX + channel).catch(() => 0);
        if (sub.status === 'ready') {
          subscribing.set(channel, confirmed);
          void confirmed.then(() => subscribing.delete(channel));
        }
      }
      set.add(handler);
      await subscribing.get(channel);
      return () => {
        const current = channels.get(channel);
        current?.delete(handler);
        if (current?.size === 0) {
          channels.delete(channel);
          lastConnected.delete(channel);
          return sub.unsubscribe(REDIS_PREFIX + channel).then(
            () => undefined,
            () => undefined,
          );
        }
        return Promise.resolve();
      };
    },
    close: async () => {
      channels.clear();
      lastConnected.clear();
      await Promise.allSettled([pub.quit(), sub.quit()]);
      pub.disconnect();
      sub.disconnect();
    },
  };
}
