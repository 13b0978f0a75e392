/**
 * The relay's link to its key transparency log (this package's HTTP API):
 * clients' queries pass through as bytes, and committed account changes are published in
 * batches (`POST /kt/v1/publish`, `publish-batch.ts`): one batch in flight at a time, holding
 * every label queued when it left (a batch waits for its log entry; the next fills meanwhile).
 * A newer value for a label replaces a queued one (the log only needs the latest); the log
 * skips a value equal to the label's greatest, so no search precedes a change; refused or
 * failed publications are retried after a pause.
 */
import type { KeyTransBridge, KtAccountChange, KtAnswer } from '@parley/api';
import {
  accountKeyLabel,
  decodeConfiguration,
  deviceListLabel,
  encodeAccountKeyValue,
  encodeDeviceListValue,
  encodeUsernameValue,
  limits,
  usernameLabel,
  type Configuration,
} from '@parley/keytrans';
import type { Primitives } from '@parley/primitives';
import {
  MAX_PUBLISH_BATCH,
  MAX_PUBLISH_BATCH_BYTES,
  encodePublishBatch,
  publicationBytes,
  type Publication,
  type PublishFailure,
} from './publish-batch.js';
import { openPublishJournal } from './publish-journal.js';

/** Most labels waiting to be published; past it changes are dropped (and logged). */
export const MAX_PENDING_LABELS = 100_000;
/** Pause before retrying a failed Update (the log is down or the label's entry is full). */
export const PUBLISH_RETRY_MS = 1_000;
/** How long a query or an Update may take (an Update waits for the next entry). */
export const LOG_REQUEST_TIMEOUT_MS = 5 * 60_000;
/** The log's batch publication route (`KT_ROUTES.publish`). */
const KT_PUBLISH_PATH = '/kt/v1/publish';
/** Refusals that a later entry may accept (the label or the entry was full). */
const RETRIED_CODES: ReadonlySet<string> = new Set(['UPDATE_PENDING', 'INTERNAL', 'UNAVAILABLE']);

/** The failures of a publish answer (`{ failed: [{ index, code }] }`); throws when malformed. */
function parseFailures(body: Uint8Array, count: number): PublishFailure[] {
  const parsed = JSON.parse(new TextDecoder().decode(body)) as { failed?: unknown };
  if (!Array.isArray(parsed.failed)) throw new Error('publish: malformed answer');
  return parsed.failed.map((f: unknown) => {
    const { index, code } = (f ?? {}) as { index?: unknown; code?: unknown };
    if (
      typeof index !== 'number' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= count ||
      typeof code !== 'string'
    )
      throw new Error('publish: malformed answer');
    return { index, code };
  });
}

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
  /** Queues a committed change; resolves once the journal's fsync covers it (at once without one). */
  publish(change: KtAccountChange): Promise<void>;
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
  const queued = new Map<string, Publication>();
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

  /** Labels waiting for the batch in flight to come back (a newer value waits for it). */
  let flushing = false;

  /** Takes the oldest queued values, up to a batch's count and byte bounds. */
  const takeBatch = (): Publication[] => {
    const batch: Publication[] = [];
    let size = 4;
    for (const [key, p] of queued) {
      const bytes = publicationBytes(p);
      if (batch.length >= MAX_PUBLISH_BATCH || size + bytes > MAX_PUBLISH_BATCH_BYTES) break;
      batch.push(p);
      size += bytes;
      queued.delete(key);
    }
    return batch;
  };

  /** Puts a value back unless a newer one for its label arrived meanwhile. */
  const requeue = (p: Publication): void => {
    const key = hex(p.label);
    if (!queued.has(key)) queued.set(key, p);
  };

  /** Sends one batch; true when something is to be retried after a pause. */
  const flushOnce = async (batch: Publication[]): Promise<boolean> => {
    let failed: PublishFailure[];
    try {
      const answer = await post(KT_PUBLISH_PATH, encodePublishBatch(batch));
      if (answer.status !== 200) throw new Error(`publish: ${answer.code ?? answer.status}`);
      failed = parseFailures(answer.body, batch.length);
    } catch (error) {
      if (isClosed()) return false;
      warn(
        `parley: key transparency publishing failed (${error instanceof Error ? error.message : 'error'}); retrying`,
      );
      for (const p of batch) requeue(p);
      return true;
    }
    const retried = new Set<number>();
    for (const f of failed) {
      if (RETRIED_CODES.has(f.code)) {
        requeue(batch[f.index] as Publication);
        retried.add(f.index);
      } else {
        // Retrying cannot help (the value is over a bound): report it and move on.
        warn(`parley: key transparency refused a publication (${f.code}); not retried`);
      }
    }
    // Published (or equal to the label's greatest value, or refused for good).
    journal?.done(batch.filter((_, i) => !retried.has(i)));
    return retried.size > 0;
  };

  /** One batch in flight at a time: a batch waits for its entry, the next one fills meanwhile. */
  const flush = async (): Promise<void> => {
    if (flushing) return;
    flushing = true;
    try {
      while (queued.size > 0 && !isClosed()) {
        const retry = await flushOnce(takeBatch());
        if (retry && !isClosed()) await new Promise((r) => setTimeout(r, PUBLISH_RETRY_MS));
      }
    } finally {
      flushing = false;
      settle();
    }
  };

  const settle = (): void => {
    if (queued.size === 0 && !flushing) {
      for (const w of idleWaiters) w();
      idleWaiters = [];
    }
  };

  /**
   * Queues the values of one account change (one journal write for all of them); resolves once
   * the journal's fsync covers them.
   */
  const enqueue = (values: readonly Publication[]): Promise<void> => {
    if (state.closed) return Promise.resolve();
    const accepted = values.filter((p) => {
      if (p.label.length > limits.MAX_LABEL_BYTES || p.value.length > limits.MAX_VALUE_BYTES) {
        warn('parley: key transparency label or value over its bound; not published');
        return false;
      }
      if (queued.has(hex(p.label)) || queued.size < MAX_PENDING_LABELS) {
        queued.set(hex(p.label), p);
        return true;
      }
      warn('parley: key transparency queue full; a change was not published');
      return false;
    });
    const durable = journal?.added(accepted) ?? Promise.resolve();
    void flush();
    return durable;
  };
  // What an earlier bridge (before a stop or crash) had not published yet.
  for (const p of journal?.pending ?? []) queued.set(hex(p.label), p);
  if (queued.size > 0) void flush();

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
          return enqueue([
            {
              label: usernameLabel(change.username),
              value: encodeUsernameValue(change.accountId),
            },
            {
              label: accountKeyLabel(change.accountId),
              value: encodeAccountKeyValue({ epoch: now(), publicKey: change.identityKey }),
            },
          ]);
        case 'account-key':
          return enqueue([
            {
              label: accountKeyLabel(change.accountId),
              value: encodeAccountKeyValue({ epoch: now(), publicKey: change.identityKey }),
            },
            {
              label: deviceListLabel(change.accountId),
              value: encodeDeviceListValue({
                version: change.deviceList.version,
                hash: sha256(change.deviceList.blob),
              }),
            },
          ]);
        case 'device-list':
          return enqueue([
            {
              label: deviceListLabel(change.accountId),
              value: encodeDeviceListValue({ version: change.version, hash: sha256(change.blob) }),
            },
          ]);
        case 'deleted':
          // The name is free again: it maps to no account until someone registers it.
          return enqueue([
            { label: usernameLabel(change.username), value: encodeUsernameValue('') },
          ]);
      }
    },
    idle() {
      if (queued.size === 0 && !flushing) return Promise.resolve();
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
