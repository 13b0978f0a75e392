import type { BlobStore } from './blobs/types.js';
import type { FanOut } from './fanout/types.js';
import type { KeyTransBridge } from './keytrans.js';
import type { RelayMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import type { Storage } from './storage/types.js';

/** Bounds a deployment (or a test) may tighten; defaults come from `limits.ts`. */
export interface RelayLimits {
  readonly maxQueueDepth: number;
  readonly maxMessageAgeMs: number;
  readonly maxInFlight: number;
  readonly heartbeatIntervalMs: number;
  readonly authTimeoutMs: number;
}

/** What every route and the WebSocket delivery share. */
export interface RelayContext {
  readonly storage: Storage;
  readonly blobs: BlobStore;
  readonly fanOut: FanOut;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  readonly limits: RelayLimits;
  /** Per-account limiter (HTTP requests and WebSocket sends share it); none when disabled. */
  readonly accountLimiter: RateLimiter | undefined;
  /** Hex SHA-256 of the operator's metrics token; `/metrics` is open when undefined. */
  readonly metricsTokenHash: string | undefined;
  /** Where committed account changes are published (key transparency), if anywhere. */
  readonly keyTransparency: KeyTransBridge | undefined;
}
