/**
 * Fan-out between relay nodes through Redis pub/sub (ioredis). Each device channel is a Redis
 * channel: a node subscribes to it while it holds a connection of the device, so Redis's own
 * subscription table is the presence map (which nodes hold a device's socket; `PUBSUB NUMSUB`
 * answers it), and one PUBLISH reaches exactly those nodes. A device connected on two nodes
 * ends with one connection: the `connected` event crosses nodes, and both compare the same
 * (time, connection id) pair, so the newest wins everywhere.
 *
 * Redis carries wake-ups, never the only copy of a message: the queue in storage is. Events are
 * delivered in this process first (synchronously, as `FanOut.publish` requires), then published;
 * a `messages` wake-up carries its sequence numbers and, when small (`MAX_HANDOVER_BYTES`), the
 * messages themselves. A subscriber (local or on another node) is handed the messages only when
 * their `seq` follows, with no gap, the highest this node has delivered on the channel: the
 * PostgreSQL per-device counter has no gaps and `seq` n commits after n - 1, so a connection that
 * had read its queue to the end and seen every event since misses nothing in between. Otherwise
 * (a gap: an earlier message committed on another node whose wake-up has not arrived yet, or a
 * lost publish) it gets the wake-up alone and reads its queue; a cursor moved past an unseen
 * message would let a cumulative ack delete it. When Redis is down,
 * publishes are dropped (counted) and subscriptions wait; when it is back, ioredis
 * resubscribes and every local subscriber gets a `messages` wake-up (it re-reads its queue) and
 * the last `connected` event of each local device is published again. Losing Redis costs
 * latency, not messages.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { QueuedMessage } from '../storage/types.js';
import { parseDeviceChannel, type FanOut, type FanOutEvent, type FanOutHandler } from './types.js';

/** Prefix of every Redis key and channel the relay uses. */
export const REDIS_PREFIX = 'parley:';
/**
 * Largest fan-out message accepted from Redis: a wake-up is a few dozen bytes, one that hands
 * over its messages at most `MAX_HANDOVER_BYTES` plus their headers.
 */
const MAX_REDIS_EVENT_BYTES = 16 * 1_024;
/**
 * Largest content (bytes, all messages of one event) a wake-up carries to the other nodes; larger
 * ones travel as sequence numbers alone and the receiving connection reads its queue.
 */
export const MAX_HANDOVER_BYTES = 8 * 1_024;
/** Most messages one wake-up carries (the relay publishes one per recipient device and send). */
const MAX_HANDOVER_MESSAGES = 16;
/** Longest id string (account, client message id, guid) accepted in a handed-over message. */
const MAX_WIRE_ID_CHARS = 256;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface RedisFanOutOptions {
  readonly url: string;
  /**
   * The device's queue counter (the highest `seq` ever committed for it, 0 for none), read when a
   * channel is first subscribed: its next message can then be handed over with its wake-up.
   * Only for storages whose counter has no gaps (PostgreSQL: `PgStorage.queueHead`).
   */
  readonly queueHead?: (accountId: string, deviceId: number) => Promise<number>;
  /** This node's id (default: random); events it published come back and are ignored. */
  readonly nodeId?: string;
}

/** The `queueHead` option for `storage` when it offers one (PostgreSQL), else none. */
export function queueHeadOption(storage: object): Pick<RedisFanOutOptions, 'queueHead'> {
  const f = (storage as { queueHead?: unknown }).queueHead;
  if (typeof f !== 'function') return {};
  return {
    queueHead: (accountId, deviceId) =>
      (f as (a: string, d: number) => Promise<number>).call(storage, accountId, deviceId),
  };
}

/** Counters for metrics and the bench. */
export interface RedisFanOutStats {
  published: number;
  received: number;
  /** Publishes dropped because Redis was unreachable. */
  dropped: number;
  /** Times the subscription connection came back after a loss. */
  reconnects: number;
  /** Messages handed to local connections with their wake-up (no queue read needed). */
  handedOver: number;
}

