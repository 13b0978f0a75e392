/**
 * The web client is served at / from memory, exactly the files its manifest lists, every
 * response under the strict policy; the manifest is published at its well-known path.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryStorage, createRelay } from '@parley/relay';
import {
  createManifest,
  cspScriptHash,
  encodeManifest,
  INTEGRITY_POLICY,
  MANIFEST_FORMAT,
  MANIFEST_PATH,
  parseManifest,
  webCsp,
} from '@parley/web-integrity';

import { parseConfig } from '../src/config.js';
import { MAX_WEB_FILES } from '../src/limits.js';
import { WEB_CSP, WebAppError, loadWebApp, webAppPlugin } from '../src/web-app.js';

const IMPORT_MAP = '{"integrity":{"/assets/index-C7FWBezT.js":"sha384-x"}}';
/** What `npm run build:web` writes: the manifest of every file under `dir`. */
function writeManifest(dir: string): void {
  const paths = ['/index.html', '/assets/index-C7FWBezT.js', '/assets/sqlite3.wasm'];
  const manifest = createManifest(
    '0.1.0',
    paths.map((path) => ({ path, bytes: readFileSync(join(dir, path)) })),
  );
  mkdirSync(join(dir, '.well-known'), { recursive: true });
  writeFileSync(join(dir, MANIFEST_PATH), encodeManifest(manifest));
}

const PAGE_CSP = webCsp({ scriptHashes: [cspScriptHash(IMPORT_MAP)] });

function build(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><title>Parley</title><script type="importmap">${IMPORT_MAP}</script>`,
  );
  writeFileSync(join(dir, 'assets', 'index-C7FWBezT.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'sqlite3.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeManifest(dir);
  writeFileSync(join(dir, 'assets', 'later.js'), 'not in the manifest, not served');
  return dir;
}

async function relayServing(dir: string) {
  const web = loadWebApp(dir);
  assert.ok(web !== undefined);
  return createRelay({
    storage: createMemoryStorage(),
    rateLimits: false,
    sweepIntervalMs: false,
    plugins: [webAppPlugin(web)],
  });
}

test('the policy: nothing by default, own scripts plus WASM, own connections, no framing', () => {
  for (const part of [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "connect-src 'self'",
    "style-src 'self'",
    // Decrypted attachments are shown from blob: URLs the page made; no data:, no network.
    "img-src 'self' blob:",
    "frame-ancestors 'none'",
  ])
    assert.ok(WEB_CSP.split('; ').includes(part), part);
  assert.ok(!WEB_CSP.includes('data:'));
  assert.ok(!WEB_CSP.includes('unsafe-inline'));
  assert.ok(!WEB_CSP.includes('*'));
});

test('GET / serves index.html with the policy and revalidation; hashed assets are immutable', async () => {
  const app = await relayServing(build());
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-security-policy'], PAGE_CSP);
    assert.equal(page.headers['integrity-policy'], INTEGRITY_POLICY);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.ok(page.body.includes('<title>Parley</title>'));

    const js = await app.inject({ method: 'GET', url: '/assets/index-C7FWBezT.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-security-policy'], PAGE_CSP);

    const wasm = await app.inject({ method: 'GET', url: '/assets/sqlite3.wasm' });
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.equal(wasm.headers['cache-control'], 'no-cache');
    assert.deepEqual([...wasm.rawPayload], [0, 0x61, 0x73, 0x6d]);

    const again = await app.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': String(page.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
    const head = await app.inject({ method: 'HEAD', url: '/' });
    assert.equal(head.statusCode, 200);
  } finally {
    await app.close();
  }
});

test('only the files in the manifest are served, and the manifest; the API keeps its JSON 404', async () => {
  const dir = build();
  const app = await relayServing(dir);
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/assets/later.js' })).statusCode, 404);
    const manifest = await app.inject({ method: 'GET', url: MANIFEST_PATH });
    assert.equal(manifest.statusCode, 200);
    assert.equal(manifest.headers['cache-control'], 'no-cache');
    assert.deepEqual(manifest.rawPayload, readFileSync(join(dir, ...MANIFEST_PATH.split('/'))));
    assert.deepEqual(
      parseManifest(manifest.body).files.map((f) => f.path),
      ['/assets/index-C7FWBezT.js', '/assets/sqlite3.wasm', '/index.html'],
    );
    const api = await app.inject({ method: 'GET', url: '/v1/no-such-route' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
  } finally {
    await app.close();
  }
});

test('a changed file is served as it is and reported; a missing manifest or file is refused', () => {
  const dir = build();
  writeFileSync(join(dir, 'assets', 'index-C7FWBezT.js'), 'console.log(2)');
  const web = loadWebApp(dir);
  assert.deepEqual(web?.mismatches, ['/assets/index-C7FWBezT.js']);
  assert.equal(web.files.get('/assets/index-C7FWBezT.js')?.body.toString(), 'console.log(2)');
  rmSync(join(dir, 'assets', 'sqlite3.wasm'));
  assert.throws(() => loadWebApp(dir), WebAppError);
  rmSync(join(dir, '.well-known'), { recursive: true });
  assert.throws(() => loadWebApp(dir), /no manifest/);
});

test('a directory without index.html is no web client; one with too many files is refused', () => {
  assert.equal(loadWebApp(mkdtempSync(join(tmpdir(), 'parley-web-empty-'))), undefined);
  const dir = build();
  const files = Array.from({ length: MAX_WEB_FILES + 1 }, (_, i) => ({
    path: `/f${String(i).padStart(3, '0')}.js`,
    sha256: '0'.repeat(64),
    size: 0,
  }));
  writeFileSync(
    join(dir, MANIFEST_PATH),
    JSON.stringify({ format: MANIFEST_FORMAT, version: '1', root: '0'.repeat(64), files }),
  );
  assert.throws(() => loadWebApp(dir), WebAppError);
});

test('--web-dir and PARLEY_WEB_DIR choose the build; the default is apps/web/dist', () => {
  const d = parseConfig([], {});
  assert.ok(d !== 'help');
  assert.equal(d.webDir, 'default');
  const env = parseConfig([], { PARLEY_WEB_DIR: '/srv/web' });
  assert.ok(env !== 'help');
  assert.equal(env.webDir, '/srv/web');
  const off = parseConfig(['--web-dir', 'off'], { PARLEY_WEB_DIR: '/srv/web' });
  assert.ok(off !== 'help');
  assert.equal(off.webDir, 'off');
});
