/**
 * A delivery protocol 2 client for the scale-out tests: it connects to whichever relay node is
 * up (its preferred one first), sends with a window and retries every send without a result,
 * with the same client message id (as the SDK's outbox does), receives pushes and acknowledges
 * them cumulatively, recording every guid per client message id (to prove exactly-once).
 */
import WebSocket from 'ws';
import { decodeServerFrame, encodeAck, encodeAuth, encodeSends } from '@parley/api';
import type { Device } from './client.js';

export type SendOutcome = { ok: true } | { ok: false; code: string };

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export class Peer {
  /** clientMessageId → guids it arrived with. */
  readonly received = new Map<string, Set<string>>();
  /** When each client message id first arrived (performance.now()). */
  readonly arrivedAt = new Map<string, number>();
  /** Error codes of failed sends, in order. */
  readonly errors: string[] = [];
  /** Which node each connection went to. */
  readonly connections: string[] = [];
  #ws: WebSocket | undefined;
  #connecting: Promise<WebSocket> | undefined;
  #nextRequest = 0;
  readonly #waiting = new Map<number, (o: SendOutcome | undefined) => void>();
  #stopped = false;

  constructor(
    readonly device: Device,
    /** Nodes to try, preferred first; a function so a test can take a dead node out. */
    readonly bases: () => readonly string[],
  ) {}

  /** An open, authenticated connection (reconnecting to the first node that answers). */
  connection(): Promise<WebSocket> {
    if (this.#ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.#ws);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<WebSocket> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      for (const base of this.bases()) {
        const ws = await this.#open(base);
        if (ws !== undefined) {
          this.#ws = ws;
          this.connections.push(base);
          return ws;
        }
      }
      await sleep(Math.min(50 * (attempt + 1), 500));
    }
    throw new Error('stopped');
  }

  #open(base: string): Promise<WebSocket | undefined> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/websocket`);
    return new Promise((resolve) => {
      ws.once('error', () => {
        resolve(undefined);
      });
      ws.once('close', () => {
        resolve(undefined);
        // Sends without a result are retried by their senders.
        for (const done of this.#waiting.values()) done(undefined);
        this.#waiting.clear();
        // A lost connection is re-established at once, so the device keeps receiving.
        if (this.#ws === ws && !this.#stopped) void this.connection().catch(() => undefined);
      });
      ws.once('open', () => {
        ws.send(encodeAuth(this.device.accountId, 1, Buffer.from(this.device.secret, 'base64')));
      });
      ws.on('message', (data: Buffer) => {
        const frame = decodeServerFrame(new Uint8Array(data));
        if (frame.kind === 'ready') resolve(ws);
        else if (frame.kind === 'push') {
          for (const e of frame.envelopes) {
            const guids = this.received.get(e.clientMessageId) ?? new Set<string>();
            guids.add(e.guid);
            this.received.set(e.clientMessageId, guids);
            if (!this.arrivedAt.has(e.clientMessageId))
              this.arrivedAt.set(e.clientMessageId, performance.now());
          }
          const last = frame.envelopes.at(-1);
          if (last !== undefined) ws.send(encodeAck(last.seq));
        } else if (frame.kind === 'results') {
          for (const r of frame.results) {
            const done = this.#waiting.get(r.requestId);
            this.#waiting.delete(r.requestId);
            done?.(r.status === 'error' ? { ok: false, code: r.error.code } : { ok: true });
          }
        }
      });
    });
  }

  /** One attempt; undefined when the connection closed before the result. */
  async #sendOnce(to: Device, id: string): Promise<SendOutcome | undefined> {
    const ws = await this.connection();
    const requestId = this.#nextRequest++;
    return new Promise((resolve) => {
      this.#waiting.set(requestId, resolve);
      ws.send(
        encodeSends([
          {
            requestId,
            clientMessageId: id,
            destinations: [
              {
                accountId: to.accountId,
                deviceId: 1,
                registrationId: to.registrationId,
                type: 1,
                content: Buffer.from(id),
              },
            ],
          },
        ]),
      );
    });
  }

  /**
   * Sends until the relay acknowledges it (stored or duplicate), retrying with the same id;
   * false if the peer was closed first.
   */
  async send(to: Device, id: string): Promise<boolean> {
    while (!this.#stopped) {
      const outcome = await this.#sendOnce(to, id).catch(() => undefined);
      if (outcome?.ok === true) return true;
      if (outcome !== undefined) {
        this.errors.push(outcome.code);
        await sleep(50);
      }
    }
    return false;
  }

  /**
   * Sends the ids `next` yields (undefined: done) with `window` in flight; `acked` gets each id
   * once the relay acknowledged it.
   */
  async stream(
    to: Device,
    ids: readonly string[] | (() => string | undefined),
    window: number,
    acked: Set<string>,
  ): Promise<void> {
    let at = 0;
    const next = typeof ids === 'function' ? ids : () => ids[at++];
    await Promise.all(
      Array.from({ length: window }, async () => {
        for (let id = next(); id !== undefined && !this.#stopped; id = next()) {
          if (await this.send(to, id)) acked.add(id);
        }
      }),
    );
  }

  close(): void {
    this.#stopped = true;
    this.#ws?.terminate();
  }
}

/** Ids `<prefix>-0`, `<prefix>-1`, … until `stop()` holds; `produced` lists them. */
export function idsUntil(
  prefix: string,
  stop: () => boolean,
): { readonly next: () => string | undefined; readonly produced: string[] } {
  const produced: string[] = [];
  return {
    produced,
    next: () => {
      if (stop()) return undefined;
      const id = `${prefix}-${String(produced.length)}`;
      produced.push(id);
      return id;
    },
  };
}

/** Waits until `done()` holds, polling; throws with `what` after `ms`. */
export async function waitFor(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Throws unless every id in `acked` arrived exactly once (one guid) and nothing else did. */
export function assertExactlyOnce(receiver: Peer, acked: ReadonlySet<string>): void {
  for (const id of acked) {
    const guids = receiver.received.get(id);
    if (guids === undefined) throw new Error(`${id} was acknowledged but never delivered`);
    if (guids.size !== 1) throw new Error(`${id} was stored ${String(guids.size)} times`);
  }
  for (const id of receiver.received.keys())
    if (!acked.has(id)) throw new Error(`${id} was delivered but never acknowledged`);
}
