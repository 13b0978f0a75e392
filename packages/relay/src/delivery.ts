/**
 * WebSocket delivery, protocol 2 (`@parley/api` frames). A connection authenticates with its
 * first frame, then receives its device's queue in order, several envelopes per `push` frame,
 * with at most `maxInFlight` pushed and unacknowledged, and stops pushing while its socket's
 * send buffer is above `WS_MAX_BUFFERED_BYTES` (a slow reader costs the relay a bounded amount of
 * memory). Acknowledgements are cumulative: an `ack` of `S` deletes the device's queue up to `S`
 * with one range delete, which needs no sync of its own (a delete lost in a power failure means
 * a re-delivery, which clients deduplicate). An ack beyond what this connection was pushed
 * closes it and deletes nothing. Sequence numbers follow commit order per device (see the
 * storage's `QueuedMessage`), so no message below an acknowledged one can still appear. A
 * reconnect starts again after the last acknowledged position: whatever was pushed but not
 * acknowledged is pushed again, nothing is lost, and the relay never pushes an acknowledged
 * message twice (barring that power failure).
 *
 * Sends arrive several per `send` frame and are answered several per `results` frame, each once
 * it is durable. A connection with `WS_MAX_PENDING_SENDS` sends being stored stops reading its
 * socket until some are answered, so a fast sender is slowed by TCP, not buffered by the relay.
 * Anything malformed, truncated, oversized or out of order closes the socket with
 * `WS_CLOSE.BAD_FRAME` and a reason, and changes nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  DELIVERY_PROTOCOL_VERSION,
  FrameError,
  KEYS_LOW_FRAME,
  PONG_FRAME,
  QUEUE_EMPTY_FRAME,
  WS_CLOSE,
  decodeClientFrame,
  encodePush,
  encodeReady,
  encodeResults,
  envelopeSize,
  limits,
  type AuthFrame,
  type PushedEnvelope,
  type SendFrame,
  type SendResult,
} from '@parley/api';
import type { FastifyBaseLogger } from 'fastify';
import type { RelayContext } from './context.js';
import { verifyDeviceSecret, type DeviceIdentity } from './credentials.js';
import { deviceChannel, type FanOutEvent } from './fanout/types.js';
import {
  HEARTBEAT_MIN_TICK_MS,
  HEARTBEAT_SLICES,
  MAX_CONNECTIONS,
  WS_MAX_BUFFERED_BYTES,
  WS_MAX_FRAMES_PER_SECOND,
  WS_MAX_PENDING_SENDS,
  WS_WRITE_CHUNK_BYTES,
} from './limits.js';
import { RelayError, classify } from './errors.js';
import { AckDeleter, InFlight } from './delivery-acks.js';
import { labels } from './metrics.js';
import { binaryFrames } from './ws-frames.js';
import { deliverable, storeSend } from './routes/messages.js';
import type { QueuedMessage } from './storage/types.js';

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
  #key = '';
  #unsubscribe: (() => Promise<void>) | undefined;
  #authTimer: NodeJS.Timeout | undefined;
  /** Highest sequence number pushed on this connection. */
  #cursor = 0;
  /** Highest cumulative acknowledgement received. */
  #acked = 0;
  readonly #inFlight = new InFlight();
  #pumping = false;
  #pumpAgain = false;
  #pumpScheduled = false;
  /**
   * The connection has read its whole queue and has been handed, in commit order, every message
   * committed since: a wake-up that carries its messages can be pushed without a read.
   */
  #synced = false;
  #waitingForDrain = false;
  #queueEmptySent = false;
  #authenticatedAt = 0;
  #authenticating = false;
  #closed = false;
  #frames = 0;
  #frameWindowStart = 0;
  /** Frames to write at the end of this turn, and their payload bytes. */
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #turnEndScheduled = false;
  #results: SendResult[] = [];
  #pendingSends = 0;
  #paused = false;
  alive = true;
  /** A frame arrived since the heartbeat last visited: the connection needs no ping. */
  active = false;
  /** Which tick of the heartbeat timer pings this connection. */
  readonly heartbeatSlice = nextHeartbeatSlice++ % HEARTBEAT_SLICES;
  /** Whether this connection is in the connections gauge. */
  counted = false;

  constructor(
    readonly ws: WebSocket,
    /** The socket under `ws`: frames sent in one turn of the event loop go out in one write. */
    private readonly socket: Duplex,
    private readonly ctx: RelayContext,
    private readonly acks: AckDeleter,
    private readonly log: FastifyBaseLogger,
    private readonly onClose: (c: Connection) => void,
    /** Calls `endOfTurn()` once, after the other callbacks of this turn of the event loop. */
    private readonly atEndOfTurn: (c: Connection) => void,
  ) {
    this.#authTimer = setTimeout(() => {
      this.close(WS_CLOSE.UNAUTHORIZED, 'auth timeout');
    }, ctx.limits.authTimeoutMs);
    ws.on('message', (data, isBinary) => {
      this.active = true;
      try {
        this.#onFrame(data, isBinary);
      } catch (error) {
        this.#failed(error);
      }
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

  readonly #failed = (error: unknown): void => {
    this.log.error({ err: error }, 'websocket frame handling failed');
    this.close(WS_CLOSE.BAD_FRAME, 'internal error');
  };

  /** Queues `frame`; the frames of one turn leave together (`endOfTurn`). */
  send(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.#out.push(frame) === 1) this.#needTurnEnd();
    this.#outBytes += frame.length;
    if (this.#outBytes >= WS_WRITE_CHUNK_BYTES) this.#flush();
  }

  /** Writes the queued frames in one socket write (nothing once the WebSocket is closing). */
  #flush(): void {
    if (this.#out.length === 0) return;
    const frames = this.#out;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.socket.write(binaryFrames(frames, bytes));
  }

  #needTurnEnd(): void {
    if (this.#turnEndScheduled) return;
    this.#turnEndScheduled = true;
    this.atEndOfTurn(this);
  }

  /**
   * At the end of a turn of the event loop: the results gathered in it go out several per frame,
   * and everything sent to this socket in it leaves in one write.
   */
  endOfTurn(): void {
    if (this.#results.length > 0) {
      const results = this.#results;
      this.#results = [];
      if (results.length <= limits.MAX_RESULTS_PER_FRAME) this.send(encodeResults(results));
      else
        for (let i = 0; i < results.length; i += limits.MAX_RESULTS_PER_FRAME)
          this.send(encodeResults(results.slice(i, i + limits.MAX_RESULTS_PER_FRAME)));
    }
    this.#flush();
    this.#turnEndScheduled = false;
  }

  close(code: number, reason: string): void {
    if (!this.#closed) {
      // What this turn already sent goes out before the close frame.
      this.#flush();
      this.ws.close(code, reason);
    }
    this.#teardown();
  }

  #teardown(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    if (unsubscribe !== undefined) void unsubscribe();
    this.onClose(this);
  }

  /** A method, not a field read, so the compiler does not assume it is unchanged across awaits. */
  isClosed(): boolean {
    return this.#closed;
  }

  #onFrame(data: RawData, isBinary: boolean): void {
    const t = this.ctx.now();
    if (t - this.#frameWindowStart >= 1000) {
      this.#frameWindowStart = t;
      this.#frames = 0;
    }
    if (++this.#frames > WS_MAX_FRAMES_PER_SECOND) {
      this.close(WS_CLOSE.RATE_LIMITED, 'rate limited');
      return;
    }
    if (!isBinary) {
      this.close(WS_CLOSE.BAD_FRAME, 'binary frames only (delivery protocol 2)');
      return;
    }
    let frame;
    try {
      frame = decodeClientFrame(rawToBytes(data));
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.close(WS_CLOSE.BAD_FRAME, error.reason);
      return;
    }
    if (this.#identity === undefined) {
      if (this.#authenticating) {
        this.close(WS_CLOSE.BAD_FRAME, 'wait for ready');
        return;
      }
      if (frame.kind !== 'auth') {
        this.close(WS_CLOSE.UNAUTHORIZED, 'auth first');
        return;
      }
      if (frame.version !== DELIVERY_PROTOCOL_VERSION) {
        this.close(WS_CLOSE.BAD_FRAME, 'unsupported delivery protocol version');
        return;
      }
      this.#authenticating = true;
      this.#authenticate(frame).catch(this.#failed);
      return;
    }
    switch (frame.kind) {
      case 'auth':
        this.close(WS_CLOSE.BAD_FRAME, 'already authenticated');
        return;
      case 'ping':
        this.send(PONG_FRAME);
        return;
      case 'send':
        this.#onSends(this.#identity, frame);
        return;
      case 'ack':
        this.#onAck(this.#identity, frame.seq);
        return;
    }
  }

  async #authenticate(frame: AuthFrame): Promise<void> {
    const identity = await verifyDeviceSecret(
      this.ctx.storage.reader,
      frame.accountId,
      frame.deviceId,
      frame.secret,
    );
    if (identity === undefined || this.isClosed()) {
      this.close(WS_CLOSE.UNAUTHORIZED, 'unauthorized');
      return;
    }
    await this.#authenticated(identity);
  }

  async #authenticated(identity: DeviceIdentity): Promise<void> {
    clearTimeout(this.#authTimer);
    this.#identity = identity;
    this.#key = deviceChannel(identity.accountId, identity.deviceId);
    this.#authenticating = false;
    this.#authenticatedAt = nextConnectionTime(this.ctx.now());
    // Acknowledged messages whose delete is still on its way are not pushed again.
    this.#cursor = this.acks.floor(this.#key);
    this.#acked = this.#cursor;
    this.#unsubscribe = await this.ctx.fanOut.subscribe(this.#key, (event) => {
      this.#onEvent(event);
    });
    if (this.isClosed()) {
      await this.#unsubscribe();
      return;
    }
    this.ctx.metrics.connections++;
    this.counted = true;
    await this.ctx.fanOut.publish(this.#key, {
      kind: 'connected',
      connectionId: this.id,
      at: this.#authenticatedAt,
    });
    this.send(encodeReady(this.ctx.limits.maxInFlight));
    await this.pump();
  }

  #onAck(identity: DeviceIdentity, seq: number): void {
    if (seq > this.#cursor) {
      this.close(WS_CLOSE.BAD_FRAME, 'ack beyond what was pushed');
      return;
    }
    if (seq <= this.#acked) return;
    this.#acked = seq;
    const wasFull = this.#inFlight.size >= this.ctx.limits.maxInFlight;
    this.#inFlight.acknowledge(seq);
    this.acks.acknowledge(identity, this.#key, seq);
    // Only a full window held messages back; otherwise new ones are pushed by their event.
    if (wasFull) this.#schedulePump();
  }

  #onSends(identity: DeviceIdentity, frame: SendFrame): void {
    for (const s of frame.sends) {
      this.#pendingSends++;
      // `#store` never rejects and counts itself out (no `finally` closure per send).
      void this.#store(identity, s.requestId, s);
    }
    if (!this.#paused && this.#pendingSends >= WS_MAX_PENDING_SENDS) {
      this.#paused = true;
      this.ws.pause();
    }
  }

  async #store(
    identity: DeviceIdentity,
    requestId: number,
    send: SendFrame['sends'][number],
  ): Promise<void> {
    let result: SendResult;
    try {
      const limiter = this.ctx.accountLimiter;
      if (limiter !== undefined && !(await limiter.take(identity.accountId)).ok) {
        this.ctx.metrics.rateLimited.inc(labels('scope', 'account'));
        throw new RelayError('RATE_LIMITED', 'rate limited');
      }
      const r = await storeSend(this.ctx, identity, send);
      result = {
        requestId,
        status: r.duplicate ? 'duplicate' : 'stored',
        serverTimestamp: r.serverTimestamp,
      };
    } catch (error) {
      const { code, message, details } = classify(error);
      if (code === 'INTERNAL') this.log.error({ err: error }, 'websocket send failed');
      result = {
        requestId,
        status: 'error',
        error: details === undefined ? { code, message } : { code, message, details },
      };
    }
    if (this.#results.push(result) === 1) this.#needTurnEnd();
    this.#pendingSends--;
    if (this.#paused && this.#pendingSends <= WS_MAX_PENDING_SENDS / 2) {
      this.#paused = false;
      this.ws.resume();
    }
  }

  #onEvent(event: FanOutEvent): void {
    switch (event.kind) {
      case 'messages':
        if (event.queued !== undefined && this.#synced && this.#pushLive(event.queued)) return;
        this.#synced = false;
        if (this.#pumping) this.#pumpAgain = true;
        else this.#schedulePump();
        return;
      case 'keys-low':
        this.send(KEYS_LOW_FRAME);
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

  /** Pushes messages handed over by their wake-up; false if the window or buffer has no room. */
  #pushLive(queued: readonly QueuedMessage[]): boolean {
    if (this.#pumping || this.#pumpScheduled || this.#closed) return false;
    if (this.#inFlight.size + queued.length > this.ctx.limits.maxInFlight) return false;
    if (this.socket.writableLength >= WS_MAX_BUFFERED_BYTES) return false;
    // Usually all of them are new (no array to copy); a wake-up racing a read may repeat some.
    let allFresh = true;
    for (const m of queued) if (m.seq <= this.#cursor) allFresh = false;
    this.#push(allFresh ? queued : queued.filter((m) => m.seq > this.#cursor));
    return true;
  }

  /**
   * Pumps in the next turn of the event loop: the wake-ups of one group commit (one per message
   * for this device) become one read and one push frame.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.pump().catch((error: unknown) => {
        this.log.error({ err: error }, 'websocket push failed');
      });
    });
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
    this.#synced = false;
    let readToEnd: boolean;
    try {
      do {
        this.#pumpAgain = false;
        readToEnd = false;
        while (!this.#closed && this.#inFlight.size < this.ctx.limits.maxInFlight) {
          if (this.socket.writableLength >= WS_MAX_BUFFERED_BYTES) {
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
          if (this.isClosed()) break;
          this.#push(batch);
          // A short page is the end of the queue as committed when it was read; whatever is
          // committed later comes with its own event (and `#pumpAgain`), so no second read.
          if (batch.length < room) {
            readToEnd = true;
            if (!this.#queueEmptySent) {
              this.#queueEmptySent = true;
              this.send(QUEUE_EMPTY_FRAME);
            }
            break;
          }
        }
      } while (this.#shouldPumpAgain());
      // The last read reached the end of the queue and no wake-up came meanwhile.
      this.#synced = readToEnd && !this.#closed && !this.#pumpScheduled;
    } finally {
      this.#pumping = false;
    }
  }

  /** Whether a wake-up arrived during the last pass (set by `pump` calls made meanwhile). */
  #shouldPumpAgain(): boolean {
    return this.#pumpAgain && !this.#closed;
  }

  /** Sends `batch` in push frames of bounded size, in order. */
  #push(batch: readonly QueuedMessage[]): void {
    if (batch.length === 0) return;
    const t = this.ctx.now();
    let frame: PushedEnvelope[] = [];
    let bytes = 0;
    for (const m of batch) {
      this.#cursor = m.seq;
      // A disappearing message past its expiry is skipped unread (the sweep deletes it).
      if (!deliverable(m, t)) continue;
      frame.push(m);
      bytes += envelopeSize(m);
      this.#inFlight.push(m.seq);
      this.ctx.metrics.deliveryLatency.observe(Math.max(0, t - m.serverTimestamp) / 1000);
      if (
        bytes >= limits.PUSH_FRAME_TARGET_BYTES ||
        frame.length >= limits.MAX_ENVELOPES_PER_PUSH
      ) {
        this.send(encodePush(frame));
        frame = [];
        bytes = 0;
      }
    }
    if (frame.length > 0) this.send(encodePush(frame));
    this.ctx.metrics.messagesOut.inc('', batch.length);
  }

  /** Pumps again once the socket's buffer has drained. */
  #waitForDrain(): void {
    if (this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    this.socket.once('drain', () => {
      this.#waitingForDrain = false;
      this.#schedulePump();
    });
  }
}

function rawToBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** The WebSocket side of a relay: accepts upgrades on `path`, runs heartbeats, closes on shutdown. */
export class Delivery {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
  });
  readonly #connections = new Set<Connection>();
  readonly #acks: AckDeleter;
  readonly #heartbeat: NodeJS.Timeout;
  /** Connections whose `endOfTurn` runs in the next check phase, all in one callback. */
  #turnEnds: Connection[] = [];
  readonly #runTurnEnds = (): void => {
    const due = this.#turnEnds;
    this.#turnEnds = [];
    for (const c of due) c.endOfTurn();
  };
  readonly #atEndOfTurn = (c: Connection): void => {
    if (this.#turnEnds.push(c) === 1) setImmediate(this.#runTurnEnds);
  };
  #closing = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly log: FastifyBaseLogger,
  ) {
    this.#acks = new AckDeleter(ctx);
    // Each connection is visited once per interval, a slice at a time, so 10,000 pings are
    // not one long stall of the event loop; a short interval (tests) has fewer, longer slices.
    const interval = ctx.limits.heartbeatIntervalMs;
    const slices = Math.max(
      1,
      Math.min(HEARTBEAT_SLICES, Math.floor(interval / HEARTBEAT_MIN_TICK_MS)),
    );
    let slice = 0;
    this.#heartbeat = setInterval(() => {
      slice = (slice + 1) % slices;
      for (const c of this.#connections) {
        if (c.heartbeatSlice % slices !== slice) continue;
        // A connection that sent frames since the last visit is alive without a ping.
        if (c.active) {
          c.active = false;
          c.alive = true;
          continue;
        }
        if (!c.alive) {
          c.close(WS_CLOSE.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }, interval / slices);
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
      const connection = new Connection(
        ws,
        socket,
        this.ctx,
        this.#acks,
        this.log,
        (c) => {
          if (this.#connections.delete(c) && c.counted) this.ctx.metrics.connections--;
        },
        this.#atEndOfTurn,
      );
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
