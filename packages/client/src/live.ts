/**
 * Live delivery over the relay's WebSocket, reconnecting with exponential backoff. Isomorphic:
 * the socket comes from a factory (`ws` in `live.node.ts`, the browser's WebSocket later). It
 * authenticates with the first frame, waits for `ready`, hands each `message` frame to the
 * client's sans-I/O core (stored and marked seen in one transaction), then acknowledges it;
 * `keys-low` tops up one-time prekeys. A reconnect re-delivers anything unacknowledged, which
 * the seen set turns into an acknowledgement without a second event.
 */
import { GROUP_MESSAGE_TYPES, type Envelope } from '@parley/api';
import type { ClientEvent, ParleyClient } from './client.js';
import { LIVE_BACKOFF_INITIAL_MS, LIVE_BACKOFF_MAX_MS, MAX_FRAME_CHARS } from './limits.js';

const GROUP_TYPES: readonly number[] = Object.values(GROUP_MESSAGE_TYPES);

export interface SocketLike {
  send(data: string): void;
  close(): void;
}
export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: string): void;
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
  /** A failure while processing (the frame stays unacknowledged and comes again). */
  readonly onError?: (error: unknown) => void;
}

export class LiveConnection {
  readonly #o: LiveOptions;
  #socket: SocketLike | undefined;
  #stopped = false;
  #attempt = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: LiveOptions) {
    this.#o = options;
  }

  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
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

  #connect(): void {
    if (this.#stopped) return;
    const url = `${this.#o.baseUrl.replace(/^http/, 'ws')}/v1/websocket`;
    this.#o.onState?.('connecting');
    const socket = this.#o.socket(url, {
      onOpen: () => {
        const c = this.#o.client.credentials();
        socket.send(
          JSON.stringify({
            type: 'auth',
            accountId: c.accountId,
            deviceId: c.deviceId,
            secret: c.secret,
          }),
        );
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

  async #frame(socket: SocketLike, data: string): Promise<void> {
    if (data.length > MAX_FRAME_CHARS) return;
    let frame: { type?: unknown; message?: Envelope };
    try {
      frame = JSON.parse(data) as { type?: unknown; message?: Envelope };
    } catch {
      return;
    }
    try {
      if (frame.type === 'ready') {
        this.#attempt = 0;
        this.#o.onState?.('ready');
      } else if (frame.type === 'message' && frame.message !== undefined) {
        const events = await this.#o.client.processEnvelopes([frame.message]);
        socket.send(JSON.stringify({ type: 'ack', guids: [frame.message.guid] }));
        for (const e of events) this.#o.onEvent(e);
        await this.#o.client.flushOutbox();
        if (GROUP_TYPES.includes(frame.message.type))
          for (const e of await this.#o.client.groupMaintenance()) this.#o.onEvent(e);
      } else if (frame.type === 'keys-low') {
        await this.#o.client.topUpPreKeys();
      }
    } catch (error) {
      this.#o.onError?.(error);
    }
  }
}
