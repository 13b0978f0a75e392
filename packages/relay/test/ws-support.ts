/** A minimal WebSocket test client: collects frames, waits for conditions, acks. */
import WebSocket from 'ws';
import type { Envelope, ServerFrame } from '@parley/api';
import type { TestDevice } from './support.js';

export class WsClient {
  readonly frames: ServerFrame[] = [];
  readonly messages: Envelope[] = [];
  closeCode: number | undefined;
  pings = 0;
  readonly #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
      this.frames.push(frame);
      if (frame.type === 'message') this.messages.push(frame.message);
      this.#wake();
    });
    ws.on('ping', () => {
      this.pings++;
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
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
    c.sendJson({
      type: 'auth',
      accountId: device.accountId,
      deviceId: device.deviceId,
      secret: device.secret,
    });
    await c.until(() => c.frames.some((f) => f.type === 'ready'), 'ready');
    return c;
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  ack(guids: readonly string[]): void {
    for (let i = 0; i < guids.length; i += 256)
      this.sendJson({ type: 'ack', guids: guids.slice(i, i + 256) });
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
