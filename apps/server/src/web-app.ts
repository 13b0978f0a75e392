/**
 * Serves the built web client (`apps/web/dist`) at `/` from memory, every response under one
 * strict Content-Security-Policy: nothing from other origins, scripts only from this origin plus
 * WebAssembly compilation (SQLite), connections only to this origin (the relay's API and
 * WebSocket), no inline script or style, no framing. Content-hashed assets are cached for good;
 * everything else (the page, SQLite's WASM, whose name its loader fixes) is revalidated by
 * ETag, so a new build is picked up at the next load.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { RelayPlugin } from '@parley/relay';
import { MAX_WEB_BYTES, MAX_WEB_FILES } from './limits.js';

/** The one policy for everything the web client loads. */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every web client response. */
export const WEB_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite's content-hashed asset names (`/assets/name-HASH.ext`), safe to cache for good. */
const HASHED = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z]+$/;

interface WebFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
  readonly immutable: boolean;
}

/** The build, read into memory: URL path → file. */
export type WebApp = ReadonlyMap<string, WebFile>;

export class WebAppError extends Error {
  override readonly name = 'WebAppError';
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Reads a build directory; undefined if it has no `index.html` (the client is not built). */
export function loadWebApp(dir: string): WebApp | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, WebFile>();
  let total = 0;
  for (const path of walk(dir)) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue;
    if (files.size >= MAX_WEB_FILES)
      throw new WebAppError(`more than ${MAX_WEB_FILES} files in ${dir}`);
    const body = readFileSync(path);
    total += body.length;
    if (total > MAX_WEB_BYTES) throw new WebAppError(`more than ${MAX_WEB_BYTES} bytes in ${dir}`);
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    files.set(url, {
      body,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: HASHED.test(url),
    });
  }
  const index = files.get('/index.html');
  if (index !== undefined) files.set('/', index);
  return files;
}

/** A relay plugin serving `app`: one GET (and HEAD) route per file. */
export function webAppPlugin(app: WebApp): RelayPlugin {
  return (fastify) => {
    for (const [url, file] of app) {
      fastify.get(url, async (request, reply) => {
        void reply.headers(WEB_HEADERS);
        void reply.header('etag', file.etag);
        void reply.header(
          'cache-control',
          file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
        void reply.type(file.type);
        if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
        return reply.send(file.body);
      });
    }
  };
}
