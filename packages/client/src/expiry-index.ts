/**
 * The stored messages that will disappear, indexed by when, so that a sweep reads the expired
 * messages only, not the whole history. Namespace `expiry`: one small entry per stored message
 * (1:1 or group) that has an `expiresAt`, keyed `TIME/NAMESPACE/KEY` with TIME in fixed-width
 * hex, so the index lists in expiry order. `records.putMessage` and `groupRecords.putMessage`
 * write it in the message's transaction (edits and tombstones keep the message's key and time,
 * so they rewrite the same entry); the sweep removes an entry with its message, and drops one
 * whose message is gone or no longer due. Namespace `expiry-meta` holds `built` and `next`, a
 * time no later than the earliest entry, so a sweep with nothing due reads these two only.
 *
 * A store written before the index existed has no `built` mark: the first sweep indexes its
 * history in one pass (`disappearing.ts`), as do imports that write records raw (a backup
 * restore, a linked device's history). The backend's keys are HMACs (SQLite), so the index is
 * read whole when something is due: one small entry per message still waiting to disappear,
 * and the messages themselves only when they have expired.
 */
import { utf8Decode, utf8Encode } from '@parley/bytes';
import type { StorageReader, StorageWriter } from './storage.js';

const NS_EXPIRY = 'expiry';
const NS_EXPIRY_META = 'expiry-meta';
const BUILT = 'built';
const NEXT = 'next';
const RECORD_VERSION = 1;
/** Hex digits of a time in a key: enough for `Number.MAX_SAFE_INTEGER` (ms). */
const TIME_DIGITS = 14;

/** A message due to disappear: where it is stored and when. */
export interface ExpiryEntry {
  readonly ns: string;
  readonly key: string;
  readonly expiresAt: number;
}

/** Rounded up, so an entry is never due before its message. */
const clampTime = (t: number): number =>
  Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(t)));

const indexKey = (ns: string, key: string, expiresAt: number): string =>
  `${clampTime(expiresAt).toString(16).padStart(TIME_DIGITS, '0')}/${ns}/${key}`;

function parseKey(k: string): ExpiryEntry | undefined {
  const a = k.indexOf('/');
  const b = a < 0 ? -1 : k.indexOf('/', a + 1);
  if (a !== TIME_DIGITS || b < 0) return undefined;
  const expiresAt = parseInt(k.slice(0, a), 16);
  if (!Number.isSafeInteger(expiresAt)) return undefined;
  return { ns: k.slice(a + 1, b), key: k.slice(b + 1), expiresAt };
}

/** The `next` mark: no entry is due before it; undefined when the index is empty. */
export function nextExpiry(r: StorageReader): number | undefined {
  const bytes = r.get(NS_EXPIRY_META, NEXT);
  if (bytes === undefined) return undefined;
  const t = Number(utf8Decode(bytes));
  // A damaged mark: sweep, and let the sweep set it again.
  return Number.isFinite(t) ? t : 0;
}

function setNext(w: StorageWriter, t: number | undefined): void {
  if (t === undefined) w.delete(NS_EXPIRY_META, NEXT);
  else w.put(NS_EXPIRY_META, NEXT, utf8Encode(String(t)));
}

/**
 * Indexes a message that has an expiry (a message without one is not indexed); the message
 * writers call it for every write, in the same transaction.
 */
export function trackExpiry(
  w: StorageWriter,
  ns: string,
  key: string,
  expiresAt: number | undefined,
): void {
  if (expiresAt === undefined || !Number.isFinite(expiresAt)) return;
  const at = clampTime(expiresAt);
  const k = indexKey(ns, key, at);
  // A rewrite (a status change, an edit, a tombstone) finds its entry, and `next` is no later.
  if (w.get(NS_EXPIRY, k) !== undefined) return;
  w.put(NS_EXPIRY, k, utf8Encode(String(RECORD_VERSION)));
  const next = nextExpiry(w);
  if (next === undefined || at < next) setNext(w, at);
}

/** Whether the index covers the store's history (false on a store written before it existed). */
export function expiryIndexBuilt(r: StorageReader): boolean {
  return r.get(NS_EXPIRY_META, BUILT) !== undefined;
}

export function markExpiryIndexBuilt(w: StorageWriter): void {
  w.put(NS_EXPIRY_META, BUILT, utf8Encode(String(RECORD_VERSION)));
}

/**
 * Takes the entries due at `now` out of the index, oldest first, and moves `next` to the
 * earliest entry left. Reads only `next` when nothing is due.
 */
export function takeDue(w: StorageWriter, now: number): ExpiryEntry[] {
  const next = nextExpiry(w);
  if (next === undefined || next > now) return [];
  const due: ExpiryEntry[] = [];
  let rest: number | undefined;
  for (const [k] of w.list(NS_EXPIRY)) {
    const e = parseKey(k);
    if (e !== undefined && e.expiresAt > now) {
      rest = e.expiresAt;
      break;
    }
    w.delete(NS_EXPIRY, k);
    if (e !== undefined) due.push(e);
  }
  setNext(w, rest);
  return due;
}