/** A queued message as a wake-up carries it (content in base64). */
interface WireMessage {
  readonly ra: string;
  readonly rd: number;
  readonly sa: string;
  readonly sd: number;
  readonly c: string;
  readonly t: number;
  readonly b: string;
  readonly ts: number;
  readonly e?: number;
  readonly s: number;
  readonly g: string;
}

type WireEvent =
  | {
      readonly kind: 'messages';
      /** The sequence numbers of the messages committed (one device, ascending). */
      readonly s?: readonly number[];
      /** The messages themselves, when small enough (`MAX_HANDOVER_BYTES`). */
      readonly h?: readonly WireMessage[];
    }
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
      return { node: n, event: parseMessagesEvent(e) };
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

const isId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_WIRE_ID_CHARS;
const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A `messages` wake-up from Redis; a malformed hand-over or list is dropped, the wake-up kept. */
function parseMessagesEvent(e: { s?: unknown; h?: unknown }): WireEvent {
  const { s, h } = e;
  if (!Array.isArray(s) || s.length === 0 || s.length > MAX_HANDOVER_MESSAGES || !s.every(isInt))
    return { kind: 'messages' };
  const seqs: number[] = s;
  for (let i = 1; i < seqs.length; i++)
    if ((seqs[i] as number) <= (seqs[i - 1] as number)) return { kind: 'messages' };
  if (!Array.isArray(h) || h.length !== seqs.length) return { kind: 'messages', s: seqs };
  const messages: WireMessage[] = [];
  for (const [i, raw] of (h as unknown[]).entries()) {
    if (typeof raw !== 'object' || raw === null) return { kind: 'messages', s: seqs };
    const m = raw as Record<string, unknown>;
    const ok =
      isId(m['ra']) &&
      isInt(m['rd']) &&
      isId(m['sa']) &&
      isInt(m['sd']) &&
      isId(m['c']) &&
      isInt(m['t']) &&
      typeof m['b'] === 'string' &&
      m['b'].length <= (MAX_HANDOVER_BYTES * 4) / 3 + 4 &&
      BASE64.test(m['b']) &&
      isInt(m['ts']) &&
      (m['e'] === undefined || isInt(m['e'])) &&
      m['s'] === seqs[i] &&
      isId(m['g']);
    if (!ok) return { kind: 'messages', s: seqs };
    messages.push(m as unknown as WireMessage);
  }
  return { kind: 'messages', s: seqs, h: messages };
}

function fromWire(m: WireMessage): QueuedMessage {
  return {
    recipientAccountId: m.ra,
    recipientDeviceId: m.rd,
    senderAccountId: m.sa,
    senderDeviceId: m.sd,
    clientMessageId: m.c,
    type: m.t,
    content: new Uint8Array(Buffer.from(m.b, 'base64')),
    serverTimestamp: m.ts,
    ...(m.e === undefined ? {} : { expiresAt: m.e }),
    seq: m.s,
    guid: m.g,
  };
}

function toWire(event: FanOutEvent): WireEvent {
  switch (event.kind) {
    case 'connected':
      return { kind: 'connected', connectionId: event.connectionId, at: event.at };
    case 'messages': {
      const queued = event.queued;
      if (queued === undefined || queued.length === 0 || queued.length > MAX_HANDOVER_MESSAGES)
        return { kind: 'messages' };
      const s = queued.map((m) => m.seq);
      let bytes = 0;
      for (const m of queued) bytes += m.content.byteLength;
      if (bytes > MAX_HANDOVER_BYTES) return { kind: 'messages', s };
      const h = queued.map((m): WireMessage => ({
        ra: m.recipientAccountId,
        rd: m.recipientDeviceId,
        sa: m.senderAccountId,
        sd: m.senderDeviceId,
        c: m.clientMessageId,
        t: m.type,
        b: Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength).toString(
          'base64',
        ),
        ts: m.serverTimestamp,
        ...(m.expiresAt === undefined ? {} : { e: m.expiresAt }),
        s: m.seq,
        g: m.guid,
      }));
      return { kind: 'messages', s, h };
    }
    default:
      return { kind: event.kind };
  }
}

