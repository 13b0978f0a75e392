/** A minimal delivery-protocol-2 test client: collects frames, waits for conditions, acks. */
import WebSocket from 'ws';
import {
  decodeServerFrame,
  encodeAck,
  encodeAuth,
  encodeSends,
  type PushedEnvelope,
  type SendResult,
  type ServerFrame,
  type WireSend,
} from '@parley/api';
import type { TestDevice } from './support.js';

export class WsClient {
  readonly frames: ServerFrame[] = [];
  readonly messages: PushedEnvelope[] = [];
  readonly results: SendResult[] = [];
  closeCode: number | undefined;
  closeReason = '';
  pings = 0;
  readonly #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      // Copy: the envelopes' contents are views into the frame.
      const frame = decodeServerFrame(new Uint8Array(data));
      this.frames.push(frame);
      if (frame.kind === 'push') this.messages.push(...frame.envelopes);
      if (frame.kind === 'results') this.results.push(...frame.results);
      this.#wake();
    });
    ws.on('ping', () => {
      this.pings++;
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
      this.#wake();
    });
    ws.on('error', () => {
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  static async open(base: string): Promise<WsClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/websocket`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('error', reject);
    });
    return new WsClient(ws);
  }

  static async connect(base: string, device: TestDevice): Promise<WsClient> {
    const c = await WsClient.open(base);
    c.auth(device);
    await c.until(() => c.frames.some((f) => f.kind === 'ready'), 'ready');
    return c;
  }

  auth(device: TestDevice): void {
    this.sendBytes(
      encodeAuth(device.accountId, device.deviceId, Buffer.from(device.secret, 'base64')),
    );
  }

  sendBytes(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** Acknowledges everything up to `seq` (cumulative). */
  ack(seq: number): void {
    this.sendBytes(encodeAck(seq));
  }

  /** Acknowledges every message received so far. */
  ackAll(): void {
    const last = this.messages.at(-1);
    if (last !== undefined) this.ack(last.seq);
  }

  sendMany(sends: readonly WireSend[]): void {
    this.sendBytes(encodeSends(sends));
  }

  /** Resolves when `condition` holds; rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    if (this.closeCode !== undefined) return;
    this.ws.close();
    await this.until(() => this.closeCode !== undefined, 'close');
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
