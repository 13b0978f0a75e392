/**
 * `parley web serve --relay URL`: serves this checkout's build of the web client on loopback
 * against a remote relay, so a careful user runs code they built and trusts the relay with
 * ciphertext only. The files are served exactly as the build wrote them, after checking each
 * against the build's own manifest; the page's CSP allows connections to that relay alone, and
 * the relay must allow this origin (`parley-server --allow-origin http://127.0.0.1:PORT`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname } from 'node:path';
import {
  cspScriptHash,
  encodeRelayConfig,
  fileDigest,
  importMapText,
  MANIFEST_PATH,
  parseManifest,
  RELAY_CONFIG_PATH,
  relayConnectSources,
  webHeaders,
  type WebManifest,
} from '@parley/web-integrity';
import type { Output } from './commands.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** A running local server. */
export interface WebServe {
  readonly url: string;
  readonly manifest: WebManifest;
  close(): Promise<void>;
}

/** Starts serving `dist` on 127.0.0.1:`port` (0: any free port) against `relay`. */
export async function startWebServe(options: {
  readonly dist: string;
  readonly relay: string;
  readonly port: number;
}): Promise<WebServe> {
  const manifestFile = `${options.dist}${MANIFEST_PATH}`;
  if (!existsSync(manifestFile))
    throw new Error(`no build in ${options.dist}: run npm run build:web`);
  const manifestBytes = readFileSync(manifestFile);
  const manifest = parseManifest(manifestBytes.toString('utf8'));
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of manifest.files) {
    const body = readFileSync(`${options.dist}${f.path}`);
    if (fileDigest(body) !== f.sha256)
      throw new Error(`${f.path} differs from the build's manifest`);
    files.set(f.path, { body, type: TYPES[extname(f.path)] ?? 'application/octet-stream' });
  }
  const index = files.get('/index.html');
  if (index === undefined) throw new Error('the build has no /index.html');
  files.set('/', index);
  files.set(MANIFEST_PATH, { body: manifestBytes, type: 'application/json' });
  files.set(RELAY_CONFIG_PATH, {
    body: Buffer.from(encodeRelayConfig(options.relay)),
    type: 'application/json',
  });
  const map = importMapText(index.body.toString('utf8'));
  const csp = {
    scriptHashes: map === undefined ? [] : [cspScriptHash(map)],
    connect: relayConnectSources(options.relay),
  };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const file =
      request.method === 'GET' || request.method === 'HEAD' ? files.get(path) : undefined;
    if (file === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    response.writeHead(200, {
      ...webHeaders(path, csp),
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
    });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}`,
    manifest,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serves until SIGINT or SIGTERM; returns the exit code. */
export async function serveWeb(
  options: { readonly dist: string; readonly relay: string; readonly port: number },
  out: Output,
): Promise<number> {
  const serve = await startWebServe(options);
  out.line(
    `parley web: serving the local build (root ${serve.manifest.root}) at ${serve.url} against ${options.relay}\n` +
      `the relay must allow this origin: parley-server --allow-origin ${serve.url}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await serve.close();
  return 0;
}
