/**
 * The service worker that pins the web client's code (issue 15) and gives it an offline shell
 * (issue 11). At its first install it fetches the relay's manifest, downloads every file it
 * lists, checks each against its SHA-256 (the manifest's own root is checked by the parser), and
 * records that manifest as the pin. From then on it answers every request for one of those
 * files from its cache, and any file it must fetch again only if it matches the pinned hash: the
 * page, its scripts, the engine worker and SQLite's WASM all come from the pinned build, online
 * or offline. A different root offered by the relay is never run by itself: the page shows the
 * pinned and the offered roots, and only when the person chooses to continue does it ask this
 * worker to download, check and pin the new build. Requests outside the build (the API, the
 * manifest, the relay choice) go to the network untouched.
 *
 * Limit (the web platform's, stated in SECURITY.md): the browser fetches this script itself from
 * the relay, bypassing any worker, so a relay that replaces this script can replace the pin.
 */
import { MANIFEST_PATH, parseManifest, fileDigest, type WebManifest } from '@parley/web-integrity';
import {
  CODE_CACHE_PREFIX,
  PIN_CACHE,
  PIN_KEY,
  type PinReply,
  type PinRequest,
  type PinStatus,
} from './pin-protocol.js';

// The few service-worker types used here (the DOM library does not declare them).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface ServiceWorkerScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (e: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (e: ExtendableMessageEvent) => void): void;
}
const sw = self as unknown as ServiceWorkerScope;

class PinError extends Error {}

let pinned: WebManifest | undefined;

async function readPin(): Promise<WebManifest | undefined> {
  if (pinned !== undefined) return pinned;
  const response = await (await caches.open(PIN_CACHE)).match(PIN_KEY);
  if (response === undefined) return undefined;
  pinned = parseManifest(await response.text());
  return pinned;
}

async function fetchManifest(): Promise<WebManifest> {
  const response = await fetch(MANIFEST_PATH, { cache: 'no-store' });
  if (!response.ok) throw new PinError(`manifest: HTTP ${response.status}`);
  return parseManifest(await response.text());
}

/** Fetches `path` from the relay; a response whose bytes are not the manifest's is refused. */
async function fetchChecked(manifest: WebManifest, path: string): Promise<Response> {
  const entry = manifest.files.find((f) => f.path === path);
  if (entry === undefined) throw new PinError(`${path} is not in the pinned build`);
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new PinError(`${path}: HTTP ${response.status}`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length !== entry.size || fileDigest(body) !== entry.sha256)
    throw new PinError(`${path} does not match the pinned build`);
  return new Response(body, { status: 200, statusText: 'OK', headers: response.headers });
}

/** Downloads and checks every file of `manifest`, then makes it the pin. */
async function pin(manifest: WebManifest): Promise<void> {
  const name = `${CODE_CACHE_PREFIX}${manifest.root}`;
  const cache = await caches.open(name);
  for (const f of manifest.files)
    if ((await cache.match(f.path)) === undefined)
      await cache.put(f.path, await fetchChecked(manifest, f.path));
  const text = JSON.stringify(manifest);
  await (
    await caches.open(PIN_CACHE)
  ).put(PIN_KEY, new Response(text, { headers: { 'content-type': 'application/json' } }));
  pinned = manifest;
  for (const key of await caches.keys())
    if (key.startsWith(CODE_CACHE_PREFIX) && key !== name) await caches.delete(key);
}

async function serve(request: Request, path: string): Promise<Response> {
  const manifest = await readPin();
  if (manifest === undefined) return fetch(request);
  const file = path === '/' ? '/index.html' : path;
  if (!manifest.files.some((f) => f.path === file)) return fetch(request);
  const cache = await caches.open(`${CODE_CACHE_PREFIX}${manifest.root}`);
  const cached = await cache.match(file);
  if (cached !== undefined) return cached;
  try {
    const response = await fetchChecked(manifest, file);
    await cache.put(file, response.clone());
    return response;
  } catch (e) {
    const why = e instanceof PinError ? e.message : 'offline';
    return new Response(`Parley refused ${file}: ${why}.`, {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  }
}

async function status(): Promise<PinStatus> {
  const manifest = await readPin();
  let offered: string | null;
  try {
    offered = (await fetchManifest()).root;
  } catch {
    offered = null;
  }
  return { pinned: manifest?.root ?? null, offered };
}

async function answer(request: PinRequest): Promise<PinReply> {
  try {
    if (request.type === 'accept') {
      const offered = await fetchManifest();
      if (offered.root !== request.root)
        throw new PinError('the relay changed its code again; look at the new root first');
      await pin(offered);
    }
    return { ok: true, status: await status() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : 'failed' };
  }
}

sw.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // Trust on first use: the first manifest seen is pinned; a later install keeps the pin.
      const existing = await readPin();
      await pin(existing ?? (await fetchManifest()));
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== sw.location.origin || event.request.method !== 'GET') return;
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  // Outside the build (the API, the manifest, the relay choice): the network, untouched.
  if (pinned !== undefined && !pinned.files.some((f) => f.path === path)) return;
  if (path.startsWith('/v1/') || path.startsWith('/.well-known/')) return;
  event.respondWith(serve(event.request, url.pathname));
});

sw.addEventListener('message', (event) => {
  const port = event.ports[0];
  const data = event.data as Partial<PinRequest> | null;
  if (port === undefined || data === null || typeof data !== 'object') return;
  const request: PinRequest | undefined =
    data.type === 'status'
      ? { type: 'status' }
      : data.type === 'accept' && typeof data.root === 'string'
        ? { type: 'accept', root: data.root }
        : undefined;
  if (request === undefined) return;
  event.waitUntil(answer(request).then((reply) => port.postMessage(reply)));
});
