/**
 * A real key transparency log (the log service of apps/keytrans-log, memory storage, short
 * entries) behind a real relay that publishes into it, and clients whose fetches a test may
 * rewrite (a hostile relay serving keys outside the log) or whose KT queries it may withhold.
 */
import { KT_128_SHA256_ED25519, createSuite } from '@parley/keytrans';
import {
  MemoryLogStorage,
  createLogBridge,
  createLogService,
  type LogBridge,
  type LogService,
} from '@parley/keytrans-log';
import { createMemoryStorage, createRelay } from '@parley/relay';
import { ParleyClient } from '../src/client.js';
import { RelayHttp, type FetchLike } from '../src/http.js';
import { MemoryBackend } from '../src/storage.js';
import { relayKtTransport, type KtTransport } from '../src/transparency-transport.js';
import { nodeFetch, primitives } from './harness.js';

export const PERIOD_MS = 100;
export const RMW_MS = 60 * 60_000;

export interface KtWorld {
  readonly base: string;
  readonly log: LogService;
  readonly bridge: LogBridge;
  /** Resolves once every account change is in the log (and one more entry passed). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startKtWorld(): Promise<KtWorld> {
  const suite = createSuite(primitives);
  const keys = { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) };
  const log = createLogService({
    storage: new MemoryLogStorage(),
    primitives,
    keys,
    config: {
      ciphersuite: KT_128_SHA256_ED25519,
      mode: 1,
      leafPublicKey: new Uint8Array(),
      signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
      vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
      maxAhead: 5 * 60_000,
      maxBehind: 24 * 60 * 60_000,
      reasonableMonitoringWindow: RMW_MS,
    },
    period: PERIOD_MS,
    recentWindow: 7 * RMW_MS,
  });
  log.start();
  const logBase = await log.app.listen({ host: '127.0.0.1', port: 0 });
  const bridge = createLogBridge({ baseUrl: logBase, primitives, warn: () => undefined });
  const app = await createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    sweepIntervalMs: false,
    keyTransparency: bridge,
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    base,
    log,
    bridge,
    async settle() {
      await bridge.idle();
      await new Promise((r) => setTimeout(r, 2 * PERIOD_MS));
    },
    async close() {
      bridge.close();
      await app.close();
      await log.close();
    },
  };
}

export interface KtClientOptions {
  readonly fetchFn?: FetchLike;
  readonly transport?: (inner: KtTransport) => KtTransport;
  readonly now?: () => number;
}

export function ktClient(base: string, o: KtClientOptions = {}) {
  const backend = new MemoryBackend();
  const inner = relayKtTransport(base);
  const client = new ParleyClient({
    backend,
    primitives,
    relay: new RelayHttp(base, o.fetchFn ?? nodeFetch),
    ...(o.now === undefined ? {} : { now: o.now }),
    keyTransparency: {
      policy: 'required',
      transport: o.transport === undefined ? inner : o.transport(inner),
    },
  });
  return { client, backend };
}

export interface SplitWorld extends KtWorld {
  /** A second log under the same signing key, fed the same changes, with its own history. */
  readonly other: LogService;
  readonly otherBridge: LogBridge;
  /** A KT transport straight to the second log (what a relay showing a split view serves). */
  readonly otherTransport: KtTransport;
  /** Stops sequencing (both logs keep their size) or starts it again. */
  pause(paused: boolean): void;
}

/**
 * A hostile log operator showing two views: two log services with one signing and VRF key, fed
 * the same account changes by the relay, sequenced in lockstep (so their sizes match) but with
 * timestamps 1 ms apart, so every head after the first differs in root.
 */
export async function startSplitWorld(): Promise<SplitWorld> {
  const suite = createSuite(primitives);
  const keys = { signingKey: primitives.randomBytes(32), vrfKey: primitives.randomBytes(32) };
  const config = {
    ciphersuite: KT_128_SHA256_ED25519,
    mode: 1 as const,
    leafPublicKey: new Uint8Array(),
    signaturePublicKey: primitives.ed25519.publicKey(keys.signingKey),
    vrfPublicKey: suite.vrfPublicKey(keys.vrfKey),
    maxAhead: 5 * 60_000,
    maxBehind: 24 * 60 * 60_000,
    reasonableMonitoringWindow: RMW_MS,
  };
  const logs = [0, 1].map((skew) =>
    createLogService({
      storage: new MemoryLogStorage(),
      primitives,
      keys,
      config,
      period: PERIOD_MS,
      recentWindow: 7 * RMW_MS,
      now: () => Date.now() + skew,
    }),
  );
  const [log, other] = logs as [LogService, LogService];
  let paused = false;
  const timer = setInterval(() => {
    if (paused) return;
    log.sequence();
    other.sequence();
  }, PERIOD_MS);
  const bridges = await Promise.all(
    logs.map(async (l) =>
      createLogBridge({
        baseUrl: await l.app.listen({ host: '127.0.0.1', port: 0 }),
        primitives,
        warn: () => undefined,
      }),
    ),
  );
  const [bridge, otherBridge] = bridges as [LogBridge, LogBridge];
  const app = await createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    sweepIntervalMs: false,
    keyTransparency: {
      config: () => bridge.config(),
      query: (operation, body) => bridge.query(operation, body),
      publish: async (change) => {
        await Promise.all([bridge.publish(change), otherBridge.publish(change)]);
      },
    },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const otherTransport: KtTransport = {
    config: () => otherBridge.config(),
    async query(_auth, operation, body) {
      const answer = await otherBridge.query(operation, body);
      if (answer.status !== 200) throw new Error(`the second log refused: ${answer.code ?? ''}`);
      return answer.body;
    },
  };
  return {
    base,
    log,
    bridge,
    other,
    otherBridge,
    otherTransport,
    pause(p: boolean) {
      paused = p;
    },
    async settle() {
      await Promise.all([bridge.idle(), otherBridge.idle()]);
      await new Promise((r) => setTimeout(r, 2 * PERIOD_MS));
    },
    async close() {
      clearInterval(timer);
      for (const b of bridges) b.close();
      await app.close();
      for (const l of logs) await l.close();
    },
  };
}
