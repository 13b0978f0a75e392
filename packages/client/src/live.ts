/**
 * Live delivery over the relay's WebSocket (delivery protocol 2, binary frames), reconnecting
 * with exponential backoff. Isomorphic: the socket comes from a factory (`ws` in
 * `live.node.ts`, the browser's WebSocket later). It authenticates with the first frame, waits
 * for `ready`, and hands the envelopes of each `push` frame to the client's sans-I/O core
 * (`processEnvelopes`: each gets its own outcome, committed with its seen mark), then
 * acknowledges the frame's last envelope, which covers them all (cumulative). If processing
 * throws (the store failed), nothing is acknowledged and the socket is dropped, so the relay
 * pushes the frame again after the reconnect; an envelope already stored is recognised by the
 * seen set and only acknowledged. `keys-low` tops up one-time prekeys. With `ktMonitorMs`, key
 * transparency monitoring (contact monitoring and the owner's check of its own labels, -05 §8)
 * runs every that many ms while the connection is started, in line with frame processing.
 */
import {
  FrameError,
  GROUP_MESSAGE_TYPES,
  decodeServerFrame,
  encodeAck,
  encodeAuth,
  limits,
  type Envelope,
  type PushedEnvelope,
} from '@parley/api';
import { fromBase64, toBase64 } from '@parley/bytes';
import type { ClientEvent, KtMonitorReport, ParleyClient } from './client.js';
import { LIVE_BACKOFF_INITIAL_MS, LIVE_BACKOFF_MAX_MS } from './limits.js';

const GROUP_TYPES: readonly number[] = Object.values(GROUP_MESSAGE_TYPES);

export interface SocketLike {
  /** Sends one binary frame. */
  send(data: Uint8Array): void;
  close(): void;
}
export interface SocketHandlers {
  onOpen(): void;
  /** One frame from the relay; a text frame arrives as `undefined` (the protocol has none). */
  onMessage(data: Uint8Array | undefined): void;
  onClose(): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export interface LiveOptions {
  readonly client: ParleyClient;
  /** The relay's base URL (http or https); the socket URL is derived from it. */
  readonly baseUrl: string;
  readonly socket: SocketFactory;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onEvent: (event: ClientEvent) => void;
  /** Connection state changes, for status lines and tests. */
  readonly onState?: (state: 'connecting' | 'ready' | 'closed') => void;
  /** A failure while processing (the envelope stays unacknowledged and comes again). */
  readonly onError?: (error: unknown) => void;
  /**
   * Runs `monitorKeyTransparency()` every this many ms (the log's RMW, -05 §8) while started;
   * off when absent. Each outcome goes to `onKtMonitor`: a report (failed labels listed) or the
   * error (`KT_MISMATCH` for the owner's own labels, `KT_FORK`, `KT_UNAVAILABLE`, ...).
   */
  readonly ktMonitorMs?: number;
  readonly onKtMonitor?: (outcome: KtMonitorReport | { readonly error: unknown }) => void;
}

/** The HTTP fetch's shape of a pushed envelope (what the client's core processes). */
export function toEnvelope(e: PushedEnvelope): Envelope {
  return {
    guid: e.guid,
    senderAccountId: e.senderAccountId,
    senderDeviceId: e.senderDeviceId,
    clientMessageId: e.clientMessageId,
    type: e.type,
    content: toBase64(e.content),
    serverTimestamp: e.serverTimestamp,
  };
}

export class LiveConnection {
  readonly #o: LiveOptions;
  #socket: SocketLike | undefined;
  #stopped = false;
  #attempt = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Bumped by start and stop, so a monitoring wait from an earlier start does nothing. */
  #ktRun = 0;

  constructor(options: LiveOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
    this.#ktRun++;
    void this.#monitoring(this.#ktRun);
  }

  stop(): void {
    this.#stopped = true;
    this.#ktRun++;
    this.#socket?.close();
    this.#socket = undefined;
  }

  /**
   * Resolves once every frame received so far has been processed and its events emitted; call
   * it after `stop()` and before closing the store.
   */
  async settled(): Promise<void> {
    await this.#chain;
  }

  /** Drops the current socket as a network failure would (tests use it); a reconnect follows. */
  dropForTest(): void {
    this.#socket?.close();
  }

  /** Every `ktMonitorMs` (the injected `sleep`), one monitoring run in line with the frames. */
  async #monitoring(run: number): Promise<void> {
    const ms = this.#o.ktMonitorMs;
    if (ms === undefined) return;
    for (;;) {
      await this.#o.sleep(ms);
      if (this.#stopped || run !== this.#ktRun) return;
      this.#chain = this.#chain.then(() => this.#monitor());
      await this.#chain;
    }
  }

  async #monitor(): Promise<void> {
    if (this.#stopped) return;
    let outcome: KtMonitorReport | { readonly error: unknown };
    try {
      outcome = await this.#o.client.monitorKeyTransparency();
    } catch (error) {
      outcome = { error };
    }
    this.#o.onKtMonitor?.(outcome);
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = `${this.#o.baseUrl.replace(/^http/, 'ws')}/v1/websocket`;
    this.#o.onState?.('connecting');
    const socket = this.#o.socket(url, {
      onOpen: () => {
        const c = this.#o.client.credentials();
        socket.send(encodeAuth(c.accountId, c.deviceId, fromBase64(c.secret)));
      },
      onMessage: (data) => {
        this.#chain = this.#chain.then(() => this.#frame(socket, data));
      },
      onClose: () => {
        if (this.#socket === socket) this.#socket = undefined;
        this.#o.onState?.('closed');
        if (this.#stopped) return;
        const delay = Math.min(LIVE_BACKOFF_MAX_MS, LIVE_BACKOFF_INITIAL_MS * 2 ** this.#attempt);
        this.#attempt++;
        void this.#o.sleep(delay).then(() => {
          this.#connect();
        });
      },
    });
    this.#socket = socket;
  }

  async #frame(socket: SocketLike, data: Uint8Array | undefined): Promise<void> {
    let frame;
    try {
      if (data === undefined) throw new FrameError('MALFORMED_FRAME', 'text frame');
      if (data.length > limits.MAX_SERVER_FRAME_BYTES)
        throw new FrameError('FIELD_OUT_OF_RANGE', 'frame too large');
      frame = decodeServerFrame(data);
    } catch (error) {
      // A relay that breaks the protocol: drop the connection and start again.
      this.#o.onError?.(error);
      socket.close();
      return;
    }
    try {
      if (frame.kind === 'ready') {
        this.#attempt = 0;
        this.#o.onState?.('ready');
      } else if (frame.kind === 'push') {
        await this.#push(socket, frame.envelopes);
      } else if (frame.kind === 'keys-low') {
        await this.#o.client.topUpPreKeys();
      }
    } catch (error) {
      this.#o.onError?.(error);
    }
  }

  async #push(socket: SocketLike, envelopes: readonly PushedEnvelope[]): Promise<void> {
    let events: ClientEvent[];
    try {
      events = await this.#o.client.processEnvelopes(envelopes.map(toEnvelope));
    } catch (error) {
      // Nothing acknowledged: the relay pushes the frame again after the reconnect.
      this.#o.onError?.(error);
      socket.close();
      return;
    }
    const last = envelopes.at(-1);
    if (last !== undefined) socket.send(encodeAck(last.seq));
    for (const e of events) this.#o.onEvent(e);
    await this.#o.client.flushOutbox();
    if (envelopes.some((e) => GROUP_TYPES.includes(e.type)))
      for (const e of await this.#o.client.groupMaintenance()) this.#o.onEvent(e);
  }
}
