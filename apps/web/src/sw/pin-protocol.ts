/**
 * The messages between a page and the service worker that pins the client's code (both sides
 * import this file; it holds no code the service worker bundle would share with the page).
 */

/** Cache Storage names: the pin, and one cache of files per pinned root. */
export const PIN_CACHE = 'parley-pin';
/** The pinned manifest's key in {@link PIN_CACHE} (never a real URL of the app). */
export const PIN_KEY = '/__parley/pinned-manifest.json';
export const CODE_CACHE_PREFIX = 'parley-code-';
/** The service worker's URL; it controls the whole origin. */
export const SERVICE_WORKER_URL = '/sw.js';

export type PinRequest =
  { readonly type: 'status' } | { readonly type: 'accept'; readonly root: string };

/** What the page is told: the root it runs and the one the relay offers now (null: unknown). */
export interface PinStatus {
  readonly pinned: string | null;
  readonly offered: string | null;
}

export type PinReply =
  | { readonly ok: true; readonly status: PinStatus }
  | { readonly ok: false; readonly error: string };
