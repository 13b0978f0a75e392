/**
 * The engine's own records, kept in the same encrypted store as the SDK's under `web-*`
 * namespaces: conversations opened before any message and their read marks, timeline events
 * (membership changes with who made them, key changes), messages that failed and why, the
 * contacts whose safety number the user verified (with the account key they verified), and the
 * account's settings. Versioned JSON like the SDK's records.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { StorageReader, StorageWriter } from '@parley/client';
import type { ConversationId, TimelineItem } from './protocol.js';

export const WEB_NS = {
  conv: 'web-conv',
  event: 'web-event',
  failed: 'web-failed',
  settings: 'web-settings',
  verified: 'web-verified',
} as const;

const RECORD_VERSION = 1;

export interface ConvRecord {
  readonly id: ConversationId;
  /** Incoming messages sent at or before this time are read. */
  readonly readAt: number;
}

export interface FailedRecord {
  readonly code: string;
}

export interface Settings {
  /** Send read receipts (delivery receipts are always sent, as the SDK does). */
  readonly readReceipts: boolean;
}

export const DEFAULT_SETTINGS: Settings = { readReceipts: true };

function put(w: StorageWriter, ns: string, key: string, value: object): void {
  w.put(ns, key, utf8Encode(JSON.stringify({ rv: RECORD_VERSION, ...value })));
}

function read(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(utf8Decode(bytes));
    return typeof v === 'object' && v !== null && (v as { rv?: unknown }).rv === RECORD_VERSION
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export const webRecords = {
  convs: (r: StorageReader): ConvRecord[] =>
    r.list(WEB_NS.conv).flatMap(([, v]) => {
      const c = read(v);
      return typeof c?.['id'] === 'string' && typeof c['readAt'] === 'number'
        ? [{ id: c['id'], readAt: c['readAt'] }]
        : [];
    }),
  conv: (r: StorageReader, id: ConversationId): ConvRecord | undefined => {
    const c = read(r.get(WEB_NS.conv, id));
    return typeof c?.['readAt'] === 'number' ? { id, readAt: c['readAt'] } : undefined;
  },
  putConv: (w: StorageWriter, c: ConvRecord): void => {
    put(w, WEB_NS.conv, c.id, c);
  },
  events: (r: StorageReader): TimelineItem[] =>
    r.list(WEB_NS.event).flatMap(([, v]) => {
      const e = read(v);
      return e === undefined ? [] : [e as unknown as TimelineItem];
    }),
  putEvent: (w: StorageWriter, item: TimelineItem): void => {
    put(w, WEB_NS.event, `${item.conv}/${item.id}`, item);
  },
  failed: (r: StorageReader, messageId: string): FailedRecord | undefined => {
    const f = read(r.get(WEB_NS.failed, messageId));
    return typeof f?.['code'] === 'string' ? { code: f['code'] } : undefined;
  },
  putFailed: (w: StorageWriter, messageId: string, f: FailedRecord): void => {
    put(w, WEB_NS.failed, messageId, f);
  },
  deleteFailed: (w: StorageWriter, messageId: string): void => {
    w.delete(WEB_NS.failed, messageId);
  },
  settings: (r: StorageReader): Settings => {
    const s = read(r.get(WEB_NS.settings, 'settings'));
    return {
      readReceipts:
        typeof s?.['readReceipts'] === 'boolean'
          ? s['readReceipts']
          : DEFAULT_SETTINGS.readReceipts,
    };
  },
  putSettings: (w: StorageWriter, s: Settings): void => {
    put(w, WEB_NS.settings, 'settings', s);
  },
  /** Whether the relay said this device was removed from its account (kept: it stays so). */
  removed: (r: StorageReader): boolean => read(r.get(WEB_NS.settings, 'removed')) !== undefined,
  putRemoved: (w: StorageWriter): void => {
    put(w, WEB_NS.settings, 'removed', { removed: true });
  },
  /** The account key (base64) the user verified for `username`, if any. */
  verifiedKey: (r: StorageReader, username: string): string | undefined => {
    const v = read(r.get(WEB_NS.verified, username));
    return typeof v?.['accountKey'] === 'string' ? v['accountKey'] : undefined;
  },
  putVerified: (w: StorageWriter, username: string, accountKey: string | undefined): void => {
    if (accountKey === undefined) w.delete(WEB_NS.verified, username);
    else put(w, WEB_NS.verified, username, { accountKey });
  },
};
