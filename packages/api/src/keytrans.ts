/**
 * Key transparency through the relay: the relay forwards a client's -05 queries to its log
 * service as opaque bytes (it parses nothing), and answers the log's configuration. Updates are
 * not forwarded: the relay itself publishes registrations, account-key and device-list changes.
 */
// The builder's functions one by one (not the `Type` object), so a bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/** The queries a client may send through the relay (the log's paths under `/kt/v1/`). */
export const KT_OPERATIONS = [
  'search',
  'contact-monitor',
  'owner-init',
  'owner-monitor',
  'distinguished',
  'head-consistency',
] as const;
export type KtOperation = (typeof KT_OPERATIONS)[number];

/**
 * Largest KT query body the relay forwards (a monitor request with the most map entries is a
 * few KB; the log refuses anything it cannot parse).
 */
export const MAX_KT_QUERY_BYTES = 64 * 1024;

export const KtParams = Type.Object(
  { operation: Type.Union(KT_OPERATIONS.map((o) => Type.Literal(o))) },
  { additionalProperties: false },
);
export type KtParams = Static<typeof KtParams>;

export const KT_ROUTES = {
  ktConfig: {
    method: 'GET',
    url: '/v1/kt/config',
    auth: 'device',
    summary:
      "The key transparency log's Configuration (-05 TLS bytes); `KT_UNAVAILABLE` when the relay has no log.",
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'KT_UNAVAILABLE'],
  },
  ktQuery: {
    method: 'POST',
    url: '/v1/kt/:operation',
    auth: 'device',
    summary:
      'Forwards a -05 query (search, contact-monitor, owner-init, owner-monitor, distinguished) or head-consistency (TLS bytes) to the log and returns its answer unchanged.',
    params: KtParams,
    body: 'octet-stream',
    bodyLimit: MAX_KT_QUERY_BYTES,
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'KT_UNAVAILABLE', 'KT_REFUSED'],
  },
} as const;

// What a relay needs from a key transparency log, without knowing the protocol: a way to pass
// a client's query bytes through, and a sink for the account changes the log must publish. The
// relay never parses a query or an answer; apps/keytrans-log implements it over its HTTP API.

/** The log's answer to a forwarded query: its HTTP status and body, passed through. */
export interface KtAnswer {
  readonly status: number;
  readonly body: Uint8Array;
  /** The log's error code when `status` is not 200. */
  readonly code?: string;
}

/** An account change the log must publish, after the relay committed it. */
export type KtAccountChange =
  | {
      readonly kind: 'registered';
      readonly accountId: string;
      readonly username: string;
      readonly identityKey: Uint8Array;
    }
  | {
      readonly kind: 'account-key';
      readonly accountId: string;
      readonly identityKey: Uint8Array;
      readonly deviceList: { readonly version: number; readonly blob: Uint8Array };
    }
  | {
      readonly kind: 'device-list';
      readonly accountId: string;
      readonly version: number;
      readonly blob: Uint8Array;
    }
  | { readonly kind: 'deleted'; readonly accountId: string; readonly username: string };

export interface KeyTransBridge {
  /** The log's Configuration bytes; throws when the log cannot be reached. */
  config(): Promise<Uint8Array>;
  /** Forwards a query's bytes; throws when the log cannot be reached. */
  query(operation: KtOperation, body: Uint8Array): Promise<KtAnswer>;
  /**
   * Publishes a committed change: queued, and durable in the relay's queue when the returned
   * promise resolves (the relay replies after that); rejects only when the queue cannot be
   * made durable. A bridge without a durable queue may return nothing.
   */
  publish(change: KtAccountChange): void | Promise<void>;
}
