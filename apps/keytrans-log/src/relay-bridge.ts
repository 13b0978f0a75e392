/**
 * The relay's link to its key transparency log (this package's HTTP API):
 * clients' queries pass through as bytes, and committed account changes become Updates. Each
 * label has at most one Update in flight; a newer value for a label replaces a queued one
 * (the log only needs the latest), and a failed Update is retried after a pause.
 */
import type { KeyTransBridge, KtAccountChange, KtAnswer } from '@parley/api';
import { constantTimeEqual } from '@parley/bytes';
import {
  KeyTransError,
  accountKeyLabel,
  decodeConfiguration,
  decodeSearchResponse,
  deviceListLabel,
  encodeAccountKeyValue,
  encodeDeviceListValue,
  encodeSearchRequest,
  encodeUpdateRequest,
  encodeUsernameValue,
  usernameLabel,
  type Configuration,
} from '@parley/keytrans';
import type { Primitives } from '@parley/primitives';
import { openPublishJournal } from './publish-journal.js';

/** Most labels waiting to be published; past it changes are dropped (and logged). */
export const MAX_PENDING_LABELS = 100_000;
/** Pause before retrying a failed Update (the log is down or the label's entry is full). */
export const PUBLISH_RETRY_MS = 1_000;
/** How long a query or an Update may take (an Update waits for the next entry). */
export const LOG_REQUEST_TIMEOUT_MS = 5 * 60_000;

export interface LogBridgeOptions {
  /** The log service's base URL, e.g. `http://127.0.0.1:8090`. */
  /** May be a promise (a log still starting): requests wait for it, and fail if it rejects. */
  readonly baseUrl: string | Promise<string>;
  readonly primitives: Primitives;
  readonly now?: () => number;
  /** Where publishing failures are reported (never with key material). */
  readonly warn?: (message: string) => void;
  /**
   * A file for the durable queue (`publish-journal.ts`): values waiting to be published survive
   * a stop or crash and are published when a bridge opens it again. In memory when absent.
   */
  readonly journal?: string;
}

export interface LogBridge extends KeyTransBridge {
  /** Resolves once every queued change is in the log (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops publishing; queued changes are dropped. */
  close(): void;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function createLogBridge(options: LogBridgeOptions): LogBridge {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? ((m: string) => console.error(m));
  const baseUrl = Promise.resolve(options.baseUrl).then((u) => u.replace(/\/$/, ''));
  // An unhandled rejection would end the process; each request sees the failure instead.
  baseUrl.catch(() => undefined);
  let config: { bytes: Uint8Array; decoded: Configuration } | undefined;
  const state = { closed: false };
  const isClosed = (): boolean => state.closed;
  const queued = new Map<string, { label: Uint8Array; value: Uint8Array }>();
  const running = new Set<string>();
  let idleWaiters: (() => void)[] = [];
  const journal = options.journal === undefined ? undefined : openPublishJournal(options.journal);

  const post = async (path: string, body: Uint8Array): Promise<KtAnswer> => {
    const base = await baseUrl;
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      signal: AbortSignal.timeout(LOG_REQUEST_TIMEOUT_MS),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status === 200 || response.status === 204) return { status: 200, body: bytes };
    let code = 'INTERNAL';
    try {
      const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { code?: unknown };
      if (typeof parsed.code === 'string' && /^[A-Z_]{1,40}$/.test(parsed.code)) code = parsed.code;
    } catch {
      // not JSON: keep INTERNAL
    }
    return { status: response.status, body: bytes, code };
  };

