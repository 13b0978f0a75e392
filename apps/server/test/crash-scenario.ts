/**
 * The crash scenario on the delivery protocol 2 path, shared by the crash test (a few kills)
 * and `npm run soak:relay -- --kills N`: a real relay process on SQLite is killed with SIGKILL
 * at random moments while one device sends over its WebSocket (`send` frames, several sends in
 * flight) and another receives over its own (`push` frames, cumulative acks). After every
 * restart both reconnect; sends without a result are retried with the same client message id,
 * as the SDK's outbox does. At the end every message whose send was acknowledged must have been
 * stored once (one guid) and delivered; a re-delivery (an ack lost in the kill) is recognised by
 * its guid, as clients do. Seeded: a failing run replays with the same seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  decodeServerFrame,
  encodeAck,
  encodeAuth,
  encodeSends,
  type PushedEnvelope,
} from '@parley/api';
import { registerDevice, type Device } from './client.js';
import { startServer, stopServer, type ServerProcess } from './server-process.js';

/** Acknowledged sends to wait for in each round before the kill (so every round has traffic). */
const MIN_ACKS_PER_ROUND = 8;
/** The longest a round waits for them. */
const MAX_ROUND_MS = 20_000;

export interface CrashOptions {
  readonly kills: number;
  readonly seed: number;
  /** Sends in flight at once. */
  readonly window?: number;
  readonly log?: (line: string) => void;
}

export interface CrashStats {
  readonly kills: number;
  readonly killsDuringSend: number;
  readonly acknowledged: number;
  readonly delivered: number;
  /** Pushes of a guid already received (an ack lost in a kill); recognised by guid. */
  readonly redelivered: number;
  readonly seconds: number;
}

