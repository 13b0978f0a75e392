/**
 * Serves the built web client (`apps/web/dist`) at `/` from memory, byte for byte as the build
 * wrote it (never templated), exactly the files its integrity manifest lists, and the manifest
 * itself at `/.well-known/parley-web-manifest.json` so anyone can check what this relay serves
 * (`parley web verify`). Every response carries one strict Content-Security-Policy (nothing from
 * other origins, scripts only from this origin, the page's import map by hash, WebAssembly
 * compilation for SQLite, connections only to this origin, no inline style, no framing); the
 * page also gets `Integrity-Policy`, so no script without integrity metadata runs. Files whose
 * bytes differ from the manifest are still served as they are (the relay does not fix a build;
 * the checker and the browser's service worker refuse it) and reported at start.
 * Content-hashed assets are cached for good; everything else is revalidated by ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { RelayPlugin } from '@parley/relay';
import {
  cspScriptHash,
  encodeRelayConfig,
  fileDigest,
  importMapText,
  MANIFEST_PATH,
  parseManifest,
  RELAY_CONFIG_PATH,
  webCsp,
  webHeaders,
  WebIntegrityError,
  type CspOptions,
  type WebManifest,
} from '@parley/web-integrity';
import { MAX_WEB_BYTES, MAX_WEB_FILES } from './limits.js';

/** The policy for a build without an import map and no other relay (see `webCsp`). */
export const WEB_CSP = webCsp();

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

/** The build, read into memory. */
export interface WebApp {
  /** URL path → file: the manifest's files, `/` for `/index.html`, and the manifest. */
  readonly files: ReadonlyMap<string, WebFile>;
  readonly manifest: WebManifest;
  /** Paths whose bytes on disk are not the ones the manifest lists. */
  readonly mismatches: readonly string[];
  /** The policy every response carries. */
  readonly csp: CspOptions;
}

export class WebAppError extends Error {
  override readonly name = 'WebAppError';
}

function webFile(path: string, body: Buffer): WebFile {
  return {
    body,
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable: HASHED.test(path),
  };
}

/**
 * Reads a build directory: undefined if it has no `index.html` (the client is not built);
 * throws {@link WebAppError} without a valid manifest, with a listed file missing or past the
 * limits. `connect` adds origins the page may connect to (none for the relay itself).
 */
export function loadWebApp(dir: string, connect: readonly string[] = []): WebApp | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const manifestFile = join(dir, ...MANIFEST_PATH.split('/'));
  if (!existsSync(manifestFile))
    throw new WebAppError(`no manifest at ${manifestFile}: build with npm run build:web`);
  const manifestBytes = readFileSync(manifestFile);
  let manifest: WebManifest;
  try {
    manifest = parseManifest(manifestBytes.toString('utf8'));
  } catch (e) {
    if (e instanceof WebIntegrityError) throw new WebAppError(`${manifestFile}: ${e.message}`);
    throw e;
  }
  if (manifest.files.length > MAX_WEB_FILES)
    throw new WebAppError(`more than ${MAX_WEB_FILES} files in ${dir}`);
  const files = new Map<string, WebFile>();
  const mismatches: string[] = [];
  let total = 0;
  for (const f of manifest.files) {
    const path = join(dir, ...f.path.split('/'));
    if (!existsSync(path) || !statSync(path).isFile())
      throw new WebAppError(`${f.path} is in the manifest but not in ${dir}`);
    const body = readFileSync(path);
    total += body.length;
    if (total > MAX_WEB_BYTES) throw new WebAppError(`more than ${MAX_WEB_BYTES} bytes in ${dir}`);
    if (fileDigest(body) !== f.sha256 || body.length !== f.size) mismatches.push(f.path);
    files.set(f.path, webFile(f.path, body));
  }
  const index = files.get('/index.html');
  if (index === undefined) throw new WebAppError('the manifest does not list /index.html');
  files.set('/', index);
  files.set(MANIFEST_PATH, webFile(MANIFEST_PATH, manifestBytes));
  // The page's relay is this origin (`parley web serve` answers another one).
  files.set(RELAY_CONFIG_PATH, webFile(RELAY_CONFIG_PATH, Buffer.from(encodeRelayConfig(null))));
  const map = importMapText(index.body.toString('utf8'));
  const csp: CspOptions = {
    scriptHashes: map === undefined ? [] : [cspScriptHash(map)],
    connect,
  };
  return { files, manifest, mismatches, csp };
}

/** A relay plugin serving `app`: one GET (and HEAD) route per file. */
export function webAppPlugin(app: WebApp): RelayPlugin {
  return (fastify) => {
    for (const [url, file] of app.files) {
      const headers = webHeaders(url, app.csp);
      fastify.get(url, async (request, reply) => {
        void reply.headers(headers);
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