  const getConfig = async (): Promise<{ bytes: Uint8Array; decoded: Configuration }> => {
    if (config !== undefined) return config;
    const base = await baseUrl;
    const response = await fetch(`${base}/kt/v1/config`, {
      signal: AbortSignal.timeout(LOG_REQUEST_TIMEOUT_MS),
    });
    if (response.status !== 200) throw new Error(`log config: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    config = { bytes, decoded: decodeConfiguration(bytes) };
    return config;
  };

  /** The label's greatest version and value in the log, or undefined when it has none. */
  const greatest = async (
    label: Uint8Array,
  ): Promise<{ version: number; value: Uint8Array } | undefined> => {
    const { decoded } = await getConfig();
    const answer = await post('/kt/v1/search', encodeSearchRequest({ label }));
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`search: ${answer.code ?? answer.status}`);
    const r = decodeSearchResponse(decoded.mode, false, answer.body);
    if (r.version === undefined) throw new KeyTransError('MALFORMED', 'no version');
    return { version: r.version, value: r.value.value };
  };

  /**
   * The greatest version and value of labels this bridge published (so the next change of a
   * label needs no search, which costs the log a VRF proof); dropped on any failure.
   */
  const known = new Map<string, { version: number; value: Uint8Array }>();

  const publishOne = async (label: Uint8Array, value: Uint8Array): Promise<void> => {
    const key = hex(label);
    const current = known.get(key) ?? (await greatest(label));
    known.delete(key);
    if (current !== undefined && constantTimeEqual(current.value, value)) {
      remember(key, current);
      return;
    }
    const answer = await post(
      '/kt/v1/update?answer=none',
      encodeUpdateRequest({
        label,
        ...(current === undefined ? {} : { greatestVersion: current.version }),
        values: [value],
      }),
    );
    if (answer.status !== 200) throw new Error(`update: ${answer.code ?? answer.status}`);
    remember(key, { version: current === undefined ? 0 : current.version + 1, value });
  };

  /** Publishes, then marks the value done in the journal (equal values count as published). */
  const publishDurably = async (label: Uint8Array, value: Uint8Array): Promise<void> => {
    await publishOne(label, value);
    journal?.done(label, value);
  };

  const remember = (key: string, v: { version: number; value: Uint8Array }): void => {
    // Bounded like the queue; forgetting only costs a search.
    if (known.size >= MAX_PENDING_LABELS) known.clear();
    known.set(key, v);
  };

  const settle = (): void => {
    if (queued.size === 0 && running.size === 0) {
      for (const w of idleWaiters) w();
      idleWaiters = [];
    }
  };

  const run = async (key: string): Promise<void> => {
    running.add(key);
    try {
      for (;;) {
        const next = queued.get(key);
        if (next === undefined || state.closed) break;
        queued.delete(key);
        try {
          await publishDurably(next.label, next.value);
        } catch (error) {
          if (isClosed()) break;
          warn(
            `parley: key transparency update failed (${error instanceof Error ? error.message : 'error'}); retrying`,
          );
          // Keep a newer value if one arrived meanwhile; otherwise retry this one.
          if (!queued.has(key)) queued.set(key, next);
          await new Promise((r) => setTimeout(r, PUBLISH_RETRY_MS));
        }
      }
    } finally {
      running.delete(key);
      settle();
    }
  };

  const enqueue = (label: Uint8Array, value: Uint8Array): void => {
    if (state.closed) return;
    const key = hex(label);
    if (!queued.has(key) && queued.size >= MAX_PENDING_LABELS) {
      warn('parley: key transparency queue full; a change was not published');
      return;
    }
    queued.set(key, { label, value });
    journal?.added(label, value);
    if (!running.has(key)) void run(key);
  };
  // What an earlier bridge (before a stop or crash) had not published yet.
  for (const p of journal?.pending ?? []) {
    queued.set(hex(p.label), p);
    if (!running.has(hex(p.label))) void run(hex(p.label));
  }

  const sha256 = (b: Uint8Array): Uint8Array => options.primitives.hash('sha256', b);

  return {
    async config() {
      return (await getConfig()).bytes;
    },
    async query(operation: string, body: Uint8Array) {
      return post(`/kt/v1/${operation}`, body);
    },
    publish(change: KtAccountChange) {
      switch (change.kind) {
        case 'registered':
          enqueue(usernameLabel(change.username), encodeUsernameValue(change.accountId));
          enqueue(
            accountKeyLabel(change.accountId),
            encodeAccountKeyValue({ epoch: now(), publicKey: change.identityKey }),
          );
          return;
        case 'account-key':
          enqueue(
            accountKeyLabel(change.accountId),
            encodeAccountKeyValue({ epoch: now(), publicKey: change.identityKey }),
          );
          enqueue(
            deviceListLabel(change.accountId),
            encodeDeviceListValue({
              version: change.deviceList.version,
              hash: sha256(change.deviceList.blob),
            }),
          );
          return;
        case 'device-list':
          enqueue(
            deviceListLabel(change.accountId),
            encodeDeviceListValue({ version: change.version, hash: sha256(change.blob) }),
          );
          return;
        case 'deleted':
          // The name is free again: it maps to no account until someone registers it.
          enqueue(usernameLabel(change.username), encodeUsernameValue(''));
          return;
      }
    },
    idle() {
      if (queued.size === 0 && running.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    close() {
      state.closed = true;
      // Not published yet: stays in the journal for the next bridge.
      queued.clear();
      journal?.close();
      settle();
    },
  };
}