/** mulberry32: a small seeded generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** A protocol 2 connection of one device, or undefined if it could not authenticate. */
async function open(
  base: string,
  device: Device,
  onPush: (ws: WebSocket, envelopes: readonly PushedEnvelope[]) => void,
  onResults: (results: readonly { requestId: number; ok: boolean }[]) => void,
): Promise<WebSocket | undefined> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/websocket`);
  return new Promise((resolve) => {
    ws.once('error', () => {
      resolve(undefined);
    });
    ws.once('close', () => {
      resolve(undefined);
    });
    ws.once('open', () => {
      ws.send(encodeAuth(device.accountId, 1, Buffer.from(device.secret, 'base64')));
    });
    ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(new Uint8Array(data));
      if (frame.kind === 'ready') resolve(ws);
      else if (frame.kind === 'push') onPush(ws, frame.envelopes);
      else if (frame.kind === 'results')
        onResults(frame.results.map((r) => ({ requestId: r.requestId, ok: r.status !== 'error' })));
    });
  });
}

export async function runCrashScenario(o: CrashOptions): Promise<CrashStats> {
  const random = rng(o.seed);
  const window = o.window ?? 8;
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
  const args = ['--data-dir', dir, '--no-rate-limit', '--log-level', 'warn'];
  let server: ServerProcess = await startServer(args);
  try {
    const alice = await registerDevice(server.base, 'alice');
    const bob = await registerDevice(server.base, 'bob');
    const acked = new Set<string>();
    const attempted = new Set<string>();
    /** Sends to retry, in order, with their client message ids. */
    const retry: string[] = [];
    /** clientMessageId → guids it arrived with; guid → times pushed. */
    const guidsOf = new Map<string, Set<string>>();
    const pushes = new Map<string, number>();
    let next = 0;
    let nextRequest = 0;
    let killsDuringSend = 0;

    const receive = (ws: WebSocket, envelopes: readonly PushedEnvelope[]): void => {
      for (const e of envelopes) {
        pushes.set(e.guid, (pushes.get(e.guid) ?? 0) + 1);
        const set = guidsOf.get(e.clientMessageId) ?? new Set<string>();
        set.add(e.guid);
        guidsOf.set(e.clientMessageId, set);
      }
      // The receiver "stores" them (records above), then acknowledges the last one.
      const last = envelopes.at(-1);
      if (last !== undefined && ws.readyState === WebSocket.OPEN) ws.send(encodeAck(last.seq));
    };

    /** One life of the server: both devices connected, sends until the kill. */
    const life = async (kill: boolean): Promise<void> => {
      const waiting = new Map<number, { id: string; done: (ok: boolean) => void }>();
      const receiver = await open(server.base, bob, receive, () => undefined);
      const sender = await open(
        server.base,
        alice,
        () => undefined,
        (results) => {
          for (const r of results) {
            const w = waiting.get(r.requestId);
            waiting.delete(r.requestId);
            w?.done(r.ok);
          }
        },
      );
      if (sender === undefined || receiver === undefined) throw new Error('could not connect');
      sender.on('close', () => {
        for (const w of waiting.values()) w.done(false);
        waiting.clear();
      });
      let stop = false;
      const slots = Array.from({ length: window }, async () => {
        while (!stop) {
          // After the last kill only what is still unacknowledged is sent again.
          const id = kill ? (retry.shift() ?? `m-${String(next++)}`) : retry.shift();
          if (id === undefined) return;
          attempted.add(id);
          const requestId = nextRequest++;
          const ok = await new Promise<boolean>((done) => {
            waiting.set(requestId, { id, done });
            if (sender.readyState !== WebSocket.OPEN) {
              waiting.delete(requestId);
              done(false);
              return;
            }
            sender.send(
              encodeSends([
                {
                  requestId,
                  clientMessageId: id,
                  destinations: [
                    {
                      accountId: bob.accountId,
                      deviceId: 1,
                      registrationId: bob.registrationId,
                      type: 1,
                      content: Buffer.from(id),
                    },
                  ],
                },
              ]),
            );
          });
          if (ok) acked.add(id);
          else {
            retry.push(id);
            if (kill) return;
            await sleep(5);
          }
        }
      });
      if (kill) {
        // A few acknowledged sends each round, however loaded the machine, then a random moment.
        const target = acked.size + MIN_ACKS_PER_ROUND;
        for (let waited = 0; acked.size < target && waited < MAX_ROUND_MS; waited += 20)
          await sleep(20);
        await sleep(random() * 400);
        if (waiting.size > 0) killsDuringSend++;
        server.child.kill('SIGKILL');
        await server.exited;
        stop = true;
      }
      await Promise.all(slots);
      sender.terminate();
      receiver.terminate();
    };

    for (let k = 0; k < o.kills; k++) {
      await life(true);
      server = await startServer(args);
      if ((k + 1) % 10 === 0)
        o.log?.(`  ${String(k + 1)} kills, ${String(acked.size)} acknowledged`);
    }
    // The outbox retries what was not acknowledged, with the same ids, until it is.
    while (retry.length > 0) await life(false);
    // Drain: the receiver connects until every acknowledged message has arrived.
    const deadline = Date.now() + 30_000;
    while ([...acked].some((id) => !guidsOf.has(id)) && Date.now() < deadline) {
      const r = await open(server.base, bob, receive, () => undefined);
      await sleep(200);
      r?.terminate();
    }
    for (const id of acked) {
      const guids = guidsOf.get(id);
      if (guids === undefined)
        throw new Error(`${id} was acknowledged but never delivered (seed ${String(o.seed)})`);
      if (guids.size !== 1)
        throw new Error(`${id} was stored ${String(guids.size)} times (seed ${String(o.seed)})`);
    }
    for (const id of guidsOf.keys())
      if (!attempted.has(id)) throw new Error(`${id} was delivered but never sent`);
    if (guidsOf.size !== acked.size)
      throw new Error(`${String(guidsOf.size)} delivered, ${String(acked.size)} acknowledged`);
    let redelivered = 0;
    for (const n of pushes.values()) redelivered += n - 1;
    return {
      kills: o.kills,
      killsDuringSend,
      acknowledged: acked.size,
      delivered: guidsOf.size,
      redelivered,
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await stopServer(server, 'SIGKILL');
    // The server's key transparency log (a child process) exits when it sees the server gone,
    // and may still be writing its files in `dir` meanwhile: retry while the folder fills.
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}
