/**
 * WebSocket delivery. A connection authenticates with its first frame, then receives its
 * device's queue in order, at most `maxInFlight` unacknowledged messages at a time, and stops
 * pushing while its socket buffer is above `WS_MAX_BUFFERED_BYTES` (a slow reader costs the
 * relay a bounded amount of memory). Acks delete. A reconnect starts again from the head of the
 * queue, so whatever was pushed but not acknowledged is pushed again: nothing is lost, and the
 * relay never pushes an acknowledged message twice.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ClientFrame, WS_CLOSE, limits, type ServerFrame } from '@parley/api';
import type { FastifyBaseLogger } from 'fastify';
import type { RelayContext } from './context.js';
import { verifyDevice, type DeviceIdentity } from './credentials.js';
import { deviceChannel, type FanOutEvent } from './fanout/types.js';
import {
  HEARTBEAT_SLICES,
  MAX_CONNECTIONS,
  WS_DRAIN_POLL_MS,
  WS_MAX_BUFFERED_BYTES,
  WS_MAX_FRAMES_PER_SECOND,
} from './limits.js';
import { RelayError, classify } from './errors.js';
import { labels } from './metrics.js';
import { envelope, storeSend } from './routes/messages.js';

const checkFrame = TypeCompiler.Compile(ClientFrame);

let lastConnectionTime = 0;
let nextHeartbeatSlice = 0;
/**
 * Strictly increasing connection times within this process (the clock in ms, nudged by a
 * microsecond on ties), so the newest of two connections of one device is well defined.
 */
function nextConnectionTime(now: number): number {
  lastConnectionTime = Math.max(now, lastConnectionTime + 0.001);
  return lastConnectionTime;
}

class Connection {
  readonly id = randomUUID();
  #identity: DeviceIdentity | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  #drainTimer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<string>();
  #cursor = 0;
  #pumping = false;
  #pumpAgain = false;
  #queueEmptySent = false;
  #authenticatedAt = 0;
  #authenticating = false;
  #closed = false;
  #frames = 0;
  #frameWindowStart = 0;
  #corked = false;
  alive = true;
  /** Which tick of the heartbeat timer pings this connection. */
  readonly heartbeatSlice = nextHeartbeatSlice++ % HEARTBEAT_SLICES;
  /** Whether this connection is in the connections gauge. */
  counted = false;

