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
