import { createNodePrimitives } from '@parley/primitives-node';
import { HostileLog } from './hostile-log.js';
import {
  KT_128_SHA256_ED25519,
  MemoryKeyTransStore,
  createSuite,
  type ClientContext,
  type Configuration,
  type KeyTransChanges,
  type Suite,
} from '../src/index.js';

/** A log and its configuration for tests: keys from a fixed seed, a controllable clock. */
export interface TestLog {
  readonly suite: Suite;
  readonly config: Configuration;
  readonly log: HostileLog;
  readonly ctx: ClientContext;
  readonly signingKey: Uint8Array;
  readonly vrfKey: Uint8Array;
  auditorKey?: Uint8Array;
  /** The clock: every sequenced entry advances it by `step` ms unless told otherwise. */
  now: number;
  /** Sequences one entry `step` ms after the last. */
  tick(step?: number): void;
}

export const MINUTE = 60_000;
export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface TestLogOptions {
  readonly rmw?: number;
  readonly mode?: 1 | 3;
  readonly maxAuditorLag?: number;
  readonly auditorStartPos?: number;
  readonly recentWindow?: number;
}

export function createTestLog(options: TestLogOptions = {}): TestLog {
  const primitives = createNodePrimitives();
  const suite = createSuite(primitives);
  const signingKey = seededBytes(1, 32);
  const vrfKey = seededBytes(2, 32);
  const auditorKey = seededBytes(3, 32);
  const mode = options.mode ?? 1;
  const config: Configuration = {
    ciphersuite: KT_128_SHA256_ED25519,
    mode,
    signaturePublicKey: primitives.ed25519.publicKey(signingKey),
    vrfPublicKey: suite.vrfPublicKey(vrfKey),
    ...(mode === 3
      ? {
          maxAuditorLag: options.maxAuditorLag ?? 10 * MINUTE,
          auditorStartPos: options.auditorStartPos ?? 0,
          auditorPublicKey: primitives.ed25519.publicKey(auditorKey),
        }
      : { leafPublicKey: new Uint8Array() }),
    maxAhead: 10 * MINUTE,
    maxBehind: 24 * 60 * MINUTE,
    reasonableMonitoringWindow: options.rmw ?? 30 * MINUTE,
  };
  const log = new HostileLog(
    suite,
    config,
    { signingKey, vrfKey },
    { recentWindow: options.recentWindow ?? 24 * 60 * MINUTE },
  );
  const t: TestLog = {
    suite,
    config,
    log,
    ctx: { suite, config },
    signingKey,
    vrfKey,
    auditorKey,
    now: T0,
    tick(step = MINUTE) {
      this.now += step;
      log.sequence(this.now);
    },
  };
  return t;
}

export const label = (s: string): Uint8Array => new TextEncoder().encode(s);
export const value = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Applies changes to a store and returns them (for chaining in tests). */
export function apply(store: MemoryKeyTransStore, changes: KeyTransChanges): void {
  store.commit(changes);
}

/** A deep snapshot of a memory store, to assert that a failed operation changed nothing. */
export function snapshot(store: MemoryKeyTransStore): string {
  return JSON.stringify(
    { head: store.head(), contacts: store.contacts(), owners: store.owners() },
    (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v),
  );
}

/** The value, or a test failure if it is missing. */
export function must<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error('expected a value');
  return value;
}