export function createRedisFanOut(
  options: RedisFanOutOptions,
): FanOut & { readonly stats: RedisFanOutStats; readonly ready: Promise<void> } {
  const nodeId = options.nodeId ?? randomBytes(8).toString('hex');
  const stats: RedisFanOutStats = {
    published: 0,
    received: 0,
    dropped: 0,
    reconnects: 0,
    handedOver: 0,
  };
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

  /** The highest `seq` a `messages` event delivered here carried, per subscribed channel. */
  const highest = new Map<string, number>();

  /**
   * The event as local subscribers get it: messages are handed over only when they continue, with
   * no gap, the highest `seq` already delivered on the channel (see the top of this file).
   */
  const local = (
    channel: string,
    seqs: readonly number[] | undefined,
    queued: readonly QueuedMessage[] | undefined,
  ): FanOutEvent => {
    if (seqs === undefined || seqs.length === 0) return { kind: 'messages' };
    const top = highest.get(channel);
    const last = seqs[seqs.length - 1] as number;
    if (top === undefined || last > top) highest.set(channel, last);
    if (queued === undefined || top === undefined || seqs[0] !== top + 1)
      return { kind: 'messages' };
    for (let i = 1; i < seqs.length; i++)
      if (seqs[i] !== (seqs[i - 1] as number) + 1) return { kind: 'messages' };
    stats.handedOver += queued.length;
    return { kind: 'messages', queued };
  };

  const learnHead = async (channel: string): Promise<void> => {
    const device = parseDeviceChannel(channel);
    if (options.queueHead === undefined || device === undefined) return;
    let head: number;
    try {
      head = await options.queueHead(device.accountId, device.deviceId);
    } catch {
      return; // the first wake-up makes the connection read its queue instead
    }
    // Read after the subscription was active: every later commit comes with an event. The
    // subscription may have ended meanwhile, or an event may already have set a higher value.
    if (!channels.has(channel)) return;
    const top = highest.get(channel);
    if (top === undefined || head > top) highest.set(channel, head);
  };

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

  // This node's own events come back on the channels it holds too (half the messages between
  // two nodes): they start with its id as `send` writes it and are dropped before parsing.
  const ownPrefix = `{"n":${JSON.stringify(nodeId)},`;
  sub.on('message', (redisChannel: string, text: string) => {
    if (!redisChannel.startsWith(REDIS_PREFIX) || text.startsWith(ownPrefix)) return;
    const parsed = parseWireEvent(text);
    if (parsed === undefined || parsed.node === nodeId) return;
    stats.received++;
    const channel = redisChannel.slice(REDIS_PREFIX.length);
    const e = parsed.event;
    if (e.kind !== 'messages') deliver(channel, e);
    else if (channels.has(channel)) deliver(channel, local(channel, e.s, e.h?.map(fromWire)));
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
      if (event.kind !== 'messages') deliver(channel, event);
      else if (channels.has(channel)) {
        const queued = event.queued;
        deliver(
          channel,
          local(
            channel,
            queued?.map((m) => m.seq),
            queued,
          ),
        );
      }
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
        // Once confirmed, reads the queue's head, which later events continue (see `local`):
        // only then, as the subscriber's first queue read must come after it.
        const ready = sub.status === 'ready';
        const confirmed = sub.subscribe(REDIS_PREFIX + channel).then(
          () => (ready ? learnHead(channel) : undefined),
          () => 0,
        );
        if (ready) {
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
          highest.delete(channel);
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
      highest.clear();
      lastConnected.clear();
      await Promise.allSettled([pub.quit(), sub.quit()]);
      pub.disconnect();
      sub.disconnect();
    },
  };
}