  constructor(
    readonly ws: WebSocket,
    /** The socket under `ws`: frames sent in one turn of the event loop go out in one write. */
    private readonly socket: Duplex,
    private readonly ctx: RelayContext,
    private readonly log: FastifyBaseLogger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.#authTimer = setTimeout(() => {
      this.close(WS_CLOSE.UNAUTHORIZED, 'auth timeout');
    }, ctx.limits.authTimeoutMs);
    ws.on('message', (data, isBinary) => {
      this.#onFrame(data, isBinary).catch((error: unknown) => {
        this.log.error({ err: error }, 'websocket frame handling failed');
        this.close(WS_CLOSE.BAD_FRAME, 'internal error');
      });
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => {
      this.#teardown();
    });
    ws.on('error', () => {
      this.#teardown();
    });
  }

  send(frame: ServerFrame): void {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      setImmediate(this.#uncork);
    }
    this.ws.send(JSON.stringify(frame));
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.socket.uncork();
  };

  close(code: number, reason: string): void {
    if (!this.#closed) this.ws.close(code, reason);
    this.#teardown();
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    clearTimeout(this.#drainTimer);
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (unsubscribe !== undefined) void unsubscribe();
    this.onClose(this);
  }

  /** A method, not a field read, so the compiler does not assume it is unchanged across awaits. */
  isClosed(): boolean {
    return this.#closed;
  }

  async #onFrame(data: RawData, isBinary: boolean): Promise<void> {
    const t = this.ctx.now();
    if (t - this.#frameWindowStart >= 1000) {
      this.#frameWindowStart = t;
      this.#frames = 0;
    }
    if (++this.#frames > WS_MAX_FRAMES_PER_SECOND) {
      this.close(WS_CLOSE.RATE_LIMITED, 'rate limited');
      return;
    }
    if (isBinary) {
      this.close(WS_CLOSE.BAD_FRAME, 'text frames only');
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(rawToString(data));
    } catch {
      this.close(WS_CLOSE.BAD_FRAME, 'malformed frame');
      return;
    }
    if (!checkFrame.Check(frame)) {
      this.close(WS_CLOSE.BAD_FRAME, 'unknown frame');
      return;
    }
    if (this.#identity === undefined) {
      if (this.#authenticating) {
        this.close(WS_CLOSE.BAD_FRAME, 'wait for ready');
        return;
      }
      if (frame.type !== 'auth') {
        this.close(WS_CLOSE.UNAUTHORIZED, 'auth first');
        return;
      }
      this.#authenticating = true;
      const identity = await verifyDevice(
        this.ctx.storage.reader,
        frame.accountId,
        frame.deviceId,
        frame.secret,
      );
      if (identity === undefined || this.isClosed()) {
        this.close(WS_CLOSE.UNAUTHORIZED, 'unauthorized');
        return;
      }
      clearTimeout(this.#authTimer);
      this.#identity = identity;
      this.#authenticating = false;
      this.#authenticatedAt = nextConnectionTime(this.ctx.now());
      const channel = deviceChannel(identity.accountId, identity.deviceId);
      this.#unsubscribe = await this.ctx.fanOut.subscribe(channel, (event) => {
        this.#onEvent(event);
      });
      if (this.isClosed()) {
        await this.#unsubscribe();
        return;
      }
      this.ctx.metrics.connections++;
      this.counted = true;
      await this.ctx.fanOut.publish(channel, {
        kind: 'connected',
        connectionId: this.id,
        at: this.#authenticatedAt,
      });
      this.send({ type: 'ready' });
      await this.pump();
      return;
    }
    switch (frame.type) {
      case 'auth':
        this.close(WS_CLOSE.BAD_FRAME, 'already authenticated');
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'send': {
        const { requestId, request } = frame;
        const identity = this.#identity;
        const limiter = this.ctx.accountLimiter;
        const frameError = (error: unknown): ServerFrame => {
          const { code, message, details } = classify(error);
          if (code === 'INTERNAL') this.log.error({ err: error }, 'websocket send failed');
          return {
            type: 'send-error',
            requestId,
            error: details === undefined ? { code, message } : { code, message, details },
          };
        };
        try {
          if (limiter !== undefined && !(await limiter.take(identity.accountId)).ok) {
            this.ctx.metrics.rateLimited.inc(labels('scope', 'account'));
            throw new RelayError('RATE_LIMITED', 'rate limited');
          }
          const result = await storeSend(this.ctx, identity, request);
          this.send({ type: 'send-result', requestId, result });
        } catch (error) {
          this.send(frameError(error));
        }
        return;
      }
      case 'ack': {
        const { accountId, deviceId } = this.#identity;
        const n = await this.ctx.storage.transact((w) =>
          w.messages.delete(accountId, deviceId, frame.guids),
        );
        this.ctx.metrics.messagesAcked.inc('', n);
        // Only a full window held messages back; otherwise new ones are pushed by their event.
        const wasFull = this.#inFlight.size >= this.ctx.limits.maxInFlight;
        for (const guid of frame.guids) this.#inFlight.delete(guid);
        if (wasFull) await this.pump();
        return;
      }
    }
  }

  #onEvent(event: FanOutEvent): void {
    switch (event.kind) {
      case 'messages':
        void this.pump().catch((error: unknown) => {
          this.log.error({ err: error }, 'websocket push failed');
        });
        return;
      case 'keys-low':
        this.send({ type: 'keys-low' });
        return;
      case 'device-removed':
        this.close(WS_CLOSE.DEVICE_REMOVED, 'device removed');
        return;
      case 'connected':
        // Only a newer connection replaces this one (time, then id), so racing reconnects
        // cannot close each other.
        if (
          event.at > this.#authenticatedAt ||
          (event.at === this.#authenticatedAt && event.connectionId > this.id)
        ) {
          this.close(WS_CLOSE.REPLACED, 'replaced');
        }
        return;
    }
  }

  /** Pushes queued messages until the window is full, the buffer is full, or the queue is empty. */
  async pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    const identity = this.#identity;
    if (identity === undefined) return;
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        while (!this.#closed && this.#inFlight.size < this.ctx.limits.maxInFlight) {
          if (this.ws.bufferedAmount >= WS_MAX_BUFFERED_BYTES) {
            this.#waitForDrain();
            break;
          }
          const room = this.ctx.limits.maxInFlight - this.#inFlight.size;
          const batch = await this.ctx.storage.reader.messages.list(
            identity.accountId,
            identity.deviceId,
            this.#cursor,
            room,
          );
          const t = this.ctx.now();
          for (const m of batch) {
            this.#cursor = m.seq;
            this.#inFlight.add(m.guid);
            this.send({ type: 'message', message: envelope(m) });
            this.ctx.metrics.deliveryLatency.observe(Math.max(0, t - m.serverTimestamp) / 1000);
          }
          this.ctx.metrics.messagesOut.inc('', batch.length);
          // A short page is the end of the queue as committed when it was read; whatever is
          // committed later comes with its own event (and `#pumpAgain`), so no second read.
          if (batch.length < room) {
            if (!this.#queueEmptySent) {
              this.#queueEmptySent = true;
              this.send({ type: 'queue-empty' });
            }
            break;
          }
        }
      } while (this.#shouldPumpAgain());
    } finally {
      this.#pumping = false;
    }
  }

  /** Whether an event arrived during the last pass (set by `pump` calls made meanwhile). */
  #shouldPumpAgain(): boolean {
    return this.#pumpAgain && !this.#closed;
  }

  #waitForDrain(): void {
    if (this.#drainTimer !== undefined) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = undefined;
      void this.pump().catch((error: unknown) => {
        this.log.error({ err: error }, 'websocket push failed');
      });
    }, WS_DRAIN_POLL_MS);
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** The WebSocket side of a relay: accepts upgrades on `path`, runs heartbeats, closes on shutdown. */
export class Delivery {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.MAX_CLIENT_FRAME_BYTES,
  });
  readonly #connections = new Set<Connection>();
  readonly #heartbeat: NodeJS.Timeout;
  #closing = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly log: FastifyBaseLogger,
  ) {
    // Each connection is visited once per interval, a slice at a time, so 10,000 pings are
    // not one long stall of the event loop.
    let slice = 0;
    this.#heartbeat = setInterval(() => {
      slice = (slice + 1) % HEARTBEAT_SLICES;
      for (const c of this.#connections) {
        if (c.heartbeatSlice !== slice) continue;
        if (!c.alive) {
          c.close(WS_CLOSE.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }, ctx.limits.heartbeatIntervalMs / HEARTBEAT_SLICES);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Handles an HTTP upgrade request that was routed to the WebSocket path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closing || this.#connections.size >= MAX_CONNECTIONS) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new Connection(ws, socket, this.ctx, this.log, (c) => {
        if (this.#connections.delete(c) && c.counted) this.ctx.metrics.connections--;
      });
      this.#connections.add(connection);
    });
  }

  /** Closes every connection (clients reconnect elsewhere or later) and stops heartbeats. */
  close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    for (const c of [...this.#connections]) c.close(WS_CLOSE.GOING_AWAY, 'shutting down');
    return new Promise((resolve) => {
      this.#wss.close(() => {
        resolve();
      });
    });
  }
}
