/**
 * What the relay needs from a key transparency log, without knowing the protocol: a way to pass
 * a client's query bytes through, and a sink for the account changes the log must publish. The
 * relay never parses a query or an answer (it stays blind to what is looked up beyond what it
 * already serves); apps/server implements this over the log service's HTTP API.
 */
import type { KtOperation } from '@parley/api';

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
  /** Publishes a committed change (queued; never throws, never blocks the request). */
  publish(change: KtAccountChange): void;
}
