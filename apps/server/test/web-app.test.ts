/** The web client is served at / from memory, every response under the strict policy. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createMemoryStorage, createRelay } from '@parley/relay';
import { parseConfig } from '../src/config.js';
import { MAX_WEB_FILES } from '../src/limits.js';
import { WEB_CSP, WebAppError, loadWebApp, webAppPlugin } from '../src/web-app.js';

function build(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Parley</title>');
  writeFileSync(join(dir, 'assets', 'index-C7FWBezT.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'sqlite3.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  writeFileSync(join(dir, 'notes.unknown-type'), 'not served');
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
    "frame-ancestors 'none'",
  ])
    assert.ok(WEB_CSP.split('; ').includes(part), part);
  assert.ok(!WEB_CSP.includes('unsafe-inline'));
  assert.ok(!WEB_CSP.includes('*'));
});

test('GET / serves index.html with the policy and revalidation; hashed assets are immutable', async () => {
  const app = await relayServing(build());
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['content-security-policy'], WEB_CSP);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.ok(page.body.includes('<title>Parley</title>'));

    const js = await app.inject({ method: 'GET', url: '/assets/index-C7FWBezT.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['content-security-policy'], WEB_CSP);

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

test('only known file types are served; the API keeps its JSON 404', async () => {
  const app = await relayServing(build());
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/notes.unknown-type' })).statusCode, 404);
    const api = await app.inject({ method: 'GET', url: '/v1/no-such-route' });
    assert.equal(api.statusCode, 404);
    assert.equal(api.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
  } finally {
    await app.close();
  }
});

test('a directory without index.html is no web client; one with too many files is refused', () => {
  assert.equal(loadWebApp(mkdtempSync(join(tmpdir(), 'parley-web-empty-'))), undefined);
  const dir = build();
  for (let i = 0; i <= MAX_WEB_FILES; i++) writeFileSync(join(dir, `f${i}.js`), '');
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
